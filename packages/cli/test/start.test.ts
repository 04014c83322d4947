import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../tests/support/postgres.js';

// The real `lakebox start` binary on a free port with a temp data dir: first-start admin token,
// /health, authenticated APIs, `lakebox token create` (on the data dir and through the API),
// a restart that prints no new token, PostgreSQL as the metastore, and a clean SIGTERM exit.

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/lakebox.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
let pgServer: PostgresServer | undefined;

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await pgServer?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `lakebox start` and resolve once its log says it listens (or reject if it exits first). */
async function start(data: string, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, 'start', '--port', String(port), '--spark-connect-port', '0', '--data', data],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('"lakebox listening"')) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    exited.then(({ code }) => reject(new Error(`lakebox start exited with ${code} before listening:\n${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

async function get(url: string, token?: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: await r.json() };
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-start-'));
  dirs.push(d);
  return d;
}

describe('lakebox start', () => {
  it('serves with token auth from the first start, and stops cleanly on SIGTERM', async () => {
    const data = path.join(tempDir(), 'data');
    const s = await start(data);
    const adminToken = /lbx_[0-9a-f]{64}/.exec(s.output())?.[0];
    expect(adminToken, s.output()).toBeDefined();
    expect(s.output()).toContain('shown only this once');

    expect(await get(`${s.url}/health`)).toEqual({ status: 200, body: { status: 'ok', version: expect.any(String) } });
    const noToken = await get(`${s.url}/api/2.1/unity-catalog/catalogs`);
    expect(noToken.status).toBe(401);
    expect(noToken.body.error_code).toBe('UNAUTHENTICATED');
    const cats = await get(`${s.url}/api/2.1/unity-catalog/catalogs`, adminToken);
    expect(cats.status).toBe(200);
    expect(cats.body.catalogs.map((c: { name: string }) => c.name)).toEqual(['main', 'system']);
    const schemas = await get(`${s.url}/api/2.1/unity-catalog/schemas?catalog_name=main`, adminToken);
    expect(schemas.body.schemas.map((x: { full_name: string }) => x.full_name)).toEqual(['main.default']);

    // a token made on the data directory (while the server runs) works against the server
    const local = await run(process.execPath, [
      bin,
      'token',
      'create',
      '--data',
      data,
      '--user',
      'bob',
      '--comment',
      'cli',
    ]);
    const bobToken = local.stdout.trim();
    expect(bobToken).toMatch(/^lbx_[0-9a-f]{64}$/);
    const me = await get(`${s.url}/api/2.0/preview/scim/v2/Me`, bobToken);
    expect(me).toMatchObject({ status: 200, body: { userName: 'bob' } });

    // and through the API with an existing token
    const remote = await run(process.execPath, [
      bin,
      'token',
      'create',
      '--server',
      s.url,
      '--token',
      bobToken,
      '--lifetime-seconds',
      '600',
    ]);
    const bobToken2 = remote.stdout.trim();
    expect(bobToken2).toMatch(/^lbx_[0-9a-f]{64}$/);
    expect((await get(`${s.url}/api/2.0/token/list`, bobToken2)).body.token_infos).toHaveLength(2);
    const bad = await run(process.execPath, [bin, 'token', 'list', '--server', s.url, '--token', 'lbx_nope']).catch(
      (e) => e,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[UNAUTHENTICATED]');
    expect(bad.stderr).not.toContain('    at ');

    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.output()).toContain('"msg":"stopped"');
    expect(fs.existsSync(path.join(data, 'metastore.db'))).toBe(true);

    // a second start keeps the data and prints no new token
    const again = await start(data);
    expect(again.output()).not.toMatch(/lbx_[0-9a-f]{64}/);
    expect((await get(`${again.url}/api/2.0/preview/scim/v2/Me`, adminToken)).body.userName).toBe('admin');
    again.child.kill('SIGINT');
    expect(await again.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps its metastore in PostgreSQL when LAKEBOX_METASTORE_URL says so', async () => {
    pgServer = await startPostgres();
    const url = await pgServer.createDatabase('lakebox_start');
    const s = await start(path.join(tempDir(), 'data'), { LAKEBOX_METASTORE_URL: url });
    const token = /lbx_[0-9a-f]{64}/.exec(s.output())?.[0];
    expect(token).toBeDefined();
    expect(s.output()).toContain(`"metastore":"postgres://postgres@127.0.0.1:${pgServer.port}/lakebox_start"`);
    const created = await fetch(`${s.url}/api/2.1/unity-catalog/schemas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ catalog_name: 'main', name: 'bronze', comment: 'raw data' }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ full_name: 'main.bronze', owner: 'admin', comment: 'raw data' });
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a port in use with one clear line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const data = path.join(tempDir(), 'd');
      const err = await run(process.execPath, [bin, 'start', '--port', String(port), '--data', data]).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr).toContain('[PORT_IN_USE]');
      expect(err.stderr).not.toContain('    at ');
      // the failed start did not consume the one-time admin token
      const s = await start(data);
      expect(s.output()).toMatch(/lbx_[0-9a-f]{64}/);
      s.child.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 0, signal: null });
    } finally {
      blocker.close();
    }
  });
});
