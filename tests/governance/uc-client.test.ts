import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../support/lakebox.js';
import { venvPython } from '../support/python.js';
import { REPO_ROOT } from '../support/repo.js';

// The real Unity Catalog Python client (unitycatalog-client, tests/peers/uc_client.py) against the
// real `lakebox start`, as an administrator and as a user with only the privileges granted to him.

const run = promisify(execFile);
let lb: RunningLakebox;
let base: string;
let token: string;
const api = (method: string, url: string, body?: unknown) => lb.api(method, url, body);

beforeAll(async () => {
  lb = await startLakebox({
    prefix: 'lakebox-uc-',
    // the S3 keys temporary credentials hand out for s3:// tables
    env: { AWS_ACCESS_KEY_ID: 'test-key-id', AWS_SECRET_ACCESS_KEY: 'test-secret' },
  });
  ({ base, token } = lb);
}, 60_000);

afterAll(async () => {
  await lb?.stop();
});
const sql = async (statement: string) => {
  const r = await api('POST', '/api/2.0/sql/statements', { statement, wait_timeout: '30s' });
  expect(r.status.state).toBe('SUCCEEDED');
};

describe('unitycatalog-client against lakebox start', () => {
  it('manages and reads Lakebox objects through the Unity Catalog API', async () => {
    await sql('CREATE TABLE main.default.uc_orders (id BIGINT, amount DECIMAL(10,2), at TIMESTAMP) USING DELTA');
    await sql("INSERT INTO main.default.uc_orders VALUES (1, 9.99, TIMESTAMP'2026-01-01 00:00:00'), (2, 5.00, NULL)");
    const bob = (await api('POST', '/api/2.0/token/create', { user_name: 'bob', comment: 'uc test' })).token_value;

    const { stdout } = await run(
      venvPython(),
      [path.join(REPO_ROOT, 'tests', 'peers', 'uc_client.py'), base, token, bob, 'main.default.uc_orders'],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);

    expect(out.summary).toBe('lakebox');
    expect(out.catalog).toEqual(['uc_py', 'from python', { k: 'v' }, 'admin']);
    expect(out.catalog_updated).toBe('changed');
    expect(out.catalog_names).toEqual(['main', 'system', 'uc_py']);
    expect(out.catalog_pages).toEqual([['main'], ['system']]);
    expect(out.schema).toEqual(['uc_py.sales', 'uc_py', 's']);
    expect(out.schema_updated).toBe('sales team');
    expect(out.schema_names).toEqual(['default', 'sales']);

    expect(out.lakebox_table).toEqual({
      type: 'MANAGED',
      format: 'DELTA',
      columns: [
        ['id', 'LONG', 'bigint', 0],
        ['amount', 'DECIMAL', 'decimal(10,2)', 1],
        ['at', 'TIMESTAMP', 'timestamp', 2],
      ],
    });
    expect(out.table_credential.location).toMatch(/^file:\/\/\/.*\/main\/default\/uc_orders$/);
    expect(out.table_credential).toMatchObject({ aws: false, expires: true });
    expect(out.read_through_uc).toBe(2);

    expect(out.external).toEqual([null, 'EXTERNAL', 's3://lakebox-bucket/events', ['LONG', 'ARRAY']]);
    expect(out.s3_credential).toEqual(['test-key-id', 'test-secret', true]);
    expect(out.managed).toEqual(['MANAGED', true]);
    expect(out.staging_credential).toEqual([true, true]);
    expect(out.table_pages).toEqual([['events'], ['managed_t'], null]);
    expect(out.missing_table).toEqual({ status: 404, error_code: 'TABLE_OR_VIEW_NOT_FOUND' });
    expect(out.bad_page_size).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });

    expect(out.bob_no_grants).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    expect(out.grants).toEqual([['bob', ['SELECT']]]);
    expect(out.bob_list_without_use).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    expect(out.bob_table).toBe('events');
    expect(out.bob_tables).toEqual(['events']);
    expect(out.bob_catalogs).toEqual(['uc_py']);
    expect(out.bob_denied_delete).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    expect(out.grants_after_revoke).toEqual([]);
    expect(out.bob_after_revoke).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });

    expect(out.volume).toEqual(['uc_py.sales.landing', 'MANAGED']);
    expect(out.volume_credential).toBe(true);
    expect(out.volumes).toEqual(['landing']);
    expect(out.function).toEqual(['uc_py.sales.with_tax', 'x * 1.2', 'DOUBLE']);
    expect(out.functions).toEqual(['with_tax']);

    expect(out.model).toEqual(['uc_py.sales.churn', 'v0', 'admin']);
    expect(out.version_created).toEqual([1, 'PENDING_REGISTRATION']);
    expect(out.model_credential).toBe(true);
    expect(out.version_finalized).toBe('READY');
    expect(out.versions).toEqual([
      [1, 'READY'],
      [2, 'PENDING_REGISTRATION'],
    ]);
    expect(out.model_updated).toBe('v1');
    expect(out.models).toEqual(['uc_py.sales.churn']);
    expect(out.delete_model_with_versions).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    expect(out.model_gone).toEqual({ status: 404, error_code: 'REGISTERED_MODEL_NOT_FOUND' });
    expect(out.catalog_gone).toEqual({ status: 404, error_code: 'CATALOG_NOT_FOUND' });
  });
});
