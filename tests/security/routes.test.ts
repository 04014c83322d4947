import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFeatures } from '../../packages/server/src/plugins.js';
import { testApp } from '../../packages/server/src/test-helpers.js';

// Acceptance 5: no endpoint answers without authentication. Every route registered on the
// workspace server (built-in APIs and every feature: SQL statements, Spark Connect's HTTP side,
// MLflow, files, the web workspace) is called without credentials, with a bad token and with a
// forged session cookie; each must answer 401, except this explicit public allow-list.

const PUBLIC: Array<{ method: string; url: string; why: string }> = [
  { method: 'GET', url: '/health', why: 'liveness probe (status and version only)' },
  { method: 'HEAD', url: '/health', why: 'liveness probe' },
  { method: 'POST', url: '/api/2.0/lakebox/login', why: 'the sign-in form itself' },
  { method: 'GET', url: '/*', why: 'the web workspace: static files of the single-page app, no data' },
  { method: 'HEAD', url: '/*', why: 'the web workspace static files' },
];

let t: Awaited<ReturnType<typeof testApp>>;

beforeAll(async () => {
  t = await testApp(await loadFeatures(), { audit: false });
  await t.app.ready();
});
afterAll(async () => {
  await t?.close();
});

/** A concrete URL for a route pattern: every parameter becomes a plausible value. */
function concrete(url: string): string {
  return url
    .replace(/:(\w+)(\([^)]*\))?/g, (_m, name: string) => (/id$/i.test(name) ? '1' : 'x'))
    .replace(/\*/g, 'Volumes/main/default/v/f.txt');
}

describe('every route requires authentication', () => {
  it('knows the routes of every feature', () => {
    const urls = new Set(t.app.lakeboxRoutes.map((r) => r.url));
    for (const u of [
      '/api/2.1/unity-catalog/tables/:full',
      '/api/2.0/preview/scim/v2/Users',
      '/api/2.0/token/create',
      '/api/2.0/token-management/tokens',
      '/api/2.0/sql/statements',
      '/api/2.0/mlflow/experiments/create',
      '/api/2.0/lakebox/logout',
    ]) {
      expect(urls, u).toContain(u);
    }
    expect(t.app.lakeboxRoutes.length).toBeGreaterThan(150);
  });

  it('answers 401 on every non-public route without credentials, with a bad token or a forged cookie', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of t.app.lakeboxRoutes) {
      const isAllowed = PUBLIC.some((p) => p.method === r.method && p.url === r.url);
      if (r.public) {
        if (!isAllowed) failures.push(`${r.method} ${r.url} is public but not in the allow-list`);
        continue;
      }
      if (isAllowed) failures.push(`${r.method} ${r.url} is allow-listed but requires authentication`);
      const url = concrete(r.url);
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) ? { payload: {} } : {};
      for (const headers of [
        {},
        { authorization: 'Bearer lbx_' + 'f'.repeat(64) },
        { cookie: 'lakebox_session=forged-session-value' },
      ]) {
        // a fresh address per attempt: this test is about authentication, not the rate limiter
        const remoteAddress = `10.${(checked >> 16) & 255}.${(checked >> 8) & 255}.${checked & 255}`;
        checked++;
        const res = await t.app.inject({ method: r.method as 'GET', url, headers, remoteAddress, ...body });
        if (res.statusCode !== 401) {
          failures.push(`${r.method} ${url} (${Object.keys(headers).join() || 'no credentials'}) -> ${res.statusCode}`);
        } else if (r.method !== 'HEAD' && res.json().error_code !== 'UNAUTHENTICATED') {
          failures.push(`${r.method} ${url} -> 401 without error_code UNAUTHENTICATED`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(450);
  });

  it('the public routes give nothing away', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(Object.keys(health.json()).sort()).toEqual(['status', 'version']);
    // the web catch-all never serves an API path, a file outside its directory, or data
    for (const url of [
      '/api/2.0/secret',
      '/ajax-api/2.0/mlflow/runs/search',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/../package.json',
    ]) {
      const r = await t.app.inject({ method: 'GET', url });
      expect(r.body, url).not.toMatch(/root:x:0:0|"workspaces"|"name": "lakebox"/);
      if (url.includes('api')) expect([401, 404], url).toContain(r.statusCode);
    }
    const login = await t.app.inject({ method: 'POST', url: '/api/2.0/lakebox/login', payload: {} });
    expect(login.statusCode).toBe(400);
  });
});
