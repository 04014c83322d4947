import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTable, readRows } from '@lakebox/delta';
import { loadConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/start.js';

// Acceptance 5: tokens, passwords and sessions are stored hashed (the test reads the database and
// every file under the data directory); brute force is rate limited on a real listening server.

let server: RunningServer;
let dir: string;
let admin: string;

async function api(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(server.url + url, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
}

function filesUnder(d: string): string[] {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-secrets-'));
  server = await startServer(loadConfig({ dataDir: dir, port: 0, logLevel: 'silent' }, {}), {
    features: [],
    logger: false,
  });
  admin = server.createdAdminToken!;
});
afterAll(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('secrets at rest', () => {
  it('stores only hashes of tokens, passwords and sessions', async () => {
    const PASSWORD = 'Tr0ub4dor&3-horse-staple';
    const u = await api('POST', '/api/2.0/preview/scim/v2/Users', {
      userName: 'hashed@example.com',
      password: PASSWORD,
    });
    expect(u.status).toBe(201);
    const tok = await api('POST', '/api/2.0/token/create', { comment: 'at rest', lifetime_seconds: 3600 });
    const token = tok.json.token_value as string;
    const login = await fetch(server.url + '/api/2.0/lakebox/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_name: 'hashed@example.com', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
    const session = /lakebox_session=([^;]+)/.exec(login.headers.getSetCookie().join('\n'))![1]!;

    // what the database holds
    const db = server.catalog.database.db;
    const t = await db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', tok.json.token_info.token_id)
      .executeTakeFirstOrThrow();
    expect(t.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    const p = await db
      .selectFrom('principals')
      .selectAll()
      .where('name', '=', 'hashed@example.com')
      .executeTakeFirstOrThrow();
    expect(p.password_hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]{20,}\$[A-Za-z0-9+/=]{40,}$/);
    const s = await db.selectFrom('sessions').selectAll().execute();
    expect(s.map((x) => x.id)).toContain(createHash('sha256').update(session).digest('hex'));
    const secrets = [token, token.slice(4), admin.slice(4), PASSWORD, session, csrf];
    const dump = JSON.stringify({
      tokens: await db.selectFrom('tokens').selectAll().execute(),
      principals: await db.selectFrom('principals').selectAll().execute(),
      sessions: s,
    });
    for (const secret of secrets) expect(dump).not.toContain(secret);

    // the audit log recorded these calls, but none of the secrets
    await server.app.lakeboxAudit.flush();
    const audit = await server.catalog.metastore.getTable('system', 'access', 'audit');
    const rows = await readRows(await (await DeltaTable.open(audit.storageLocation!)).snapshot());
    expect(rows.some((r) => r.action_name === 'POST /api/2.0/lakebox/login')).toBe(true);
    const auditText = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of secrets) expect(auditText).not.toContain(secret);

    // and no file under the data directory (metastore database, its WAL, Delta tables) holds one
    await server.close();
    for (const f of filesUnder(dir)) {
      const bytes = fs.readFileSync(f);
      for (const secret of secrets) expect(bytes.includes(Buffer.from(secret)), `${secret} in ${f}`).toBe(false);
    }
  });
});

describe('brute force', () => {
  let s2: RunningServer;
  let d2: string;
  beforeAll(async () => {
    d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-brute-'));
    s2 = await startServer(loadConfig({ dataDir: d2, port: 0, logLevel: 'silent' }, {}), {
      features: [],
      logger: false,
    });
  });
  afterAll(async () => {
    await s2?.close();
    if (d2) fs.rmSync(d2, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After after 10 failed logins, and after 30 bad tokens', async () => {
    const tryLogin = (password: string) =>
      fetch(s2.url + '/api/2.0/lakebox/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_name: 'admin', password }),
      });
    for (let i = 0; i < 10; i++) expect((await tryLogin(`guess-number-${i}`)).status).toBe(401);
    const blocked = await tryLogin('guess-number-10');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error_code: string }).error_code).toBe('REQUEST_LIMIT_EXCEEDED');

    const bad = (n: number) =>
      fetch(s2.url + '/api/2.1/unity-catalog/catalogs', {
        headers: { authorization: `Bearer lbx_${n.toString(16).padStart(64, '0')}` },
      });
    for (let i = 0; i < 30; i++) expect((await bad(i)).status).toBe(401);
    const r = await bad(30);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // even a valid token from this address waits: the address is blocked, not the token
    const ok = await fetch(s2.url + '/api/2.1/unity-catalog/catalogs', {
      headers: { authorization: `Bearer ${s2.createdAdminToken}` },
    });
    expect(ok.status).toBe(429);
  });
});
