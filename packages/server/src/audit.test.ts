import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '@lakebox/catalog';
import { DeltaTable, readRows } from '@lakebox/delta';
import { testApp } from './test-helpers.js';

let t: Awaited<ReturnType<typeof testApp>>;
let userToken: string;

beforeAll(async () => {
  // a long interval: the test flushes explicitly, so it never depends on timing
  t = await testApp([], { audit: { flushIntervalMs: 3_600_000 } });
  await t.catalog.principals.createPrincipal('uma');
  userToken = (await t.catalog.principals.createToken('uma')).token;
});
afterAll(async () => {
  await t?.close();
});

async function auditRows(): Promise<Record<string, any>[]> {
  await t.app.lakeboxAudit.flush();
  const info = await t.catalog.metastore.getTable('system', 'access', 'audit');
  const snap = await (await DeltaTable.open(info.storageLocation!)).snapshot();
  return readRows(snap);
}

describe('audit log', () => {
  it('records allowed and denied HTTP calls in system.access.audit, without secrets', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: '/api/2.1/unity-catalog/catalogs/main',
      headers: { authorization: `Bearer ${t.adminToken}`, 'user-agent': 'audit-test/1' },
    });
    expect(ok.statusCode).toBe(200);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/2.0/preview/scim/v2/Groups',
      headers: { authorization: `Bearer ${userToken}` },
      payload: { displayName: 'sneaky' },
    });
    expect(denied.statusCode).toBe(403);
    const anon = await t.app.inject({ method: 'GET', url: '/api/2.0/token/list?token=lbx_secret_in_query' });
    expect(anon.statusCode).toBe(401);
    await t.app.inject({ method: 'GET', url: '/health' });

    const rows = await auditRows();
    const byReq = new Map(rows.map((r) => [r.request_id, r]));
    const a = byReq.get(ok.headers['x-request-id'])!;
    expect(a).toMatchObject({
      service_name: 'unityCatalog',
      action_name: 'GET /api/2.1/unity-catalog/catalogs/:name',
      user_identity: { email: 'admin', subject_name: 'admin' },
      object_type: 'CATALOG',
      object_name: 'main',
      allowed: true,
      source_ip_address: '127.0.0.1',
      user_agent: 'audit-test/1',
      response: { status_code: 200, error_message: null },
    });
    expect(a.event_time).toBeInstanceOf(Date);
    const d = byReq.get(denied.headers['x-request-id'])!;
    expect(d).toMatchObject({
      service_name: 'accounts',
      user_identity: { email: 'uma' },
      allowed: false,
      response: { status_code: 403 },
    });
    expect(d.response.error_message).toMatch(/^PERMISSION_DENIED: /);
    const n = byReq.get(anon.headers['x-request-id'])!;
    expect(n).toMatchObject({ user_identity: null, allowed: false, response: { status_code: 401 } });
    expect(JSON.stringify(rows)).not.toContain('lbx_secret_in_query');
    expect(rows.some((r) => String(r.action_name).includes('/health'))).toBe(false);
  });

  it('takes events from any package through audit()', async () => {
    audit({
      user: 'uma',
      service: 'sql',
      action: 'executeStatement',
      allowed: false,
      status: 403,
      errorCode: 'PERMISSION_DENIED',
      objectType: 'TABLE',
      objectName: 'main.default.secret',
      params: { statement: 'SELECT * FROM main.default.secret', password: 'hunter2' },
    });
    const rows = await auditRows();
    const r = rows.find((x) => x.action_name === 'executeStatement')!;
    expect(r).toMatchObject({ service_name: 'sql', allowed: false, object_name: 'main.default.secret' });
    // a MAP comes back from DuckDB as [{key, value}]
    const params = Object.fromEntries(
      (r.request_params as Array<{ key: string; value: string }>).map((e) => [e.key, e.value]),
    );
    expect(params).toMatchObject({ statement: 'SELECT * FROM main.default.secret', password: '[redacted]' });
  });
});
