import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from '../test-helpers.js';

let t: Awaited<ReturnType<typeof testApp>>;

beforeEach(async () => {
  t = await testApp([], { securityLimits: { loginMaxFailures: 3, tokenMaxFailures: 4, windowMs: 60_000 } });
  await t.catalog.principals.createPrincipal('ann');
  await t.catalog.principals.setPassword('ann', 'a long enough password');
});
afterEach(async () => {
  await t.close();
});

const login = (user: string, password: string, extra: Record<string, unknown> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/2.0/lakebox/login', payload: { user_name: user, password }, ...extra });

function cookies(setCookie: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const [kv] = c.split(';');
    const i = kv!.indexOf('=');
    out[kv!.slice(0, i)] = kv!.slice(i + 1);
  }
  return out;
}

describe('web-UI login', () => {
  it('issues an HttpOnly SameSite=Strict session cookie that authenticates requests', async () => {
    const r = await login('ann', 'a long enough password');
    expect(r.statusCode).toBe(200);
    const set = r.headers['set-cookie'] as string[];
    const session = set.find((c) => c.startsWith('lakebox_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Secure/); // plain HTTP in this test; Secure over TLS:
    const behindTls = await login('ann', 'a long enough password', {
      headers: { 'x-forwarded-proto': 'https', origin: 'https://localhost:80' },
    });
    expect(behindTls.statusCode).toBe(200);
    for (const c of behindTls.headers['set-cookie'] as string[]) expect(c).toMatch(/; Secure/);
    expect(set.find((c) => c.startsWith('lakebox_csrf='))).not.toMatch(/HttpOnly/);
    const { lakebox_session, lakebox_csrf } = cookies(set);
    expect(r.json()).toMatchObject({ user_name: 'ann', csrf_token: lakebox_csrf });
    const cookie = `lakebox_session=${lakebox_session}; lakebox_csrf=${lakebox_csrf}`;

    const me = await t.app.inject({ method: 'GET', url: '/api/2.0/preview/scim/v2/Me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().userName).toBe('ann');

    // state-changing requests by cookie need the CSRF token, and a same-origin Origin
    const post = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/api/2.0/token/create', headers: { cookie, ...headers }, payload: {} });
    expect((await post({})).statusCode).toBe(403);
    expect((await post({ 'x-csrf-token': 'forged' })).statusCode).toBe(403);
    expect((await post({ 'x-csrf-token': lakebox_csrf!, origin: 'https://evil.example' })).statusCode).toBe(403);
    const ok = await post({ 'x-csrf-token': lakebox_csrf!, origin: 'http://localhost:80' });
    expect(ok.statusCode).toBe(200);

    const out = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/lakebox/logout',
      headers: { cookie, 'x-csrf-token': lakebox_csrf! },
    });
    expect(out.statusCode).toBe(200);
    expect(cookies(out.headers['set-cookie'])['lakebox_session']).toBe('');
    const after = await t.app.inject({ method: 'GET', url: '/api/2.0/preview/scim/v2/Me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('answers every wrong login the same way and refuses cross-site login forms', async () => {
    for (const [u, p] of [
      ['ann', 'wrong password!'],
      ['nobody', 'a long enough password'],
      ['admin', 'whatever password'],
    ]) {
      const r = await login(u!, p!, { remoteAddress: `10.0.0.${u!.length}` });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ error_code: 'UNAUTHENTICATED', message: 'invalid user name or password' });
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const x = await login('ann', 'a long enough password', { headers: { origin: 'https://evil.example' } });
    expect(x.statusCode).toBe(403);
  });

  it('rate-limits failed logins per IP and per user, with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await login('ann', `wrong password ${i}`)).statusCode).toBe(401);
    const blocked = await login('ann', 'a long enough password');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json().error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    // the same user from another address is blocked too (per-user limit) ...
    expect((await login('ann', 'a long enough password', { remoteAddress: '10.9.9.9' })).statusCode).toBe(429);
    // ... and the first address is blocked for other users (per-IP limit)
    await t.catalog.principals.createPrincipal('ben');
    await t.catalog.principals.setPassword('ben', 'another long password');
    expect((await login('ben', 'another long password')).statusCode).toBe(429);
    expect((await login('ben', 'another long password', { remoteAddress: '10.9.9.8' })).statusCode).toBe(200);
  });

  it('rate-limits bad tokens per IP', async () => {
    const bad = { authorization: 'Bearer lbx_' + '0'.repeat(64) };
    for (let i = 0; i < 4; i++) {
      const r = await t.app.inject({ method: 'GET', url: '/api/2.0/token/list', headers: bad });
      expect(r.statusCode).toBe(401);
    }
    const r = await t.app.inject({ method: 'GET', url: '/api/2.0/token/list', headers: bad });
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // requests without credentials are 401 (not counted), other addresses unaffected
    const other = await t.app.inject({
      method: 'GET',
      url: '/api/2.0/token/list',
      headers: { authorization: `Bearer ${t.adminToken}` },
      remoteAddress: '10.1.1.1',
    });
    expect(other.statusCode).toBe(200);
  });

  it('lets a user change their own password (current password required)', async () => {
    const token = (await t.catalog.principals.createToken('ann')).token;
    const h = { authorization: `Bearer ${token}` };
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/lakebox/password',
      headers: h,
      payload: { current_password: 'nope nope nope', new_password: 'a brand new password' },
    });
    expect(wrong.statusCode).toBe(403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/lakebox/password',
      headers: h,
      payload: { current_password: 'a long enough password', new_password: 'a brand new password' },
    });
    expect(ok.statusCode).toBe(200);
    expect((await login('ann', 'a brand new password', { remoteAddress: '10.2.2.2' })).statusCode).toBe(200);
  });
});
