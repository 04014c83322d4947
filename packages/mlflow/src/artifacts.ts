import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { invalidParam, notFound } from './validate.js';

// The proxied artifact store: files under one root directory; every path is checked so that
// nothing outside the root can be read, written or deleted.

export class ArtifactStore {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  /** A relative artifact path -> an absolute path inside the root (or INVALID_PARAMETER_VALUE). */
  resolve(rel: string): string {
    const p = rel ?? '';
    if (p.includes('\0') || p.includes('\\')) throw invalidParam(`Invalid artifact path: '${p}'`);
    const parts = p.split('/').filter((s) => s !== '');
    if (parts.some((s) => s === '..' || s === '.') || path.isAbsolute(p.replace(/^\/+/, '')) || /^[A-Za-z]:/.test(p))
      throw invalidParam(`Invalid path: '${p}'. Path traversal is not allowed.`);
    const abs = path.resolve(this.root, ...parts);
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) throw invalidParam(`Invalid path: '${p}'`);
    return abs;
  }

  async put(rel: string, body: Readable): Promise<void> {
    const abs = this.resolve(rel);
    if (abs === this.root) throw invalidParam('An artifact path is required');
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.upload-${process.pid}-${Date.now()}`;
    try {
      await pipeline(body, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, abs);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  async stat(rel: string): Promise<{ abs: string; size: number }> {
    const abs = this.resolve(rel);
    const st = await fs.promises.stat(abs).catch(() => null);
    if (!st || !st.isFile()) throw notFound(`Artifact '${rel}' does not exist`);
    return { abs, size: st.size };
  }

  async list(rel: string): Promise<Array<{ path: string; is_dir: boolean; file_size?: number }>> {
    const abs = this.resolve(rel);
    const entries = await fs.promises.readdir(abs, { withFileTypes: true }).catch(() => null);
    if (!entries) return [];
    const out = [];
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.includes('.upload-')) continue;
      if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
      else if (e.isFile())
        out.push({ path: e.name, is_dir: false, file_size: (await fs.promises.stat(path.join(abs, e.name))).size });
    }
    return out;
  }

  async delete(rel: string): Promise<void> {
    const abs = this.resolve(rel);
    if (abs === this.root) throw invalidParam('Refusing to delete the artifact root');
    if (!fs.existsSync(abs)) throw notFound(`Artifact '${rel}' does not exist`);
    await fs.promises.rm(abs, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ multipart uploads
  // MLflow's proxied multipart upload (`mpu/create`, a PUT per part, `mpu/complete` / `mpu/abort`):
  // parts are written to a staging directory beside the root, and `complete` concatenates them
  // into the artifact in one rename. Uploads live in memory: a restart forgets unfinished ones.

  private readonly uploads = new Map<string, { rel: string; parts: number; owner: string; created: number }>();
  static readonly MAX_PARTS = 10_000;
  static readonly UPLOAD_TTL_MS = 24 * 3600_000;

  private get staging(): string {
    return `${this.root}.mpu`;
  }

  /** Start an upload of `rel` in `parts` parts; returns the upload id. */
  async mpuCreate(rel: string, parts: number, owner: string): Promise<string> {
    const abs = this.resolve(rel);
    if (abs === this.root) throw invalidParam('An artifact path is required');
    if (!Number.isInteger(parts) || parts < 1 || parts > ArtifactStore.MAX_PARTS)
      throw invalidParam(`num_parts must be between 1 and ${ArtifactStore.MAX_PARTS}, got ${parts}`);
    const t = Date.now();
    for (const [id, u] of this.uploads)
      if (t - u.created > ArtifactStore.UPLOAD_TTL_MS) await this.mpuAbort(id, u.rel, u.owner).catch(() => undefined);
    const id = randomBytes(16).toString('hex');
    await fs.promises.mkdir(path.join(this.staging, id), { recursive: true });
    this.uploads.set(id, { rel: path.relative(this.root, abs), parts, owner, created: t });
    return id;
  }

  private upload(id: string, rel: string | undefined, owner: string) {
    const u = /^[0-9a-f]{32}$/.test(id) ? this.uploads.get(id) : undefined;
    if (!u || u.owner !== owner || (rel !== undefined && path.relative(this.root, this.resolve(rel)) !== u.rel))
      throw notFound(`Multipart upload '${id}' does not exist`);
    return u;
  }

  /** Store one part (1-based); returns its ETag (the MD5 of its bytes, as S3 does). */
  async mpuPart(id: string, part: number, owner: string, body: Readable): Promise<string> {
    const u = this.upload(id, undefined, owner);
    if (!Number.isInteger(part) || part < 1 || part > u.parts)
      throw invalidParam(`part_number must be between 1 and ${u.parts}, got ${part}`);
    const file = path.join(this.staging, id, String(part));
    const tmp = `${file}.${randomBytes(4).toString('hex')}`;
    const md5 = createHash('md5');
    const hash = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, hash, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    const etag = `"${md5.digest('hex')}"`;
    await fs.promises.writeFile(`${file}.etag`, etag);
    return etag;
  }

  /** Join the listed parts (ascending part numbers, ETags as returned) into the artifact. */
  async mpuComplete(
    id: string,
    rel: string,
    owner: string,
    parts: Array<{ part_number: number; etag?: string | null }>,
  ): Promise<void> {
    const u = this.upload(id, rel, owner);
    if (!parts.length) throw invalidParam('parts must list at least one part');
    const dir = path.join(this.staging, id);
    let prev = 0;
    for (const p of parts) {
      if (!Number.isInteger(p.part_number) || p.part_number <= prev || p.part_number > u.parts)
        throw invalidParam('parts must be listed once each, in ascending part_number order');
      prev = p.part_number;
      const etag = await fs.promises.readFile(path.join(dir, `${p.part_number}.etag`), 'utf8').catch(() => null);
      if (etag === null) throw invalidParam(`Part ${p.part_number} of upload '${id}' was not uploaded`);
      if (p.etag && p.etag.replace(/"/g, '') !== etag.replace(/"/g, ''))
        throw invalidParam(`The ETag of part ${p.part_number} does not match the uploaded part`);
    }
    const abs = path.join(this.root, u.rel);
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.upload-${process.pid}-${Date.now()}`;
    try {
      const out = fs.createWriteStream(tmp);
      for (const p of parts)
        await pipeline(fs.createReadStream(path.join(dir, String(p.part_number))), out, { end: false });
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await fs.promises.rename(tmp, abs);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    this.uploads.delete(id);
    await fs.promises.rm(dir, { recursive: true, force: true });
  }

  /** Drop an upload and its parts. */
  async mpuAbort(id: string, rel: string, owner: string): Promise<void> {
    this.upload(id, rel, owner);
    this.uploads.delete(id);
    await fs.promises.rm(path.join(this.staging, id), { recursive: true, force: true });
  }
}
