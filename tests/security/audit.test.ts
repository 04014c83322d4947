import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStatementsFeature } from '@lakebox/engine';
import { testApp } from '../../packages/server/src/test-helpers.js';

// Acceptance 3 (audit half): allowed and denied calls (HTTP APIs and SQL statements) are
// recorded in system.access.audit, a Delta table that administrators, and only they, query with SQL.

let t: Awaited<ReturnType<typeof testApp>>;
let ursula: string;

beforeAll(async () => {
  // the test flushes the audit log itself; the timer never fires during the test
  t = await testApp([sqlStatementsFeature()], { audit: { flushIntervalMs: 3_600_000 } });
  await t.catalog.principals.createPrincipal('ursula');
  ursula = (await t.catalog.principals.createToken('ursula')).token;
});
afterAll(async () => {
  await t?.close();
});

async function sql(token: string, statement: string) {
  const r = await t.app.inject({
    method: 'POST',
    url: '/api/2.0/sql/statements',
    headers: { authorization: `Bearer ${token}` },
    payload: { statement, wait_timeout: '50s' },
  });
  expect(r.statusCode).toBe(200);
  const b = r.json();
  return {
    id: b.statement_id as string,
    state: b.status.state as string,
    error: b.status.error as { error_code: string; message: string } | undefined,
    rows: (b.result?.data_array ?? []) as unknown[][],
    columns: (b.manifest?.schema?.columns ?? []).map((c: { name: string }) => c.name) as string[],
  };
}

describe('system.access.audit', () => {
  it('records allowed and denied statements and API calls; only admins can query it', async () => {
    expect((await sql(t.adminToken, 'CREATE TABLE main.default.payroll (name STRING, salary INT)')).state).toBe(
      'SUCCEEDED',
    );
    expect((await sql(t.adminToken, "INSERT INTO main.default.payroll VALUES ('ann', 100)")).state).toBe('SUCCEEDED');
    const denied = await sql(ursula, 'SELECT * FROM main.default.payroll');
    expect(denied.state).toBe('FAILED');
    expect(denied.error?.error_code).toBe('PERMISSION_DENIED');
    const api = await t.app.inject({
      method: 'GET',
      url: '/api/2.1/unity-catalog/tables/main.default.payroll',
      headers: { authorization: `Bearer ${ursula}` },
    });
    expect([403, 404]).toContain(api.statusCode);
    const apiOk = await t.app.inject({
      method: 'GET',
      url: '/api/2.1/unity-catalog/tables/main.default.payroll',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(apiOk.statusCode).toBe(200);

    await t.app.lakeboxAudit.flush();

    const q = await sql(
      t.adminToken,
      `SELECT service_name, action_name, user_identity.email AS who, allowed, response.status_code AS status,
              request_params['statement'] AS statement, request_id, object_name
       FROM system.access.audit ORDER BY event_time`,
    );
    expect(q.state, JSON.stringify(q.error)).toBe('SUCCEEDED');
    // JSON_ARRAY results carry every value as a string
    const rows = q.rows.map((r) => Object.fromEntries(q.columns.map((c, i) => [c, r[i]])));
    // the denied statement, with the user and the statement text
    expect(rows).toContainEqual(
      expect.objectContaining({
        service_name: 'sql',
        action_name: 'SELECT',
        who: 'ursula',
        allowed: 'false',
        status: '403',
        statement: 'SELECT * FROM main.default.payroll',
        request_id: denied.id,
      }),
    );
    // allowed statements
    expect(rows).toContainEqual(
      expect.objectContaining({
        service_name: 'sql',
        action_name: 'CREATE TABLE',
        who: 'admin',
        allowed: 'true',
        status: '200',
      }),
    );
    expect(rows).toContainEqual(expect.objectContaining({ action_name: 'INSERT', who: 'admin', allowed: 'true' }));
    // the HTTP calls, allowed and denied, with the object they touched
    expect(rows).toContainEqual(
      expect.objectContaining({
        service_name: 'unityCatalog',
        action_name: 'GET /api/2.1/unity-catalog/tables/:full',
        who: 'ursula',
        allowed: String(api.statusCode !== 403),
        status: String(api.statusCode),
        object_name: 'main.default.payroll',
        request_id: api.headers['x-request-id'],
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        who: 'admin',
        allowed: 'true',
        status: '200',
        request_id: apiOk.headers['x-request-id'],
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        service_name: 'databrickssql',
        action_name: 'POST /api/2.0/sql/statements',
        who: 'ursula',
      }),
    );

    // nobody rewrites history through SQL, not even an administrator
    for (const st of [
      'DELETE FROM system.access.audit',
      'TRUNCATE TABLE system.access.audit',
      "INSERT INTO system.access.audit (event_id, event_time, event_date, service_name, action_name, allowed) VALUES ('x', current_timestamp(), current_date(), 'forged', 'forged', true)",
      "UPDATE system.access.audit SET allowed = true WHERE user_identity.email = 'ursula'",
      'DROP TABLE system.access.audit',
    ]) {
      const w = await sql(t.adminToken, st);
      expect(w.state, st).toBe('FAILED');
      expect(w.error?.message, st).toMatch(/reserved and read-only/);
    }
    const after = await sql(
      t.adminToken,
      "SELECT count(*) FROM system.access.audit WHERE user_identity.email = 'ursula' AND NOT allowed",
    );
    expect(Number(after.rows[0]![0])).toBeGreaterThanOrEqual(2);

    // a non-admin cannot read the audit log
    const peek = await sql(ursula, 'SELECT * FROM system.access.audit');
    expect(peek.state).toBe('FAILED');
    expect(peek.error?.error_code).toBe('PERMISSION_DENIED');
    expect(JSON.stringify(peek)).not.toContain('payroll');
  });
});
