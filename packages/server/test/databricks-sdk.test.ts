import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSdkScript, startSdkServer } from '../../../tests/support/databricks-sdk.js';
import type { RunningServer } from '../src/start.js';

// The real Databricks SDK for Python (databricks-sdk, unchanged) against the workspace server:
// current user, Unity Catalog catalogs/schemas/tables/volumes, error mapping, the Token API.

let server: RunningServer;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, close } = await startSdkServer('lakebox-sdk-'));
  await server.catalog.metastore.createTable({
    catalog: 'main',
    schema: 'default',
    name: 'orders',
    owner: 'admin',
    tableType: 'MANAGED',
    columns: [
      { name: 'id', typeText: 'bigint', nullable: false },
      { name: 'amount', typeText: 'decimal(10,2)', nullable: true },
    ],
  });
});
afterAll(async () => {
  await close?.();
});

describe('Databricks SDK for Python against lakebox', () => {
  it('lists, creates, reads and deletes through the SDK', async () => {
    const out = await runSdkScript(server, 'databricks_sdk_client.py');
    expect(out.me).toBe('admin');
    expect(out.catalogs).toEqual(['main', 'system']);
    expect(out.created_catalog).toEqual({
      name: 'sdk_cat',
      comment: 'made by the SDK',
      owner: 'admin',
      properties: { team: 'data' },
    });
    expect(out.schemas).toEqual(['sdk_cat.bronze', 'sdk_cat.default']);
    expect(out.schema).toBe('raw');
    expect(out.table).toEqual({
      full_name: 'main.default.orders',
      table_type: 'MANAGED',
      format: 'DELTA',
      columns: [
        ['id', 'bigint', 'LONG', false],
        ['amount', 'decimal(10,2)', 'DECIMAL', true],
      ],
    });
    expect(out.tables).toEqual(['orders']);
    expect(out.missing_table).toMatchObject({ class: 'NotFound', error_code: 'TABLE_OR_VIEW_NOT_FOUND' });
    expect(out.missing_table.message).toContain('`main`.`default`.`orders`');
    expect(out.volume).toEqual({ full_name: 'sdk_cat.bronze.landing', type: 'MANAGED' });
    expect(out.volume_read).toBe('sdk_cat.bronze.landing');
    expect(out.new_token_prefix).toBe('lbx_');
    expect(out.listed_token).toBe(true);
    expect(out.me_with_new_token).toBe('admin');
    expect(out.revoked).toBe('Unauthenticated');
    expect(out.delete_non_empty).toBe('CATALOG_NOT_EMPTY');
    expect(out.catalogs_after).toEqual(['main', 'system']);
  });
});
