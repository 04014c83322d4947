import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../../server/src/test-helpers.js';
import { webFeature } from './index.js';

describe('web feature: saved queries API and the single-page app', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'lbx-web-dist-'));
  const auth = () => ({ authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    fs.writeFileSync(path.join(dist, 'assets', 'app-abc.js'), 'console.log(1)');
    t = await testApp([webFeature({ distDir: dist })]);
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('creates, lists, updates and deletes a saved query with its chart', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/lakebox/queries',
      headers: auth(),
      payload: { name: 'by city', sql: 'SELECT * FROM t WHERE city = :city', chart: { type: 'bar', x: 'city' } },
    });
    expect(created.statusCode).toBe(200);
    const q = created.json();
    expect(q).toMatchObject({ name: 'by city', sql: 'SELECT * FROM t WHERE city = :city', owner: 'admin' });
    expect(q.chart).toEqual({ type: 'bar', x: 'city' });

    const list = await t.app.inject({ url: '/api/2.0/lakebox/queries', headers: auth() });
    expect(list.json().queries.map((x: { id: string }) => x.id)).toEqual([q.id]);

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/2.0/lakebox/queries/${q.id}`,
      headers: auth(),
      payload: { chart: null, name: 'renamed' },
    });
    expect(patched.json()).toMatchObject({ name: 'renamed', chart: null, sql: q.sql });
    expect(patched.json().updated_at).toBeGreaterThan(q.updated_at);

    const del = await t.app.inject({ method: 'DELETE', url: `/api/2.0/lakebox/queries/${q.id}`, headers: auth() });
    expect(del.statusCode).toBe(200);
    const gone = await t.app.inject({ url: `/api/2.0/lakebox/queries/${q.id}`, headers: auth() });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('rejects bad input with a message and requires a token', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/lakebox/queries',
      headers: auth(),
      payload: { name: '', sql: 'SELECT 1' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/name is required/);
    const anon = await t.app.inject({ url: '/api/2.0/lakebox/queries' });
    expect(anon.statusCode).toBe(401);
  });

  it('serves the app publicly, index.html for client routes, and 404 JSON for unknown APIs', async () => {
    const root = await t.app.inject({ url: '/' });
    expect(root.statusCode).toBe(200);
    expect(root.body).toContain('id="root"');
    const deep = await t.app.inject({ url: '/explore/main/default/trips' });
    expect(deep.body).toContain('id="root"');
    const asset = await t.app.inject({ url: '/assets/app-abc.js' });
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');
    const missingAsset = await t.app.inject({ url: '/assets/nope.js' });
    expect(missingAsset.statusCode).toBe(404);
    const escape = await t.app.inject({ url: '/..%2f..%2fetc/passwd' });
    expect(escape.body).not.toContain('root:');
    const api = await t.app.inject({ url: '/api/2.0/nothing-here', headers: auth() });
    expect(api.statusCode).toBe(404);
    expect(api.json().error_code).toBe('ENDPOINT_NOT_FOUND');
    // APIs stay authenticated
    const uc = await t.app.inject({ url: '/api/2.1/unity-catalog/catalogs' });
    expect(uc.statusCode).toBe(401);
  });
});
