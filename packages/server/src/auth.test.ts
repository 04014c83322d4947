import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { principalOf, type LakeboxFeature } from './context.js';
import { testApp } from './test-helpers.js';

let t: Awaited<ReturnType<typeof testApp>>;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const probe: LakeboxFeature = {
  name: 'probe',
  prefix: '/api/probe',
  plugin: async (app, opts) => {
    app.get('/whoami', async (request) => ({ user: principalOf(request).name, dialect: opts.dialect }));
    app.get('/open', { config: { public: true } }, async (request) => ({ authenticated: request.lakebox !== null }));
    app.get('/boom', async () => {
      throw new Error('secret internal detail');
    });
  },
};

beforeEach(async () => {
  t = await testApp([probe]);
});
afterEach(async () => {
  await t.close();
});

describe('authentication', () => {
  it('serves /health without a token', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(mine.headers['x-request-id']).toBe('abc-123');
    expect(r.json()).toMatchObject({ status: 'ok' });
  });

  it('rejects a request without a token with 401 and a JSON error', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/2.1/unity-catalog/catalogs' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(r.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    expect(r.json().message).toMatch(/Bearer/);
  });

  it('rejects unknown, malformed and wrongly-prefixed tokens', async () => {
    for (const h of [
      bearer('lbx_' + '0'.repeat(64)),
      bearer('not-a-token'),
      bearer(t.adminToken + 'x'),
      { authorization: 'Token abc' },
      { authorization: 'Bearer' },
    ]) {
      const r = await t.app.inject({ method: 'GET', url: '/api/2.1/unity-catalog/catalogs', headers: h });
      expect(r.statusCode, JSON.stringify(h)).toBe(401);
      expect(r.json().error_code).toBe('UNAUTHENTICATED');
    }
  });

  it('accepts a good token and exposes the principal to plugins', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(t.adminToken) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ user: 'admin', dialect: 'sqlite' });
    const cats = await t.app.inject({
      method: 'GET',
      url: '/api/2.1/unity-catalog/catalogs',
      headers: bearer(t.adminToken),
    });
    expect(cats.statusCode).toBe(200);
    expect(cats.json().catalogs.map((c: { name: string }) => c.name)).toEqual(['main', 'system']);
  });

  it('accepts the token as the password of HTTP Basic auth', async () => {
    const basic = 'Basic ' + Buffer.from(`admin:${t.adminToken}`).toString('base64');
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: { authorization: basic } });
    expect(r.statusCode).toBe(200);
  });

  it('rejects an expired token', async () => {
    const { token } = await t.catalog.principals.createToken('admin', {
      lifetimeSeconds: 60,
      now: Date.now() - 61_000,
    });
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(token) });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toMatch(/expired/);
  });

  it('accepts a token before its expiry', async () => {
    const { token } = await t.catalog.principals.createToken('admin', { lifetimeSeconds: 3600 });
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(token) });
    expect(r.statusCode).toBe(200);
  });

  it('rejects a revoked token (revoked through the Token API)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/create',
      headers: bearer(t.adminToken),
      payload: { comment: 'to revoke', lifetime_seconds: 600 },
    });
    expect(created.statusCode).toBe(200);
    const { token_value, token_info } = created.json();
    expect(token_value).toMatch(/^lbx_[0-9a-f]{64}$/);
    expect(token_info).toMatchObject({ comment: 'to revoke' });
    expect(token_info.expiry_time - token_info.creation_time).toBe(600_000);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(token_value) })).statusCode,
    ).toBe(200);

    const list = await t.app.inject({ method: 'GET', url: '/api/2.0/token/list', headers: bearer(t.adminToken) });
    expect(list.json().token_infos.map((x: { token_id: string }) => x.token_id)).toContain(token_info.token_id);

    const del = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/delete',
      headers: bearer(t.adminToken),
      payload: { token_id: token_info.token_id },
    });
    expect(del.statusCode).toBe(200);
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(token_value) });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toMatch(/revoked/);
    const list2 = await t.app.inject({ method: 'GET', url: '/api/2.0/token/list', headers: bearer(t.adminToken) });
    expect(list2.json().token_infos.map((x: { token_id: string }) => x.token_id)).not.toContain(token_info.token_id);
  });

  it('lets a non-admin manage only their own tokens', async () => {
    const alice = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/create',
      headers: bearer(t.adminToken),
      payload: { user_name: 'alice' },
    });
    expect(alice.statusCode).toBe(200);
    const aliceToken = alice.json().token_value;
    const me = await t.app.inject({ method: 'GET', url: '/api/2.0/preview/scim/v2/Me', headers: bearer(aliceToken) });
    expect(me.json()).toMatchObject({ userName: 'alice' });
    const forBob = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/create',
      headers: bearer(aliceToken),
      payload: { user_name: 'bob' },
    });
    expect(forBob.statusCode).toBe(403);
    expect(forBob.json().error_code).toBe('PERMISSION_DENIED');
    const adminTokens = await t.catalog.principals.listTokens('admin');
    const del = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/delete',
      headers: bearer(aliceToken),
      payload: { token_id: adminTokens[0]!.tokenId },
    });
    expect(del.statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/probe/whoami', headers: bearer(t.adminToken) })).statusCode,
    ).toBe(200);
  });

  it('leaves public routes open but unauthenticated', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/open' });
    expect(r.json()).toEqual({ authenticated: false });
  });
});

describe('error responses', () => {
  it('hides internal errors behind a generic 500', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/probe/boom', headers: bearer(t.adminToken) });
    expect(r.statusCode).toBe(500);
    expect(r.json().error_code).toBe('INTERNAL_ERROR');
    expect(r.body).not.toContain('secret internal detail');
    expect(r.body).not.toContain('    at ');
  });

  it('answers malformed JSON with 400', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/token/create',
      headers: { ...bearer(t.adminToken), 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error_code).toBe('MALFORMED_REQUEST');
  });

  it('answers an unknown endpoint with 404 ENDPOINT_NOT_FOUND (after auth)', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/9.9/nothing', headers: bearer(t.adminToken) });
    expect(r.statusCode).toBe(404);
    expect(r.json().error_code).toBe('ENDPOINT_NOT_FOUND');
    expect((await t.app.inject({ method: 'GET', url: '/api/9.9/nothing' })).statusCode).toBe(401);
  });

  it('turns metastore errors into their status and Spark error class', async () => {
    const r = await t.app.inject({
      method: 'GET',
      url: '/api/2.1/unity-catalog/schemas/main.defalt',
      headers: bearer(t.adminToken),
    });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error_code: 'SCHEMA_NOT_FOUND', sql_state: '42704' });
    expect(r.json().message).toContain('`main`.`default`');
  });
});
