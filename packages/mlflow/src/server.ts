import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { runMigrations } from '@lakebox/catalog';
import { LakeboxError } from '@lakebox/common';
import { principalOf, type LakeboxFeature, type LakeboxPluginOptions } from '@lakebox/server';
import { ArtifactStore } from './artifacts.js';
import { MlflowGuard } from './governance.js';
import { mlflowMigrations } from './migrations.js';
import { MlflowStore } from './store.js';
import { type Args, RAW_BODY, invalidParam } from './validate.js';

// The MLflow REST API (tracking, logged models, model registry) under /api/2.0/mlflow and
// /ajax-api/2.0/mlflow, and the proxied artifact API under /api/2.0/mlflow-artifacts.

type Handler = (args: Args, user: string, request: FastifyRequest) => Promise<unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function args(request: FastifyRequest): Args {
  const q = (request.query ?? {}) as Args;
  const b = request.body;
  if (b === undefined || b === null || b === '') return { ...q };
  if (typeof b !== 'object' || Array.isArray(b)) throw invalidParam('The request body must be a JSON object');
  const out: Args = { ...q, ...(b as Args) };
  const raw = (request as { [RAW_BODY]?: string })[RAW_BODY];
  if (raw !== undefined) Object.defineProperty(out, RAW_BODY, { value: raw, enumerable: false });
  return out;
}

function trackingRoutes(s: MlflowStore, art: ArtifactStore): Array<[Method[], string, Handler]> {
  const G: Method[] = ['GET'];
  const P: Method[] = ['POST'];
  const GP: Method[] = ['GET', 'POST'];
  const D: Method[] = ['DELETE'];
  const PA: Method[] = ['PATCH'];
  return [
    [P, '/experiments/create', (a, u) => s.createExperiment(a, u)],
    [GP, '/experiments/search', (a) => s.searchExperiments(a)],
    [G, '/experiments/list', (a) => s.searchExperiments(a)],
    [G, '/experiments/get', (a) => s.getExperiment(a)],
    [G, '/experiments/get-by-name', (a) => s.getExperimentByName(a)],
    [P, '/experiments/delete', (a) => s.setExperimentLifecycle(a, 'deleted')],
    [P, '/experiments/restore', (a) => s.setExperimentLifecycle(a, 'active')],
    [P, '/experiments/update', (a) => s.updateExperiment(a)],
    [P, '/experiments/set-experiment-tag', (a) => s.setExperimentTag(a)],
    [P, '/experiments/delete-experiment-tag', (a) => s.deleteExperimentTag(a)],
    [P, '/runs/create', (a, u) => s.createRun(a, u)],
    [P, '/runs/update', (a) => s.updateRun(a)],
    [P, '/runs/delete', (a) => s.setRunLifecycle(a, 'deleted')],
    [P, '/runs/restore', (a) => s.setRunLifecycle(a, 'active')],
    [G, '/runs/get', (a) => s.getRun(a)],
    [GP, '/runs/search', (a) => s.searchRuns(a)],
    [P, '/runs/log-metric', (a) => s.logMetric(a)],
    [P, '/runs/log-parameter', (a) => s.logParam(a)],
    [P, '/runs/set-tag', (a) => s.setTag(a)],
    [P, '/runs/delete-tag', (a) => s.deleteTag(a)],
    [P, '/runs/log-batch', (a) => s.logBatch(a)],
    [P, '/runs/log-inputs', (a) => s.logInputs(a)],
    [P, '/runs/outputs', (a) => s.logOutputs(a)],
    [P, '/runs/log-model', (a) => s.logModel(a)],
    [G, '/metrics/get-history', (a) => s.metricHistory(a)],
    [G, '/metrics/get-history-bulk', (a) => s.metricHistoryBulk(a)],
    [G, '/metrics/get-history-bulk-interval', (a) => s.metricHistoryBulkInterval(a)],
    [G, '/artifacts/list', (a) => listRunArtifacts(s, art, a)],
    // logged models (MLflow 3)
    [P, '/logged-models', (a, u) => s.createLoggedModel(a, u)],
    [P, '/logged-models/search', (a) => s.searchLoggedModels(a)],
    [G, '/logged-models/:model_id', (_a, _u, r) => s.getLoggedModel(param(r, 'model_id'))],
    [PA, '/logged-models/:model_id', (a, _u, r) => s.finalizeLoggedModel(param(r, 'model_id'), a)],
    [D, '/logged-models/:model_id', (_a, _u, r) => s.deleteLoggedModel(param(r, 'model_id'))],
    [PA, '/logged-models/:model_id/tags', (a, _u, r) => s.setLoggedModelTags(param(r, 'model_id'), a)],
    [
      D,
      '/logged-models/:model_id/tags/:tag_key',
      (_a, _u, r) => s.deleteLoggedModelTag(param(r, 'model_id'), param(r, 'tag_key')),
    ],
    [P, '/logged-models/:model_id/params', (a, _u, r) => s.logLoggedModelParams(param(r, 'model_id'), a)],
    // model registry
    [P, '/registered-models/create', (a, u) => s.createRegisteredModel(a, u)],
    [G, '/registered-models/get', (a) => s.getRegisteredModel(a)],
    [P, '/registered-models/rename', (a) => s.renameRegisteredModel(a)],
    [PA, '/registered-models/update', (a) => s.updateRegisteredModel(a)],
    [D, '/registered-models/delete', (a) => s.deleteRegisteredModel(a)],
    [G, '/registered-models/search', (a) => s.searchRegisteredModels(a)],
    [GP, '/registered-models/get-latest-versions', (a) => s.getLatestVersions(a)],
    [P, '/registered-models/set-tag', (a) => s.setRegisteredModelTag(a)],
    [D, '/registered-models/delete-tag', (a) => s.deleteRegisteredModelTag(a)],
    [P, '/registered-models/alias', (a) => s.setAlias(a)],
    [D, '/registered-models/alias', (a) => s.deleteAlias(a)],
    [G, '/registered-models/alias', (a) => s.getByAlias(a)],
    [P, '/model-versions/create', (a, u) => s.createModelVersion(a, u)],
    [G, '/model-versions/get', (a) => s.getModelVersion(a)],
    [PA, '/model-versions/update', (a) => s.updateModelVersion(a)],
    [P, '/model-versions/transition-stage', (a) => s.transitionStage(a)],
    [D, '/model-versions/delete', (a) => s.deleteModelVersion(a)],
    [G, '/model-versions/search', (a) => s.searchModelVersions(a)],
    [G, '/model-versions/get-download-uri', (a) => s.getDownloadUri(a)],
    [P, '/model-versions/set-tag', (a) => s.setModelVersionTag(a)],
    [D, '/model-versions/delete-tag', (a) => s.deleteModelVersionTag(a)],
  ];
}

/** A run's or a model version's artifact under the proxied store (the web UI's download routes). */
async function localArtifact(
  s: MlflowStore,
  art: ArtifactStore,
  baseUri: string,
  p: unknown,
): Promise<{ abs: string; size: number }> {
  const rel = safeArtifactPath(p);
  if (!rel) throw invalidParam('Invalid path');
  const base = s.localArtifactPath(baseUri);
  if (!base) throw invalidParam(`Artifacts under '${baseUri}' are not served by this server`);
  const baseRel = path.relative(art.root, base).split(path.sep).join('/');
  return art.stat(path.posix.join(baseRel, rel));
}

/** A small JSON body from a raw stream (the artifact routes take any content type). */
async function jsonBody(request: FastifyRequest): Promise<Args> {
  let text = '';
  for await (const chunk of request.body as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 4 << 20) throw invalidParam('The request body is too large');
  }
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Args;
  } catch {
    throw new LakeboxError('MALFORMED_REQUEST', 'The request body must be a JSON object', { httpStatus: 400 });
  }
}

function param(r: FastifyRequest, name: string): string {
  return String((r.params as Record<string, string>)[name] ?? '');
}

/** MLflow's check of a requested artifact path: no `..`, `.`, absolute or Windows paths. */
function safeArtifactPath(p: unknown): string {
  const rel = typeof p === 'string' ? p : '';
  if (
    rel.includes('\0') ||
    rel.includes('\\') ||
    rel.startsWith('/') ||
    /^[A-Za-z]:/.test(rel) ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(rel) ||
    rel.split('/').some((x) => x === '..' || x === '.')
  )
    throw invalidParam('Invalid path');
  return rel;
}

async function listRunArtifacts(s: MlflowStore, artifacts: ArtifactStore, a: Args): Promise<unknown> {
  const rel = safeArtifactPath(a.path);
  const run = (await s.getRun(a)).run as { info: { artifact_uri: string } };
  const base = s.localArtifactPath(run.info.artifact_uri);
  if (!base) return { root_uri: run.info.artifact_uri, files: [] };
  const baseRel = path.relative(artifacts.root, base);
  const files = await artifacts.list(path.posix.join(baseRel.split(path.sep).join('/'), rel));
  return {
    root_uri: run.info.artifact_uri,
    files: files.map((f) => ({ ...f, path: rel ? `${rel}/${f.path}` : f.path })),
  };
}

export interface MlflowFeatureOptions {
  /** Where proxied artifacts are stored (default `<dataDir>/mlflow-artifacts`). */
  artifactRoot?: string;
}

export function mlflowPlugin(opts: MlflowFeatureOptions = {}) {
  return async (app: FastifyInstance, o: LakeboxPluginOptions): Promise<void> => {
    const db = o.db as unknown as Kysely<any>;
    await runMigrations(db, mlflowMigrations, 'lakebox_mlflow_migrations');
    const root = path.resolve(opts.artifactRoot ?? path.join(o.config.dataDir, 'mlflow-artifacts'));
    const store = new MlflowStore(db, o.dialect, root);
    await store.init();
    const art = new ArtifactStore(root);
    const routes = trackingRoutes(store, art);
    // governance: privileges on experiments and registered models (governance.ts)
    const guard = new MlflowGuard(db, store);
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      await app.register(
        async (sub) => {
          // fastify's own JSON parser, keeping the text (error messages quote numbers as sent)
          const json = sub.getDefaultJsonParser('error', 'error');
          sub.removeContentTypeParser('application/json');
          sub.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
            (request as { [RAW_BODY]?: string })[RAW_BODY] = body as string;
            json(request, body as string, done);
          });
          for (const [methods, url, h] of routes)
            sub.route({
              method: methods,
              url,
              handler: async (request) => {
                const p = principalOf(request);
                const a = args(request);
                await guard.before(request.method, url, a, p);
                return (await guard.after(url, a, await h(a, p.name, request), p)) ?? {};
              },
            });
        },
        { prefix },
      );
    }
    await app.register(
      async (sub) => {
        // Artifact bodies are raw bytes of any content type (a .json file arrives as application/json).
        sub.removeAllContentTypeParsers();
        sub.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
        sub.put('/artifacts/*', async (request) => {
          await guard.artifact(param(request, '*'), principalOf(request), true);
          await art.put(param(request, '*'), request.body as NodeJS.ReadableStream as never);
          return {};
        });
        sub.get('/artifacts/*', async (request, reply) => {
          await guard.artifact(param(request, '*'), principalOf(request), false);
          const { abs, size } = await art.stat(param(request, '*'));
          reply.header('content-type', 'application/octet-stream').header('content-length', size);
          return reply.send(fs.createReadStream(abs));
        });
        sub.get('/artifacts', async (request) => {
          const who = principalOf(request);
          const p = (request.query as Args).path;
          const rel = typeof p === 'string' ? p : '';
          if (rel.replace(/^\/+/, '')) await guard.artifact(rel, who, false);
          const listed = await art.list(rel);
          const files = rel.replace(/^\/+/, '') ? listed : await guard.filterArtifactRoot(listed, who);
          return files.length ? { files } : {};
        });
        sub.delete('/artifacts/*', async (request) => {
          await guard.artifact(param(request, '*'), principalOf(request), true);
          await art.delete(param(request, '*'));
          return {};
        });
        // multipart upload (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true): the destination is the
        // route's path plus the file name of the client's `path`; each part is PUT to the URL
        // returned in `credentials`, with the caller's own Authorization header
        const target = (request: FastifyRequest, a: Args) => {
          const file = String(a.path ?? '')
            .split(/[/\\]/)
            .pop();
          if (!file) throw invalidParam(`Missing value for required parameter 'path'.`);
          return path.posix.join(param(request, '*'), file);
        };
        sub.post('/mpu/create/*', async (request) => {
          const who = principalOf(request);
          const a = await jsonBody(request);
          const rel = target(request, a);
          await guard.artifact(rel, who, true);
          const n = Number(a.num_parts ?? 1);
          const id = await art.mpuCreate(rel, n, who.name);
          const auth = request.headers.authorization;
          const base = `${request.protocol}://${request.host}/api/2.0/mlflow-artifacts/mpu/upload/${id}`;
          return {
            upload_id: id,
            credentials: Array.from({ length: n }, (_, i) => ({
              url: `${base}/${i + 1}`,
              part_number: i + 1,
              headers: auth ? { Authorization: auth } : {},
            })),
          };
        });
        sub.put('/mpu/upload/:upload_id/:part_number', async (request, reply) => {
          const etag = await art.mpuPart(
            param(request, 'upload_id'),
            Number(param(request, 'part_number')),
            principalOf(request).name,
            request.body as never,
          );
          reply.header('etag', etag);
          return {};
        });
        sub.post('/mpu/complete/*', async (request) => {
          const who = principalOf(request);
          const a = await jsonBody(request);
          const rel = target(request, a);
          await guard.artifact(rel, who, true);
          const parts = Array.isArray(a.parts) ? (a.parts as Args[]) : [];
          await art.mpuComplete(
            String(a.upload_id ?? ''),
            rel,
            who.name,
            parts.map((p) => ({
              part_number: Number(p.part_number),
              etag: typeof p.etag === 'string' ? p.etag : null,
            })),
          );
          return {};
        });
        sub.post('/mpu/abort/*', async (request) => {
          const who = principalOf(request);
          const a = await jsonBody(request);
          const rel = target(request, a);
          await guard.artifact(rel, who, true);
          await art.mpuAbort(String(a.upload_id ?? ''), rel, who.name);
          return {};
        });
      },
      { prefix: '/api/2.0/mlflow-artifacts' },
    );
    // the MLflow web UI's download routes (a run's artifact; a model version's artifact)
    app.get('/get-artifact', async (request, reply) => {
      const who = principalOf(request);
      const a = { ...(request.query as Args) };
      safeArtifactPath(a.path);
      await guard.before('GET', '/artifacts/list', a, who);
      const run = (await store.getRun(a)).run as { info: { artifact_uri: string } };
      const { abs, size } = await localArtifact(store, art, run.info.artifact_uri, a.path);
      reply.header('content-type', 'application/octet-stream').header('content-length', size);
      return reply.send(fs.createReadStream(abs));
    });
    for (const url of ['/model-versions/get-artifact', '//model-versions/get-artifact'])
      app.get(url, async (request, reply) => {
        const who = principalOf(request);
        const a = { ...(request.query as Args) };
        safeArtifactPath(a.path);
        await guard.before('GET', '/model-versions/get-download-uri', a, who);
        const { artifact_uri } = (await store.getDownloadUri(a)) as { artifact_uri: string };
        const { abs, size } = await localArtifact(store, art, artifact_uri, a.path);
        reply.header('content-type', 'application/octet-stream').header('content-length', size);
        return reply.send(fs.createReadStream(abs));
      });
  };
}

/** The feature `lakebox start` mounts (see packages/server/src/plugins.ts). */
export const mlflowFeature: LakeboxFeature = { name: 'mlflow', plugin: mlflowPlugin() };
export function mlflowFeatureWith(opts: MlflowFeatureOptions): LakeboxFeature {
  return { name: 'mlflow', plugin: mlflowPlugin(opts) };
}
