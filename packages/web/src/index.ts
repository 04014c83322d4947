import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { LakeboxError } from '@lakebox/common';
import type { LakeboxFeature } from '@lakebox/server';
import { savedQueryRoutes } from './queries.js';

export { savedQueryRoutes, webMigrations } from './queries.js';

/** Where `vite build` writes the single-page app (packages/web/dist). */
export const defaultDistDir = fileURLToPath(new URL('../dist/', import.meta.url));

const API_PREFIXES = ['/api/', '/ajax-api/'];

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Lakebox</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Lakebox</h1><p>The web workspace has not been built yet. Run <code>npm install</code> (or
<code>npm run build -w @lakebox/web</code>) in the Lakebox checkout, then reload this page.</p>
<p>The HTTP APIs under <code>/api/</code> work without it.</p></body>`;

/**
 * The web workspace: the saved-queries API (`/api/2.0/lakebox/queries`, authenticated) and the
 * built single-page app served at `/` (public: static files only, with index.html for any other
 * non-API path so that client-side routes survive a reload).
 */
export function webFeature(opts: { distDir?: string } = {}): LakeboxFeature {
  const distDir = path.resolve(opts.distDir ?? defaultDistDir);
  return {
    name: 'web',
    plugin: async (app, o) => {
      await app.register(savedQueryRoutes, { db: o.db, prefix: '/api/2.0/lakebox/queries' });
      await app.register(fastifyStatic, { root: distDir, serve: false, preCompressed: true });
      const built = () => fs.existsSync(path.join(distDir, 'index.html'));
      app.get('/*', { config: { public: true } }, async (request, reply) => {
        const urlPath = decodeURIComponent(request.url.split('?')[0]!);
        if (API_PREFIXES.some((p) => urlPath.startsWith(p)))
          throw new LakeboxError('ENDPOINT_NOT_FOUND', `No API found for 'GET ${urlPath}'`, { httpStatus: 404 });
        if (!built()) return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
        const rel = path.normalize(urlPath).replace(/^[/\\]+/, '');
        const file = path.join(distDir, rel);
        if (
          rel &&
          !rel.startsWith('..') &&
          file.startsWith(distDir) &&
          fs.statSync(file, { throwIfNoEntry: false })?.isFile()
        ) {
          // Hashed asset names never change content: cache them for a year; everything else revalidates.
          const immutable = rel.startsWith('assets/');
          return reply.sendFile(rel, { maxAge: immutable ? 31_536_000_000 : 0, immutable });
        }
        if (path.extname(rel) && rel.startsWith('assets/'))
          throw new LakeboxError('NOT_FOUND', `No file '${urlPath}'`, { httpStatus: 404 });
        reply.header('cache-control', 'no-cache');
        return reply.sendFile('index.html', { maxAge: 0 });
      });
    },
  };
}
