import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { runMigrations } from '@lakebox/catalog';
import { principalOf, type LakeboxFeature, type LakeboxPluginOptions } from '@lakebox/server';
import { ArtifactStore } from './artifacts.js';
import { MlflowGuard } from './governance.js';
import { mlflowMigrations } from './migrations.js';
import { MlflowStore } from './store.js';
import { type Args, invalidParam } from './validate.js';

// The MLflow REST API (tracking, logged models, model registry) under /api/2.0/mlflow and
// /ajax-api/2.0/mlflow, and the proxied artifact API under /api/2.0/mlflow-artifacts.

type Handler = (args: Args, user: string, request: FastifyRequest) => Promise<unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function args(request: FastifyRequest): Args {
  const q = (request.query ?? {}) as Args;
  const b = request.body;
  if (b === undefined || b === null || b === '') return { ...q };
  if (typeof b !== 'object' || Array.isArray(b)) throw invalidParam('The request body must be a JSON object');
  return { ...q, ...(b as Args) };
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

function param(r: FastifyRequest, name: string): string {
  return String((r.params as Record<string, string>)[name] ?? '');
}

async function listRunArtifacts(s: MlflowStore, artifacts: ArtifactStore, a: Args): Promise<unknown> {
  const run = (await s.getRun(a)).run as { info: { artifact_uri: string } };
  const rel = (typeof a.path === 'string' ? a.path : '').replace(/^\/+/, '');
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
      },
      { prefix: '/api/2.0/mlflow-artifacts' },
    );
  };
}

/** The feature `lakebox start` mounts (see packages/server/src/plugins.ts). */
export const mlflowFeature: LakeboxFeature = { name: 'mlflow', plugin: mlflowPlugin() };
export function mlflowFeatureWith(opts: MlflowFeatureOptions): LakeboxFeature {
  return { name: 'mlflow', plugin: mlflowPlugin(opts) };
}
