import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../server/src/test-helpers.js';
import { MlflowClient, mlflowFeature } from '../src/index.js';
import { clientScenario } from './scenario.js';

// The REST API through fastify inject(): MLflow's error codes and 4xx statuses for bad input, and
// nothing written when a request is refused; then the TypeScript client over a listening server.

let t: Awaited<ReturnType<typeof testApp>>;
const auth = () => ({ authorization: `Bearer ${t.adminToken}` });
async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: unknown, raw = false) {
  const r = await t.app.inject({
    method,
    url,
    headers: {
      ...auth(),
      ...(payload !== undefined ? { 'content-type': raw ? 'application/octet-stream' : 'application/json' } : {}),
    },
    ...(payload !== undefined
      ? { payload: raw || typeof payload === 'string' ? (payload as string) : JSON.stringify(payload) }
      : {}),
  });
  let body: any = r.body;
  try {
    body = r.json();
  } catch {
    // raw download
  }
  return { status: r.statusCode, body };
}
const api = (p: string) => `/api/2.0/mlflow/${p}`;
let runId = '';

beforeAll(async () => {
  t = await testApp([mlflowFeature]);
  const exp = await call('POST', api('experiments/create'), { name: 'e' });
  const run = await call('POST', api('runs/create'), { experiment_id: exp.body.experiment_id });
  runId = run.body.run.info.run_id;
});
afterAll(async () => {
  await t?.close();
});

async function runData() {
  return (await call('GET', api(`runs/get?run_id=${runId}`))).body.run.data;
}

describe('MLflow REST errors', () => {
  it('creates the Default experiment (id 0) on first start', async () => {
    const r = await call('GET', api('experiments/get?experiment_id=0'));
    expect(r.status).toBe(200);
    expect(r.body.experiment).toMatchObject({
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
    });
    // also under /ajax-api
    expect((await call('GET', '/ajax-api/2.0/mlflow/experiments/get?experiment_id=0')).status).toBe(200);
  });

  it('malformed JSON and wrong types are 400s', async () => {
    const bad = await call('POST', api('experiments/create'), '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('MALFORMED_REQUEST');
    for (const body of [
      { name: { x: 1 } },
      { name: '' },
      {},
      { name: 'ok', tags: 'nope' },
      { name: 'ok', tags: [1] },
    ]) {
      const r = await call('POST', api('experiments/create'), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await call('GET', api('experiments/get-by-name?experiment_name=ok'))).status).toBe(404);
    const m = await call('POST', api('runs/log-metric'), {
      run_id: runId,
      key: 'k',
      value: 'abc',
      timestamp: 1,
      step: 0,
    });
    expect(m.status).toBe(400);
    expect(m.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const s = await call('POST', api('runs/log-metric'), { run_id: runId, key: 'k', value: 1, timestamp: 'x' });
    expect(s.status).toBe(400);
    const arr = await call('POST', api('runs/search'), [1, 2]);
    expect(arr.status).toBe(400);
    expect((await runData()).metrics ?? []).toEqual([]);
  });

  it('oversized batches are refused whole', async () => {
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    const a = await call('POST', api('runs/log-batch'), { run_id: runId, metrics });
    expect(a.status).toBe(400);
    expect(a.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    expect(a.body.message).toContain('at most 1000 metrics');
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const b = await call('POST', api('runs/log-batch'), { run_id: runId, params });
    expect(b.status).toBe(400);
    expect(b.body.message).toContain('at most 100 params');
    const tags = Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    expect((await call('POST', api('runs/log-batch'), { run_id: runId, tags })).status).toBe(400);
    const long = await call('POST', api('runs/log-parameter'), { run_id: runId, key: 'p', value: 'x'.repeat(6001) });
    expect(long.status).toBe(400);
    // a batch with one bad metric writes none of its params
    const mixed = await call('POST', api('runs/log-batch'), {
      run_id: runId,
      params: [{ key: 'good', value: '1' }],
      metrics: [
        { key: 'ok', value: 1, timestamp: 1, step: 0 },
        { key: 'bad key!', value: 1, timestamp: 1, step: 0 },
      ],
    });
    expect(mixed.status).toBe(400);
    const data = await runData();
    expect(data.params ?? []).toEqual([]);
    expect(data.metrics ?? []).toEqual([]);
    const hist = await call('GET', api(`metrics/get-history?run_id=${runId}&metric_key=m`));
    expect(hist.body.metrics).toEqual([]);
  });

  it("write-once params use MLflow's message, and a conflicting batch writes nothing", async () => {
    expect((await call('POST', api('runs/log-parameter'), { run_id: runId, key: 'lr', value: '0.1' })).status).toBe(
      200,
    );
    expect((await call('POST', api('runs/log-parameter'), { run_id: runId, key: 'lr', value: '0.1' })).status).toBe(
      200,
    );
    const r = await call('POST', api('runs/log-batch'), {
      run_id: runId,
      params: [{ key: 'lr', value: '0.2' }],
      metrics: [{ key: 'after', value: 1, timestamp: 1, step: 0 }],
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(
      `Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='${runId}'. Attempted logging new value '0.2'.`,
    );
    expect((await runData()).metrics ?? []).toEqual([]);
  });

  it('unknown ids are RESOURCE_DOES_NOT_EXIST with 404', async () => {
    for (const url of [
      api('runs/get?run_id=ffffffffffffffffffffffffffffffff'),
      api('experiments/get?experiment_id=12345'),
      api('experiments/get?experiment_id=abc'),
      api('registered-models/get?name=nope'),
      api('model-versions/get?name=nope&version=1'),
      api('logged-models/m-0000'),
    ]) {
      const r = await call('GET', url);
      expect(r.status, url).toBe(404);
      expect(r.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
    const post = await call('POST', api('runs/log-metric'), { run_id: 'nope', key: 'a', value: 1, timestamp: 1 });
    expect(post.status).toBe(404);
    const dup = await call('POST', api('experiments/create'), { name: 'e' });
    expect(dup).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
    const missing = await call('POST', api('nope/endpoint'), {});
    expect(missing.status).toBe(404);
  });

  it('bad filters, order_by and page tokens are INVALID_PARAMETER_VALUE', async () => {
    for (const body of [
      { experiment_ids: ['0'], filter: 'metrics.a >' },
      { experiment_ids: ['0'], filter: 'metrics.a = 1 OR metrics.b = 2' },
      { experiment_ids: ['0'], filter: "attributes.nope = 'x'" },
      { experiment_ids: ['0'], filter: "metrics.a = 'x'" },
      { experiment_ids: ['0'], order_by: ['metrics.a SIDEWAYS'] },
      { experiment_ids: ['0'], page_token: 'garbage' },
      { experiment_ids: ['0'], max_results: 50001 },
      { experiment_ids: ['x'] },
    ]) {
      const r = await call('POST', api('runs/search'), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('artifact paths cannot leave the artifact root', async () => {
    const root = path.join(t.dir, 'mlflow-artifacts');
    const outside = path.join(t.dir, 'escaped.txt');
    for (const p of [
      '../escaped.txt',
      '%2e%2e/escaped.txt',
      '0/..%2F..%2Fescaped.txt',
      '0/%2E%2E/%2E%2E/escaped.txt',
      '..%5Cescaped.txt',
    ]) {
      const r = await call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, 'data', true);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
    }
    expect(fs.existsSync(outside)).toBe(false);
    const list = await call('GET', '/api/2.0/mlflow-artifacts/artifacts?path=../');
    expect(list.status).toBe(400);
    expect(list.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const get = await call('GET', '/api/2.0/mlflow-artifacts/artifacts/0/%2e%2e/%2e%2e/metastore.db');
    expect([400, 404]).toContain(get.status);
    expect(get.body.error_code).toMatch(/INVALID_PARAMETER_VALUE|RESOURCE_DOES_NOT_EXIST|ENDPOINT_NOT_FOUND/);
    const del = await call('DELETE', '/api/2.0/mlflow-artifacts/artifacts/%2e%2e');
    // (a URL parser may already resolve '%2e%2e' segments: then no route matches at all)
    expect([400, 404]).toContain(del.status);
    const del2 = await call('DELETE', '/api/2.0/mlflow-artifacts/artifacts/0/..%2F..%2F');
    expect(del2.status).toBe(400);
    expect(fs.existsSync(root)).toBe(true);
    // a normal upload / download / list / delete
    expect((await call('PUT', '/api/2.0/mlflow-artifacts/artifacts/0/r/a.json', '{"x":1}')).status).toBe(200);
    expect((await call('GET', '/api/2.0/mlflow-artifacts/artifacts/0/r/a.json')).body).toEqual({ x: 1 });
    expect((await call('GET', '/api/2.0/mlflow-artifacts/artifacts?path=0/r')).body).toEqual({
      files: [{ path: 'a.json', is_dir: false, file_size: 7 }],
    });
    expect((await call('DELETE', '/api/2.0/mlflow-artifacts/artifacts/0/r/a.json')).status).toBe(200);
    expect((await call('GET', '/api/2.0/mlflow-artifacts/artifacts/0/r/a.json')).status).toBe(404);
  });

  it('requires a token', async () => {
    const r = await t.app.inject({ method: 'GET', url: api('experiments/get?experiment_id=0') });
    expect(r.statusCode).toBe(401);
    const a = await t.app.inject({ method: 'PUT', url: '/api/2.0/mlflow-artifacts/artifacts/0/x', payload: 'x' });
    expect(a.statusCode).toBe(401);
  });
});

describe('TypeScript client', () => {
  it('covers experiments, runs, search, artifacts, logged models and the registry', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await clientScenario(new MlflowClient({ trackingUri: address, token: t.adminToken }));
  });
});
