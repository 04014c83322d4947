import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import type { Principal } from '@lakebox/catalog';
import { Authorizer, type Privilege, type SecurableType } from '@lakebox/catalog/authz';
import { Lakehouse, SqlEngine, sqlStatementsFeature } from '@lakebox/engine';
import { sparkConnectFeature } from '@lakebox/connect';
import { mlflowFeature } from '@lakebox/mlflow';
import { filesFeature, loadConfig, startServer, type RunningServer } from '@lakebox/server';
import { freePort } from '../support/ports.js';
import { venvPython } from '../support/python.js';
import { REPO_ROOT } from '../support/repo.js';

// Acceptance 1 of issue 6: the authorization matrix. A table of (surface, operation, required
// privileges) generates, for each operation, a principal holding every required privilege (the
// call must succeed), one holding none, and one per required privilege holding all but that one
// (the call must fail with PERMISSION_DENIED: 403 over HTTP, a FAILED statement with
// PERMISSION_DENIED in the Statement API, PERMISSION_DENIED from the real PySpark client).
// Nothing denied may carry data (SECRET markers) and listings never show names the caller cannot
// see. Surfaces: SQL in the engine, the Statement Execution API, Spark Connect (one PySpark
// process runs all its cases), the MLflow REST API, MLflow artifacts, volumes (Files API), the
// catalog REST API and the Unity Catalog API (permissions, temporary credentials).

type Grant = [Privilege, SecurableType, string];
interface Outcome {
  ok: boolean;
  /** error class / error_code when it failed */
  code?: string;
  status?: number;
  /** everything the caller got back */
  text: string;
}
interface Who {
  name: string;
  token: string;
}
interface Op {
  surface: string;
  name: string;
  needs: Grant[];
  /** admin work before the call (per-case objects), `{k}` is the case key */
  setup?: (k: string) => Promise<void>;
  run?: (who: Who, k: string) => Promise<Outcome>;
  /** Spark Connect: op + argument for the Python runner */
  py?: { op: string; arg: string };
  /** must appear in a successful call's answer (proves real data came back) */
  expect?: string;
  /** must never appear in any answer */
  never?: string[];
}
interface Case {
  id: string;
  op: Op;
  k: string;
  variant: string;
  grants: Grant[];
  allowed: boolean;
}

let dir: string;
let server: RunningServer;
let admin: Who;
let engine: SqlEngine;
let scPort: number;
const state: Record<string, string> = {};
const outcomes = new Map<string, Outcome>();
const ADMIN: Principal = { id: '', name: 'admin', kind: 'user', isAdmin: true, groups: ['admins'] };

const sub = (s: string, k: string) =>
  s.replaceAll('{k}', k).replace(/\{(\w+)\}/g, (_m, n: string) => state[n] ?? `{${n}}`);

async function http(who: Who, method: string, url: string, body?: unknown, raw?: string): Promise<Outcome> {
  const res = await fetch(server.url + url, {
    method,
    headers: {
      authorization: `Bearer ${who.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(raw !== undefined ? { 'content-type': 'application/octet-stream' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}),
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error_code?: string }).error_code;
  } catch {
    code = undefined;
  }
  return { ok: res.ok, status: res.status, text, ...(res.ok ? {} : { code }) };
}

async function sqlEngine(who: Who, sql: string): Promise<Outcome> {
  try {
    const r = await engine.execute(sql, { session: { catalog: 'main', schema: 'default', user: who.name } });
    return { ok: true, text: JSON.stringify({ columns: r.columns, rows: r.rows }) };
  } catch (e) {
    if (!(e instanceof LakeboxError)) throw e;
    return { ok: false, code: e.code, status: e.httpStatus, text: e.message };
  }
}

async function statementApi(who: Who, sql: string): Promise<Outcome> {
  const o = await http(who, 'POST', '/api/2.0/sql/statements', { statement: sql, wait_timeout: '30s' });
  const body = JSON.parse(o.text) as { status?: { state: string; error?: { error_code: string } } };
  if (!o.ok || !body.status) return o;
  const failed = body.status.state !== 'SUCCEEDED';
  return { ok: !failed, status: o.status, text: o.text, ...(failed ? { code: body.status.error?.error_code } : {}) };
}

const UC: Grant = ['USE CATALOG', 'CATALOG', 'mx'];
const US: Grant = ['USE SCHEMA', 'SCHEMA', 'mx.s'];
const T = 'mx.s.t';

/** SQL operations shared by the engine, the Statement API and (some) Spark Connect. */
const SQL_OPS: Array<Omit<Op, 'surface' | 'run'> & { sql: string; connect?: boolean }> = [
  {
    name: 'select',
    needs: [UC, US, ['SELECT', 'TABLE', T]],
    sql: `SELECT * FROM ${T}`,
    expect: 'SECRET-ROW',
    connect: true,
  },
  {
    name: 'select view',
    needs: [UC, US, ['SELECT', 'TABLE', 'mx.s.v']],
    sql: 'SELECT * FROM mx.s.v',
    expect: 'SECRET-ROW',
  },
  {
    name: 'insert',
    needs: [UC, US, ['MODIFY', 'TABLE', 'mx.s.w']],
    sql: "INSERT INTO mx.s.w VALUES (1, 'x')",
    connect: true,
  },
  {
    name: 'update',
    needs: [UC, US, ['SELECT', 'TABLE', 'mx.s.w'], ['MODIFY', 'TABLE', 'mx.s.w']],
    sql: "UPDATE mx.s.w SET secret = 'y' WHERE id < 0",
  },
  {
    name: 'delete',
    needs: [UC, US, ['SELECT', 'TABLE', 'mx.s.w'], ['MODIFY', 'TABLE', 'mx.s.w']],
    sql: 'DELETE FROM mx.s.w WHERE id < 0',
  },
  {
    name: 'create table',
    needs: [UC, US, ['CREATE TABLE', 'SCHEMA', 'mx.s']],
    sql: 'CREATE TABLE mx.s.ct_{k} (x INT)',
    connect: true,
  },
  {
    name: 'create view',
    needs: [UC, US, ['CREATE VIEW', 'SCHEMA', 'mx.s']],
    sql: 'CREATE VIEW mx.s.cv_{k} AS SELECT 1 AS x',
  },
  {
    name: 'create function',
    needs: [UC, US, ['CREATE FUNCTION', 'SCHEMA', 'mx.s']],
    sql: 'CREATE FUNCTION mx.s.cf_{k}(x INT) RETURNS INT RETURN x + 1',
  },
  { name: 'create schema', needs: [UC, ['CREATE SCHEMA', 'CATALOG', 'mx']], sql: 'CREATE SCHEMA mx.cs_{k}' },
  {
    name: 'drop table',
    needs: [UC, US, ['MANAGE', 'TABLE', 'mx.s.dt_{k}']],
    setup: (k) => adminSql(`CREATE TABLE mx.s.dt_${k} (x INT)`),
    sql: 'DROP TABLE mx.s.dt_{k}',
  },
  { name: 'grant', needs: [UC, US, ['MANAGE', 'TABLE', T]], sql: `GRANT SELECT ON TABLE ${T} TO \`matrix-sink\`` },
  {
    name: 'call function',
    needs: [UC, US, ['EXECUTE', 'FUNCTION', 'mx.s.fn']],
    sql: 'USE mx.s; SELECT fn(41) AS answer_from_fn',
    expect: 'answer_from_fn',
  },
  {
    name: 'describe table',
    needs: [['SELECT', 'TABLE', T]],
    sql: `DESCRIBE TABLE ${T}`,
    expect: 'secret',
    connect: true,
  },
  { name: 'describe history', needs: [UC, US, ['SELECT', 'TABLE', T]], sql: `DESCRIBE HISTORY ${T}` },
  { name: 'show tables', needs: [UC, US], sql: 'SHOW TABLES IN mx.s', never: ['hidden_tbl'], connect: true },
  { name: 'show catalogs', needs: [], sql: 'SHOW CATALOGS', never: ['hiddencat'] },
  {
    name: 'information_schema',
    needs: [],
    sql: 'SELECT table_name FROM system.information_schema.tables',
    never: ['hidden_tbl'],
  },
];

function adminSql(sql: string): Promise<void> {
  return engine.execute(sql, { session: { catalog: 'main', schema: 'default', user: 'admin' } }).then(() => undefined);
}
const mlflow = (who: Who, method: string, route: string, body?: unknown) =>
  http(who, method, `/api/2.0/mlflow/${route}`, body);
const exp = (p: Privilege, id = 'exp'): Grant => [p, 'EXPERIMENT', `{${id}}`];
const model = (p: Privilege, name = 'matrix-model'): Grant => [p, 'REGISTERED_MODEL', name];

const OPS: Op[] = [
  ...SQL_OPS.map((o) => ({ ...o, surface: 'sql', run: (w: Who, k: string) => sqlEngine(w, sub(o.sql, k)) })),
  ...SQL_OPS.map((o) => ({
    ...o,
    surface: 'statement-api',
    run: (w: Who, k: string) => statementApi(w, sub(o.sql, k)),
  })),
  ...SQL_OPS.filter((o) => o.connect).map((o) => ({ ...o, surface: 'spark-connect', py: { op: 'sql', arg: o.sql } })),
  {
    surface: 'spark-connect',
    name: 'spark.table',
    needs: [UC, US, ['SELECT', 'TABLE', T]],
    py: { op: 'table', arg: T },
    expect: 'SECRET-ROW',
  },
  {
    surface: 'spark-connect',
    name: 'spark.table filter/select',
    needs: [UC, US, ['SELECT', 'TABLE', T]],
    py: { op: 'table_filter', arg: T },
    expect: 'SECRET-ROW',
  },
  {
    surface: 'spark-connect',
    name: 'saveAsTable append',
    needs: [UC, US, ['MODIFY', 'TABLE', 'mx.s.w']],
    py: { op: 'append', arg: 'mx.s.w' },
  },
  {
    surface: 'spark-connect',
    name: 'spark.catalog.listTables',
    needs: [UC, US],
    py: { op: 'list_tables', arg: 'mx.s' },
    never: ['hidden_tbl'],
  },
  // MLflow tracking and registry
  {
    surface: 'mlflow',
    name: 'get experiment',
    needs: [exp('SELECT')],
    run: (w) => mlflow(w, 'GET', `experiments/get?experiment_id=${state.exp}`),
    expect: 'matrix-exp',
  },
  {
    surface: 'mlflow',
    name: 'get run',
    needs: [exp('SELECT')],
    run: (w) => mlflow(w, 'GET', `runs/get?run_id=${state.run}`),
    expect: 'SECRET-PARAM',
  },
  {
    surface: 'mlflow',
    name: 'search runs',
    needs: [exp('SELECT')],
    run: (w) => mlflow(w, 'POST', 'runs/search', { experiment_ids: [state.exp] }),
    expect: 'SECRET-PARAM',
  },
  {
    surface: 'mlflow',
    name: 'metric history',
    needs: [exp('SELECT')],
    run: (w) => mlflow(w, 'GET', `metrics/get-history?run_id=${state.run}&metric_key=secret_metric`),
    expect: '4242',
  },
  {
    surface: 'mlflow',
    name: 'log metric',
    needs: [exp('MODIFY')],
    run: (w) => mlflow(w, 'POST', 'runs/log-metric', { run_id: state.run, key: 'm', value: 1, timestamp: 1 }),
  },
  {
    surface: 'mlflow',
    name: 'create run',
    needs: [exp('MODIFY')],
    run: (w) => mlflow(w, 'POST', 'runs/create', { experiment_id: state.exp }),
  },
  {
    surface: 'mlflow',
    name: 'rename experiment',
    needs: [exp('MANAGE', 'exp_{k}')],
    setup: async (k) => {
      state[`exp_${k}`] = JSON.parse(
        (await mlflow(admin, 'POST', 'experiments/create', { name: `mx-${k}` })).text,
      ).experiment_id;
    },
    run: (w, k) => mlflow(w, 'POST', 'experiments/update', { experiment_id: state[`exp_${k}`], new_name: `mx-${k}-r` }),
  },
  {
    surface: 'mlflow',
    name: 'delete experiment',
    needs: [exp('MANAGE', 'exp_{k}')],
    setup: async (k) => {
      state[`exp_${k}`] = JSON.parse(
        (await mlflow(admin, 'POST', 'experiments/create', { name: `md-${k}` })).text,
      ).experiment_id;
    },
    run: (w, k) => mlflow(w, 'POST', 'experiments/delete', { experiment_id: state[`exp_${k}`] }),
  },
  {
    surface: 'mlflow',
    name: 'search experiments',
    needs: [],
    run: (w) => mlflow(w, 'POST', 'experiments/search', { max_results: 1000 }),
    never: ['matrix-exp'],
  },
  {
    surface: 'mlflow',
    name: 'get registered model',
    needs: [model('EXECUTE')],
    run: (w) => mlflow(w, 'GET', 'registered-models/get?name=matrix-model'),
    expect: 'SECRET-MODEL',
  },
  {
    surface: 'mlflow',
    name: 'get model version',
    needs: [model('EXECUTE')],
    run: (w) => mlflow(w, 'GET', 'model-versions/get?name=matrix-model&version=1'),
    expect: 'SECRET-SOURCE',
  },
  {
    surface: 'mlflow',
    name: 'create model version',
    needs: [model('MODIFY')],
    run: (w) => mlflow(w, 'POST', 'model-versions/create', { name: 'matrix-model', source: 'mlflow-artifacts:/x' }),
  },
  {
    surface: 'mlflow',
    name: 'set model tag',
    needs: [model('MODIFY')],
    run: (w) => mlflow(w, 'POST', 'registered-models/set-tag', { name: 'matrix-model', key: 'k', value: 'v' }),
  },
  {
    surface: 'mlflow',
    name: 'delete registered model',
    needs: [model('MANAGE', 'mm-{k}')],
    setup: async (k) => void (await mlflow(admin, 'POST', 'registered-models/create', { name: `mm-${k}` })),
    run: (w, k) => mlflow(w, 'DELETE', 'registered-models/delete', { name: `mm-${k}` }),
  },
  {
    surface: 'mlflow',
    name: 'search registered models',
    needs: [],
    run: (w) => mlflow(w, 'GET', 'registered-models/search?max_results=1000'),
    never: ['matrix-model'],
  },
  // MLflow artifacts (proxied)
  {
    surface: 'artifacts',
    name: 'download',
    needs: [exp('SELECT')],
    run: (w) => http(w, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${state.exp}/${state.run}/artifacts/secret.txt`),
    expect: 'SECRET-ART',
  },
  {
    surface: 'artifacts',
    name: 'list',
    needs: [exp('SELECT')],
    run: (w) => http(w, 'GET', `/api/2.0/mlflow-artifacts/artifacts?path=${state.exp}/${state.run}/artifacts`),
    expect: 'secret.txt',
  },
  {
    surface: 'artifacts',
    name: 'list run artifacts',
    needs: [exp('SELECT')],
    run: (w) => mlflow(w, 'GET', `artifacts/list?run_id=${state.run}`),
    expect: 'secret.txt',
  },
  {
    surface: 'artifacts',
    name: 'upload',
    needs: [exp('MODIFY')],
    run: (w, k) =>
      http(
        w,
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/${state.exp}/${state.run}/artifacts/up-${k}.txt`,
        undefined,
        'x',
      ),
  },
  {
    surface: 'artifacts',
    name: 'delete',
    needs: [exp('MODIFY')],
    setup: async (k) =>
      void (await http(
        admin,
        'PUT',
        `/api/2.0/mlflow-artifacts/artifacts/${state.exp}/${state.run}/artifacts/d-${k}.txt`,
        undefined,
        'x',
      )),
    run: (w, k) =>
      http(w, 'DELETE', `/api/2.0/mlflow-artifacts/artifacts/${state.exp}/${state.run}/artifacts/d-${k}.txt`),
  },
  {
    surface: 'artifacts',
    name: 'list root',
    needs: [],
    run: (w) => http(w, 'GET', '/api/2.0/mlflow-artifacts/artifacts'),
    never: ['"{exp}"'],
  },
  // volumes (Files API)
  {
    surface: 'volumes',
    name: 'download',
    needs: [UC, US, ['READ VOLUME', 'VOLUME', 'mx.s.vol']],
    run: (w) => http(w, 'GET', '/api/2.0/fs/files/Volumes/mx/s/vol/secret.txt'),
    expect: 'SECRET-FILE',
  },
  {
    surface: 'volumes',
    name: 'list directory',
    needs: [UC, US, ['READ VOLUME', 'VOLUME', 'mx.s.vol']],
    run: (w) => http(w, 'GET', '/api/2.0/fs/directories/Volumes/mx/s/vol'),
    expect: 'secret.txt',
  },
  {
    surface: 'volumes',
    name: 'upload',
    needs: [UC, US, ['WRITE VOLUME', 'VOLUME', 'mx.s.vol']],
    run: (w, k) => http(w, 'PUT', `/api/2.0/fs/files/Volumes/mx/s/vol/up-${k}.txt`, undefined, 'x'),
  },
  {
    surface: 'volumes',
    name: 'delete',
    needs: [UC, US, ['WRITE VOLUME', 'VOLUME', 'mx.s.vol']],
    setup: async (k) =>
      void (await http(admin, 'PUT', `/api/2.0/fs/files/Volumes/mx/s/vol/d-${k}.txt`, undefined, 'x')),
    run: (w, k) => http(w, 'DELETE', `/api/2.0/fs/files/Volumes/mx/s/vol/d-${k}.txt`),
  },
  // catalog REST API
  {
    surface: 'catalog',
    name: 'get table',
    needs: [['SELECT', 'TABLE', T]],
    run: (w) => http(w, 'GET', `/api/2.1/unity-catalog/tables/${T}`),
    expect: 'secret',
  },
  {
    surface: 'catalog',
    name: 'list tables',
    needs: [UC, US],
    run: (w) => http(w, 'GET', '/api/2.1/unity-catalog/tables?catalog_name=mx&schema_name=s'),
    never: ['hidden_tbl'],
  },
  {
    surface: 'catalog',
    name: 'list schemas',
    needs: [UC],
    run: (w) => http(w, 'GET', '/api/2.1/unity-catalog/schemas?catalog_name=mx'),
    never: ['hidden_schema'],
  },
  {
    surface: 'catalog',
    name: 'list catalogs',
    needs: [],
    run: (w) => http(w, 'GET', '/api/2.1/unity-catalog/catalogs'),
    never: ['hiddencat'],
  },
  {
    surface: 'catalog',
    name: 'create schema',
    needs: [UC, ['CREATE SCHEMA', 'CATALOG', 'mx']],
    run: (w, k) => http(w, 'POST', '/api/2.1/unity-catalog/schemas', { name: `rs_${k}`, catalog_name: 'mx' }),
  },
  {
    surface: 'catalog',
    name: 'delete table',
    needs: [UC, US, ['MANAGE', 'TABLE', 'mx.s.rt_{k}']],
    setup: (k) => adminSql(`CREATE TABLE mx.s.rt_${k} (x INT)`),
    run: (w, k) => http(w, 'DELETE', `/api/2.1/unity-catalog/tables/mx.s.rt_${k}`),
  },
  // Unity Catalog API: permissions and temporary credentials
  {
    surface: 'uc',
    name: 'update permissions',
    needs: [UC, US, ['MANAGE', 'TABLE', T]],
    run: (w) =>
      http(w, 'PATCH', `/api/2.1/unity-catalog/permissions/table/${T}`, {
        changes: [{ principal: 'matrix-sink', add: ['SELECT'] }],
      }),
  },
  {
    surface: 'uc',
    name: 'temporary table credentials',
    needs: [UC, US, ['SELECT', 'TABLE', T]],
    run: (w) =>
      http(w, 'POST', '/api/2.1/unity-catalog/temporary-table-credentials', {
        table_id: state.tableId,
        operation: 'READ',
      }),
  },
  {
    surface: 'uc',
    name: 'temporary volume credentials',
    needs: [UC, US, ['READ VOLUME', 'VOLUME', 'mx.s.vol']],
    run: (w) =>
      http(w, 'POST', '/api/2.1/unity-catalog/temporary-volume-credentials', {
        volume_id: state.volumeId,
        operation: 'READ_VOLUME',
      }),
  },
];

/** Every op x (all grants, none, all but one). */
const CASES: Case[] = OPS.flatMap((op, i) => {
  const variants: Array<[string, Grant[], boolean]> = [['all', op.needs, true]];
  if (op.needs.length) variants.push(['none', [], false]);
  op.needs.forEach((g, j) => {
    if (op.needs.length > 1) variants.push([`without ${g[0]}`, op.needs.filter((_x, n) => n !== j), false]);
  });
  return variants.map(([variant, grants, allowed], v) => ({
    id: `${op.surface}: ${op.name} (${variant})`,
    op,
    k: `o${i}v${v}`,
    variant,
    grants,
    allowed,
  }));
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-gov-matrix-'));
  const config = loadConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  scPort = await freePort();
  config.sparkConnect = { ...config.sparkConnect, host: '127.0.0.1', port: scPort };
  let token = '';
  server = await startServer(config, {
    features: [sqlStatementsFeature(), sparkConnectFeature, mlflowFeature, filesFeature],
    logger: false,
    onAdminToken: (t) => (token = t),
  });
  admin = { name: 'admin', token };
  const cat = server.catalog;
  const lakehouse = new Lakehouse(cat.metastore);
  engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
  lakehouse.engine = engine;
  await cat.principals.ensurePrincipal('matrix-sink');

  for (const s of [
    'CREATE CATALOG mx',
    'CREATE CATALOG hiddencat',
    'CREATE SCHEMA mx.s',
    'CREATE SCHEMA mx.hidden_schema',
    'CREATE TABLE mx.s.t (id INT, secret STRING)',
    "INSERT INTO mx.s.t VALUES (1, 'SECRET-ROW')",
    'CREATE VIEW mx.s.v AS SELECT * FROM mx.s.t',
    'CREATE TABLE mx.s.w (id INT, secret STRING)',
    'CREATE TABLE mx.s.hidden_tbl (x INT)',
    'CREATE FUNCTION mx.s.fn(x INT) RETURNS INT RETURN x + 1',
  ])
    await adminSql(s);
  state.tableId = (await cat.metastore.getTable('mx', 's', 't')).id;
  const vol = await cat.metastore.createVolume({ catalog: 'mx', schema: 's', name: 'vol', owner: 'admin' });
  state.volumeId = vol.id;
  fs.writeFileSync(path.join(vol.storageLocation, 'secret.txt'), 'SECRET-FILE');
  // MLflow: an experiment with a run, a metric, a param and an artifact; a model with a version
  state.exp = JSON.parse(
    (await mlflow(admin, 'POST', 'experiments/create', { name: 'matrix-exp' })).text,
  ).experiment_id;
  state.run = JSON.parse(
    (await mlflow(admin, 'POST', 'runs/create', { experiment_id: state.exp })).text,
  ).run.info.run_id;
  await mlflow(admin, 'POST', 'runs/log-parameter', { run_id: state.run, key: 'p', value: 'SECRET-PARAM' });
  await mlflow(admin, 'POST', 'runs/log-metric', {
    run_id: state.run,
    key: 'secret_metric',
    value: 4242,
    timestamp: 1,
  });
  const put = await http(
    admin,
    'PUT',
    `/api/2.0/mlflow-artifacts/artifacts/${state.exp}/${state.run}/artifacts/secret.txt`,
    undefined,
    'SECRET-ART',
  );
  expect(put.ok, put.text).toBe(true);
  await mlflow(admin, 'POST', 'registered-models/create', { name: 'matrix-model', description: 'SECRET-MODEL' });
  await mlflow(admin, 'POST', 'model-versions/create', {
    name: 'matrix-model',
    source: 'mlflow-artifacts:/SECRET-SOURCE',
  });

  // one principal per case, holding exactly the case's grants
  const authz = new Authorizer(cat.database.db);
  const who = new Map<string, Who>();
  for (const c of CASES) {
    if (c.op.setup) await c.op.setup(c.k);
    const name = `u-${c.k}`;
    await cat.principals.ensurePrincipal(name);
    const { token: t } = await cat.principals.createToken(name);
    who.set(c.id, { name, token: t });
    for (const [p, type, n] of c.grants) await authz.grant(ADMIN, { type, name: sub(n, c.k) }, name, [p]);
  }
  // run: HTTP and engine cases in order, then every Spark Connect case in one PySpark process
  const py: Array<{ id: string; url: string; op: string; arg: string }> = [];
  for (const c of CASES) {
    const w = who.get(c.id)!;
    if (c.op.py)
      py.push({
        id: c.id,
        url: `sc://localhost:${scPort}/;token=${w.token}`,
        op: c.op.py.op,
        arg: sub(c.op.py.arg, c.k),
      });
    else outcomes.set(c.id, await c.op.run!(w, c.k));
  }
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      venvPython(),
      [path.join(REPO_ROOT, 'tests', 'governance', 'connect_matrix.py')],
      { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
    child.stdin!.end(JSON.stringify(py));
  });
  const results = (
    JSON.parse(out.trim().split('\n').pop()!) as {
      results: Array<{ id: string; ok: boolean; cond?: string; cls?: string; text: string }>;
    }
  ).results;
  for (const r of results) outcomes.set(r.id, { ok: r.ok, text: r.text, ...(r.ok ? {} : { code: r.cond ?? r.cls }) });
}, 900_000);

afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('authorization matrix', () => {
  it('has hundreds of generated cases on every surface', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(200);
    expect(new Set(CASES.map((c) => c.op.surface))).toEqual(
      new Set(['sql', 'statement-api', 'spark-connect', 'mlflow', 'artifacts', 'volumes', 'catalog', 'uc']),
    );
    expect(CASES.filter((c) => c.allowed).length).toBeGreaterThan(40);
  });

  it.each(CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const o = outcomes.get(c.id);
    expect(o, 'the case ran').toBeDefined();
    for (const n of c.op.never ?? []) expect(o!.text, `leaks ${n}`).not.toContain(sub(n, c.k));
    if (c.allowed) {
      expect(o!.ok, o!.text.slice(0, 500)).toBe(true);
      if (c.op.expect) expect(o!.text).toContain(c.op.expect);
    } else {
      expect(o!.ok, `should be denied: ${o!.text.slice(0, 300)}`).toBe(false);
      expect(o!.code, o!.text.slice(0, 500)).toBe('PERMISSION_DENIED');
      if (o!.status !== undefined && c.op.surface !== 'statement-api') expect(o!.status).toBe(403);
      expect(o!.text).not.toMatch(/SECRET-(ROW|PARAM|ART|FILE|MODEL|SOURCE)/);
      if (c.op.expect) expect(o!.text).not.toContain(c.op.expect);
    }
  });
});
