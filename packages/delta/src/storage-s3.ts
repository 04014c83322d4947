import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { LakeboxError } from '@lakebox/common';
import type { ObjectMeta, ObjectStore } from './storage.js';

/**
 * Where an S3 store connects and how it signs. Anything left out comes from the environment:
 * `LAKEBOX_S3_ENDPOINT` (or the SDK's own `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`),
 * `AWS_REGION` / `AWS_DEFAULT_REGION`, and the AWS SDK's default credential chain
 * (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, profiles, ...).
 */
export interface S3StoreOptions {
  /** e.g. `http://127.0.0.1:9000` for a local S3-compatible server. */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /**
   * Path-style addressing (`http://host/bucket/key`). Defaults to true when an endpoint is set
   * (local servers rarely have per-bucket DNS names), false against AWS itself.
   * `LAKEBOX_S3_FORCE_PATH_STYLE=true|false` overrides the default.
   */
  forcePathStyle?: boolean;
  /** Directory for downloaded copies of objects (see `localPath`). */
  cacheDir?: string;
  /** Use this client instead of building one (tests, shared connection pools). */
  client?: S3Client;
  /** Keys per ListObjectsV2 page (S3's default and maximum is 1000). */
  listPageSize?: number;
}

/** How often a conditional put is retried when S3 reports a concurrent conditional write (409). */
const CONFLICT_RETRIES = 8;

/**
 * A table stored under `s3://bucket/prefix` on Amazon S3 or any S3-compatible server.
 *
 * The Delta commit (`putIfAbsent`) is a PutObject with `If-None-Match: *`: the server creates the
 * object only if no object exists under the key, so two writers can never both create the same
 * log entry. This needs a server that evaluates the condition atomically (Amazon S3 since
 * August 2024, MinIO); a server that ignores the header would silently allow lost commits.
 *
 * DuckDB cannot read S3 here (no httpfs extension), so `localPath` downloads an object into a
 * local cache keyed by path, ETag and size; Parquet data files are immutable, so a cached copy
 * stays valid for as long as the object exists.
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Key prefix of the table root: '' or ending with '/'. */
  readonly prefix: string;
  readonly client: S3Client;
  private readonly cacheDir: string;
  private readonly listPageSize: number | undefined;
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(bucket: string, prefix = '', opts: S3StoreOptions = {}) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new LakeboxError('INVALID_PATH', `invalid S3 bucket name: ${bucket}`);
    }
    this.bucket = bucket;
    const p = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
    this.prefix = p ? `${p}/` : '';
    this.url = `s3://${bucket}${p ? `/${p}` : ''}`;
    this.client = opts.client ?? new S3Client(clientConfig(opts));
    this.listPageSize = opts.listPageSize;
    this.cacheDir =
      opts.cacheDir ??
      (process.env.LAKEBOX_HOME
        ? path.join(process.env.LAKEBOX_HOME, 'cache', 's3')
        : path.join(os.tmpdir(), 'lakebox-s3-cache'));
  }

  /** `s3://bucket/prefix` (also `s3a://`, as Spark spells it). */
  static fromUrl(url: string, opts: S3StoreOptions = {}): S3ObjectStore {
    const m = /^s3a?:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
    if (!m) throw new LakeboxError('INVALID_PATH', `not an S3 URL: ${url} (expected s3://bucket/prefix)`);
    return new S3ObjectStore(m[1], m[2] ?? '', opts);
  }

  private key(p: string): string {
    if (p.startsWith('/') || p.split('/').some((seg) => seg === '..')) {
      throw new LakeboxError('INVALID_PATH', `path escapes the table root: ${p}`);
    }
    return this.prefix + p;
  }

  async get(p: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
      if (!out.Body) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (e) {
      if (isNotFound(e)) {
        throw new LakeboxError('OBJECT_NOT_FOUND', `object not found: ${this.url}/${p}`, { httpStatus: 404 });
      }
      throw this.wrap(e, 'GetObject', p);
    }
  }

  async head(p: string): Promise<ObjectMeta | undefined> {
    const h = await this.headRaw(p);
    return h && { path: p, size: h.size, lastModified: h.lastModified };
  }

  private async headRaw(p: string): Promise<{ size: number; lastModified: number; etag: string } | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
      return {
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified?.getTime() ?? 0,
        etag: out.ETag ?? '',
      };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.wrap(e, 'HeadObject', p);
    }
  }

  async list(prefix: string, opts: { startAfter?: string } = {}): Promise<ObjectMeta[]> {
    const out: ObjectMeta[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(this.listPageSize ? { MaxKeys: this.listPageSize } : {}),
            // StartAfter only on the first page; the continuation token carries it afterwards.
            ...(token === undefined && opts.startAfter !== undefined
              ? { StartAfter: this.prefix + opts.startAfter }
              : {}),
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (e) {
        throw this.wrap(e, 'ListObjectsV2', prefix);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        const rel = o.Key.slice(this.prefix.length);
        if (opts.startAfter !== undefined && rel <= opts.startAfter) continue;
        out.push({ path: rel, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 orders by UTF-8 bytes; sort by the same JS string order the local store uses.
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return out;
  }

  async put(p: string, data: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(p), Body: data }));
    } catch (e) {
      throw this.wrap(e, 'PutObject', p);
    }
  }

  async putIfAbsent(p: string, data: Uint8Array): Promise<boolean> {
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: this.key(p), Body: data, IfNoneMatch: '*' }),
        );
        return true;
      } catch (e) {
        const status = httpStatus(e);
        if (status === 412 || errorName(e) === 'PreconditionFailed') {
          // The object exists. If an earlier attempt of ours may have gone through (a lost
          // response, retried by us or inside the SDK), the object may be our own write:
          // identical bytes mean it is.
          const sdkAttempts = (e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
          if (ambiguous || sdkAttempts > 1) {
            const existing = await this.get(p).catch(() => undefined);
            if (existing && Buffer.from(existing).equals(Buffer.from(data))) return true;
          }
          return false;
        }
        if ((status === 409 || errorName(e) === 'ConditionalRequestConflict') && attempt < CONFLICT_RETRIES) {
          // Another conditional write on the same key is in flight; S3 asks us to retry.
          await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random()));
          continue;
        }
        if ((status === undefined || status >= 500) && attempt < 3) {
          ambiguous = true;
          await sleep(100 * 2 ** attempt);
          continue;
        }
        throw this.wrap(e, 'PutObject (If-None-Match)', p);
      }
    }
  }

  async delete(p: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(p) }));
    } catch (e) {
      if (isNotFound(e)) return;
      throw this.wrap(e, 'DeleteObject', p);
    }
  }

  async localPath(p: string): Promise<string> {
    const h = await this.headRaw(p);
    if (!h) throw new LakeboxError('OBJECT_NOT_FOUND', `object not found: ${this.url}/${p}`, { httpStatus: 404 });
    const file = this.cacheFile(p, h.etag, h.size);
    const pending = this.downloads.get(file);
    if (pending) return pending;
    const job = (async () => {
      const st = await fs.stat(file).catch(() => undefined);
      if (st && st.size === h.size) return file;
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${randomUUID()}`;
      try {
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: this.key(p), ...(h.etag ? { IfMatch: h.etag } : {}) }),
        );
        if (!out.Body) throw new Error('empty response body');
        await pipeline(out.Body as Readable, createWriteStream(tmp));
        await fs.rename(tmp, file);
      } catch (e) {
        await fs.rm(tmp, { force: true });
        if (isNotFound(e) || httpStatus(e) === 412) {
          throw new LakeboxError('OBJECT_NOT_FOUND', `object changed or vanished while reading: ${this.url}/${p}`, {
            httpStatus: 404,
          });
        }
        throw this.wrap(e, 'GetObject', p);
      }
      return file;
    })();
    this.downloads.set(file, job);
    try {
      return await job;
    } finally {
      this.downloads.delete(file);
    }
  }

  async putFile(p: string, localFile: string): Promise<void> {
    const st = await fs.stat(localFile);
    let etag: string | undefined;
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(p),
          Body: createReadStream(localFile),
          ContentLength: st.size,
        }),
      );
      etag = out.ETag;
    } catch (e) {
      throw this.wrap(e, 'PutObject', p);
    }
    // Like the local store, the file is consumed: it becomes the cached copy of the new object,
    // so reading it back right after the write needs no download.
    if (etag) {
      const file = this.cacheFile(p, etag, st.size);
      await fs.mkdir(path.dirname(file), { recursive: true });
      try {
        await fs.rename(localFile, file);
        return;
      } catch {
        // Different file system: fall through and just drop the file.
      }
    }
    await fs.rm(localFile, { force: true });
  }

  private cacheFile(p: string, etag: string, size: number): string {
    const id = createHash('sha256').update(`${this.url}\n${p}\n${etag}\n${size}`).digest('hex').slice(0, 32);
    // Keep the file's own name (and extension) at the end: easier to debug, and readers that
    // guess the format from the extension keep working.
    const base = path
      .basename(p)
      .replace(/[^A-Za-z0-9._=-]/g, '_')
      .slice(-80);
    return path.join(this.cacheDir, id.slice(0, 2), `${id}-${base}`);
  }

  private wrap(e: unknown, op: string, p: string): Error {
    if (e instanceof LakeboxError) return e;
    const status = httpStatus(e);
    const name = errorName(e) ?? 'Error';
    const msg = e instanceof Error ? e.message : String(e);
    if (
      status === 403 ||
      name === 'AccessDenied' ||
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch'
    ) {
      return new LakeboxError('PERMISSION_DENIED', `S3 ${op} on ${this.url}/${p} was denied: ${msg}`, {
        httpStatus: 403,
        cause: e,
      });
    }
    if (name === 'NoSuchBucket') {
      return new LakeboxError('OBJECT_NOT_FOUND', `S3 bucket does not exist: ${this.bucket}`, {
        httpStatus: 404,
        cause: e,
      });
    }
    return new LakeboxError('STORAGE_ERROR', `S3 ${op} on ${this.url}/${p} failed: ${name}: ${msg}`, {
      httpStatus: 502,
      cause: e,
    });
  }
}

function clientConfig(opts: S3StoreOptions): S3ClientConfig {
  // The SDK warns on every process start that releases after January 2027 will need Node 22; the
  // version pinned here runs on Node 20, so the warning would only confuse users of the CLI.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = opts.endpoint ?? process.env.LAKEBOX_S3_ENDPOINT ?? undefined;
  const envPathStyle = process.env.LAKEBOX_S3_FORCE_PATH_STYLE;
  const forcePathStyle =
    opts.forcePathStyle ?? (envPathStyle !== undefined ? envPathStyle === 'true' : endpoint !== undefined);
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const cfg: S3ClientConfig = {
    region,
    forcePathStyle,
    // Checksums only where S3 requires them: S3-compatible servers differ in what they accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (endpoint) cfg.endpoint = endpoint;
  if (opts.accessKeyId && opts.secretAccessKey) {
    cfg.credentials = {
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    };
  }
  return cfg;
}

function httpStatus(e: unknown): number | undefined {
  if (e instanceof S3ServiceException) return e.$metadata?.httpStatusCode;
  const m = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return m?.httpStatusCode;
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}

function isNotFound(e: unknown): boolean {
  const name = errorName(e);
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(e) === 404 && name !== 'NoSuchBucket');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
