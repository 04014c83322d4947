import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSdkScript, startSdkServer } from '../support/databricks-sdk.js';
import type { RunningServer } from '../../packages/server/src/start.js';

// SCIM users/groups/service principals, the current user and the Token Management API through
// the real Databricks SDK for Python (tests/peers/databricks_sdk_identity.py).

let server: RunningServer;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, close } = await startSdkServer('lakebox-sdk-identity-'));
});
afterAll(async () => {
  await close?.();
});

describe('identity through the Databricks SDK', () => {
  it('manages users, nested groups, service principals and tokens', async () => {
    const out = await runSdkScript(server, 'databricks_sdk_identity.py');
    expect(out.me).toEqual({ user_name: 'admin', groups: ['admins'] });
    expect(out.created_user).toEqual({
      user_name: 'sdk.one@example.com',
      display_name: 'SDK One',
      active: true,
      emails: ['sdk.one@example.com'],
    });
    expect(out.duplicate_user).toBe('ResourceConflict');
    expect(out.filtered).toEqual(['sdk.one@example.com']);
    expect(out.all_users).toEqual(['admin', 'sdk.one@example.com', 'sdk.two@example.com']);
    expect(out.get_user).toBe('SDK One');
    expect(out.after_put).toBe('SDK Uno');
    expect(out.after_patch_active).toBe(false);
    expect(out.patch_without_value).toBe('BadRequest');
    expect(out.inner_members).toEqual(['SDK Two', 'SDK Uno']);
    expect(out.outer_members).toEqual(['sdk-analysts']);
    expect(out.user_groups).toEqual([
      ['sdk-analysts', 'direct'],
      ['sdk-data', 'indirect'],
    ]);
    expect(out.inner_after_remove).toEqual(['SDK Two']);
    expect(out.groups_filtered).toEqual(['sdk-analysts', 'sdk-data']);
    expect(out.sp).toEqual({ display_name: 'sdk-etl', has_application_id: true, active: true });
    expect(out.sp_listed).toEqual(['sdk-etl']);
    expect(out.sp_me).toBe(true);
    expect(out.tm_list).toBe(true);
    expect(out.tm_get).toBe('etl');
    expect(out.sp_after_revoke).toBe('Unauthenticated');
    expect(out.user_me).toBe('sdk.one@example.com');
    expect(out.user_reads).toBe(1);
    expect(out.user_writes).toBe('PermissionDenied');
    expect(out.user_group_write).toBe('PermissionDenied');
    expect(out.user_tm).toBe('PermissionDenied');
    expect(out.deleted_get).toBe('NotFound');
    expect(out.groups_after_delete).toEqual(['admins', 'sdk-analysts']);
  });
});
