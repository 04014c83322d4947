// The Authorizer test suite, shared by both backends: authorizer.test.ts runs it on SQLite (unit),
// test/authz-postgres.test.ts on a real PostgreSQL (integration).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { openCatalog, type OpenCatalog } from '../open.js';
import { Authorizer } from './authorizer.js';
import { PolicyStore } from './policies.js';

export function authzSuite(backend: string, databaseUrl: () => Promise<string>): void {
  let dir: string;
  let cat: OpenCatalog;
  let authz: Authorizer;

  const T = { type: 'TABLE', name: 'sales.raw.orders' } as const;
  const S = { type: 'SCHEMA', name: 'sales.raw' } as const;
  const C = { type: 'CATALOG', name: 'sales' } as const;

  async function denied(p: Promise<unknown>): Promise<LakeboxError> {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(LakeboxError);
    expect((e as LakeboxError).code).toBe('PERMISSION_DENIED');
    expect((e as LakeboxError).httpStatus).toBe(403);
    return e as LakeboxError;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-authz-'));
    cat = await openCatalog({ url: await databaseUrl(), storageRoot: `${dir}/w`, volumesRoot: `${dir}/v` });
    await cat.principals.ensurePrincipal('admin', { isAdmin: true });
    for (const u of ['alice', 'bob', 'carol']) await cat.principals.ensurePrincipal(u);
    await cat.metastore.bootstrap('admin');
    await cat.metastore.createCatalog({ name: 'sales', owner: 'admin' });
    await cat.metastore.createSchema({ catalog: 'sales', name: 'raw', owner: 'admin' });
    await cat.metastore.createTable({
      catalog: 'sales',
      schema: 'raw',
      name: 'orders',
      owner: 'bob',
      tableType: 'EXTERNAL',
      storageLocation: `${dir}/x`,
    });
    authz = new Authorizer(cat.database.db);
  });
  afterAll(async () => {
    await cat.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe(`Authorizer on ${backend}`, () => {
    it('reading needs USE CATALOG, USE SCHEMA and SELECT, each reported as missing in turn', async () => {
      expect((await denied(authz.require('alice', 'SELECT', T))).message).toContain('USE CATALOG');
      await authz.grant('admin', C, 'alice', ['USE CATALOG']);
      expect((await denied(authz.require('alice', 'SELECT', T))).message).toContain('USE SCHEMA');
      await authz.grant('admin', S, 'alice', ['USE SCHEMA']);
      expect((await denied(authz.require('alice', 'SELECT', T))).message).toContain('SELECT');
      await authz.grant('admin', S, 'alice', ['SELECT']); // inherited by the schema's tables
      await authz.require('alice', 'SELECT', T);
      expect(await authz.check('alice', 'MODIFY', T)).toBe(false);
      await authz.revoke('admin', S, 'alice', ['SELECT']);
      expect(await authz.check('alice', 'SELECT', T)).toBe(false); // the cache saw the revoke
    });

    it('owners hold every privilege on their object; admins everywhere', async () => {
      // bob owns the table but still needs USE on its parents, as in Unity Catalog
      expect(await authz.check('bob', 'MODIFY', T)).toBe(false);
      await authz.grant('admin', C, 'bob', ['USE CATALOG', 'USE SCHEMA']);
      expect(await authz.check('bob', ['SELECT', 'MODIFY', 'MANAGE'], T)).toBe(true);
      expect(await authz.check('admin', ['SELECT', 'MODIFY'], T)).toBe(true);
      // ownership is transferable, by the owner
      await authz.setOwner('bob', T, 'carol');
      expect(await authz.check('bob', 'MODIFY', T)).toBe(false);
      await denied(authz.setOwner('bob', T, 'bob'));
      await authz.setOwner('admin', T, 'bob');
    });

    it('only owners, managers and admins grant; privileges must fit the securable', async () => {
      await denied(authz.grant('carol', T, 'carol', ['SELECT']));
      await expect(authz.grant('admin', T, 'carol', ['CREATE SCHEMA'])).rejects.toThrow(/cannot be granted/);
      await expect(authz.grant('admin', T, 'nobody', ['SELECT'])).rejects.toThrow(/Could not find principal/);
      await authz.grant('admin', T, 'carol', ['MANAGE']);
      await authz.grant('admin', C, 'carol', ['USE CATALOG', 'USE SCHEMA']);
      await authz.grant('carol', T, 'alice', ['SELECT']);
      expect(await authz.check('alice', 'SELECT', T)).toBe(true);
      const all = await authz.listGrants('admin', T);
      expect(all.map((g) => `${g.principal}:${g.privilege}`)).toEqual(['alice:SELECT', 'carol:MANAGE']);
      // a non-manager sees only its own grants
      expect((await authz.listGrants('alice', T)).map((g) => g.principal)).toEqual(['alice']);
    });

    it('ALL PRIVILEGES expands; visibility follows privileges', async () => {
      await authz.grant('admin', { type: 'CATALOG', name: 'main' }, 'carol', ['ALL PRIVILEGES']);
      expect(await authz.check('carol', ['USE CATALOG', 'CREATE SCHEMA'], { type: 'CATALOG', name: 'main' })).toBe(
        true,
      );
      // REVOKE ALL PRIVILEGES takes back individually granted privileges too
      await authz.grant('admin', { type: 'CATALOG', name: 'main' }, 'carol', ['BROWSE']);
      await authz.revoke('admin', { type: 'CATALOG', name: 'main' }, 'carol', ['ALL']);
      expect(await authz.privileges('carol', { type: 'CATALOG', name: 'main' })).toEqual(new Set());
      await authz.grant('admin', { type: 'CATALOG', name: 'main' }, 'carol', ['ALL PRIVILEGES']);
      const cats = await authz.filterVisible('alice', await cat.metastore.listCatalogs(), (c) => ({
        type: 'CATALOG',
        name: c.name,
      }));
      expect(cats.map((c) => c.name)).toEqual(['sales']);
      expect(await authz.canSee('nobody', C)).toBe(false);
      expect(await authz.canSee('alice', { type: 'SCHEMA', name: 'main.default' })).toBe(false);
    });

    it('a missing object is left for the caller to report; its parents are still checked', async () => {
      await authz.require('alice', 'SELECT', { type: 'TABLE', name: 'sales.raw.nope' });
      await denied(authz.require('nobody', 'SELECT', { type: 'TABLE', name: 'sales.raw.nope' }));
    });

    it('experiments and registered models have owners recorded by their creators', async () => {
      const e = { type: 'EXPERIMENT', name: '42' } as const;
      await authz.registerOwner(e, 'alice');
      expect(await authz.check('alice', ['SELECT', 'MODIFY', 'MANAGE'], e)).toBe(true);
      expect(await authz.check('bob', 'SELECT', e)).toBe(false);
      await authz.grant('alice', e, 'bob', ['SELECT']);
      expect(await authz.check('bob', 'SELECT', e)).toBe(true);
      expect(await authz.check('bob', 'MODIFY', e)).toBe(false);
      await authz.forget(e);
      expect(await authz.check('bob', 'SELECT', e)).toBe(false);
    });

    it('group grants apply to members', async () => {
      const a = new Authorizer(cat.database.db, {
        principals: {
          getPrincipal: (n) => cat.principals.getPrincipal(n),
          groupsOf: async (n) => (n === 'carol' ? ['analysts'] : []),
        },
      });
      await cat.principals.ensurePrincipal('analysts', { kind: 'group' });
      await a.grant('admin', { type: 'VOLUME', name: 'sales.raw.v' }, 'analysts', ['READ VOLUME']).catch((e) => {
        expect((e as LakeboxError).code).toBe('RESOURCE_DOES_NOT_EXIST');
      });
      await cat.metastore.createVolume({ catalog: 'sales', schema: 'raw', name: 'v', owner: 'admin' });
      const V = { type: 'VOLUME', name: 'sales.raw.v' } as const;
      await a.grant('admin', V, 'analysts', ['READ VOLUME']);
      expect(await a.check({ id: 'x', name: 'carol', kind: 'user', isAdmin: false }, 'READ VOLUME', V)).toBe(true);
      expect(await a.check('carol', 'WRITE VOLUME', V)).toBe(false);
      expect(await a.check('alice', 'READ VOLUME', V)).toBe(false);
    });

    it('stores row filters and masks per table', async () => {
      const ps = new PolicyStore(cat.database.db);
      const t = await cat.metastore.getTable('sales', 'raw', 'orders');
      await ps.setRowFilter(t.id, 'sales.raw.f', ['region'], 'admin');
      await ps.setColumnMask(t.id, 'SSN', 'sales.raw.m', [], 'admin');
      let p = await ps.get(t.id);
      expect(p.rowFilter).toEqual({ functionName: 'sales.raw.f', columns: ['region'] });
      expect(p.masks.get('ssn')).toEqual({ functionName: 'sales.raw.m', using: [] });
      await ps.dropRowFilter(t.id);
      await ps.dropColumnMask(t.id, 'ssn');
      p = await ps.get(t.id);
      expect(p.rowFilter).toBeUndefined();
      expect(p.masks.size).toBe(0);
    });
  });
}
