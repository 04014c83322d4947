import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import { Authorizer } from '@lakebox/catalog/authz';
import type { LakeboxFeature, LakeboxPluginOptions } from '../context.js';
import { principalOf } from '../context.js';

// The Files API for Unity Catalog volumes (Databricks' /api/2.0/fs): upload, download, delete and
// list files under /Volumes/<catalog>/<schema>/<volume>/... Reading needs READ VOLUME on the
// volume (plus USE CATALOG and USE SCHEMA), writing WRITE VOLUME. Paths never leave the volume.

interface Target {
  /** Absolute local path of the file or directory. */
  abs: string;
  /** The volume's root directory. */
  root: string;
  /** Path as the caller wrote it (`/Volumes/...`). */
  shown: string;
}

const notFound = (shown: string) =>
  new LakeboxError('NOT_FOUND', `The file or directory '${shown}' does not exist.`, { httpStatus: 404 });

function badPath(p: string): LakeboxError {
  return new LakeboxError(
    'INVALID_PARAMETER_VALUE',
    `'${p}' is not a volume path: use /Volumes/<catalog>/<schema>/<volume>/<path>`,
    { httpStatus: 400 },
  );
}

async function target(
  o: LakeboxPluginOptions,
  authz: Authorizer,
  request: FastifyRequest,
  write: boolean,
): Promise<Target> {
  const raw = '/' + String((request.params as Record<string, string>)['*'] ?? '');
  const segs = raw.split('/').filter((s) => s !== '');
  if (segs[0] !== 'Volumes' || segs.length < 4) throw badPath(raw);
  if (segs.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) throw badPath(raw);
  const [, c, s, v, ...rest] = segs;
  await authz.require(principalOf(request), write ? 'WRITE VOLUME' : 'READ VOLUME', {
    type: 'VOLUME',
    name: `${c}.${s}.${v}`,
  });
  const vol = await o.metastore.getVolume(c, s, v).catch((e: unknown) => {
    if (e instanceof LakeboxError && /_NOT_FOUND$/.test(e.code)) throw notFound(raw);
    throw e;
  });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(vol.storageLocation) && !vol.storageLocation.startsWith('file://')) {
    throw new LakeboxError('NOT_IMPLEMENTED', 'the Files API serves volumes on local storage only', {
      httpStatus: 501,
    });
  }
  const root = path.resolve(
    vol.storageLocation.startsWith('file://') ? new URL(vol.storageLocation).pathname : vol.storageLocation,
  );
  const abs = path.resolve(root, ...rest);
  if (abs !== root && !abs.startsWith(root + path.sep)) throw badPath(raw);
  return { abs, root, shown: raw };
}

async function filesRoutes(app: FastifyInstance, o: LakeboxPluginOptions): Promise<void> {
  const authz = new Authorizer(o.db);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.put('/files/*', async (request, reply) => {
    const t = await target(o, authz, request, true);
    if (t.abs === t.root) throw badPath(t.shown);
    const overwrite = String((request.query as Record<string, unknown>).overwrite ?? 'false') === 'true';
    if (!overwrite && fs.existsSync(t.abs)) {
      throw new LakeboxError('ALREADY_EXISTS', `The file '${t.shown}' already exists.`, { httpStatus: 409 });
    }
    fs.mkdirSync(path.dirname(t.abs), { recursive: true });
    const body = request.body as NodeJS.ReadableStream | undefined;
    const tmp = `${t.abs}.upload-${request.id}`;
    try {
      if (body && typeof (body as { pipe?: unknown }).pipe === 'function')
        await pipeline(body, fs.createWriteStream(tmp));
      else fs.writeFileSync(tmp, '');
      fs.renameSync(tmp, t.abs);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return reply.status(204).send();
  });

  app.get('/files/*', async (request, reply) => {
    const t = await target(o, authz, request, false);
    const st = await fs.promises.stat(t.abs).catch(() => undefined);
    if (!st || !st.isFile()) throw notFound(t.shown);
    reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', st.size)
      .header('last-modified', st.mtime.toUTCString());
    return reply.send(fs.createReadStream(t.abs));
  });

  app.delete('/files/*', async (request, reply) => {
    const t = await target(o, authz, request, true);
    const st = await fs.promises.stat(t.abs).catch(() => undefined);
    if (!st || !st.isFile()) throw notFound(t.shown);
    fs.rmSync(t.abs);
    return reply.status(204).send();
  });

  app.get('/directories/*', async (request) => {
    const t = await target(o, authz, request, false);
    const st = await fs.promises.stat(t.abs).catch(() => undefined);
    if (!st || !st.isDirectory()) throw notFound(t.shown);
    const base = t.shown.replace(/\/+$/, '');
    const contents = fs
      .readdirSync(t.abs, { withFileTypes: true })
      .filter((d) => !/\.upload-[0-9a-f-]+$/.test(d.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => {
        const s = fs.statSync(path.join(t.abs, d.name));
        return {
          path: `${base}/${d.name}${d.isDirectory() ? '/' : ''}`,
          name: d.name,
          is_directory: d.isDirectory(),
          ...(d.isDirectory() ? {} : { file_size: s.size }),
          last_modified: s.mtimeMs | 0,
        };
      });
    return contents.length ? { contents } : {};
  });

  app.put('/directories/*', async (request, reply) => {
    const t = await target(o, authz, request, true);
    fs.mkdirSync(t.abs, { recursive: true });
    return reply.status(204).send();
  });

  app.delete('/directories/*', async (request, reply) => {
    const t = await target(o, authz, request, true);
    if (t.abs === t.root) throw badPath(t.shown);
    const st = await fs.promises.stat(t.abs).catch(() => undefined);
    if (!st || !st.isDirectory()) throw notFound(t.shown);
    if (fs.readdirSync(t.abs).length) {
      throw new LakeboxError('DIRECTORY_NOT_EMPTY', `The directory '${t.shown}' is not empty.`, { httpStatus: 400 });
    }
    fs.rmdirSync(t.abs);
    return reply.status(204).send();
  });
}

/** `/api/2.0/fs/files/Volumes/...` and `/api/2.0/fs/directories/Volumes/...`. */
export const filesFeature: LakeboxFeature = {
  name: 'files',
  prefix: '/api/2.0/fs',
  plugin: filesRoutes,
};
