import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { openCatalog, type OpenCatalog } from './open.js';
import { ADMINS_GROUP } from './principals.js';

let dir: string;
let c: OpenCatalog;

async function failure(p: Promise<unknown>): Promise<LakeboxError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LakeboxError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-principals-'));
  c = await openCatalog({ url: `sqlite:${path.join(dir, 'm.db')}`, storageRoot: dir, volumesRoot: dir });
  await c.principals.bootstrapAdmin();
});
afterAll(async () => {
  await c.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('identity', () => {
  it('puts the first administrator in the admins group', async () => {
    expect(await c.principals.groupsOf('admin')).toEqual([ADMINS_GROUP]);
    expect((await c.principals.getPrincipal('admin'))!.isAdmin).toBe(true);
    expect((await c.principals.members(ADMINS_GROUP)).map((m) => m.name)).toEqual(['admin']);
  });

  it('resolves nested groups transitively, by id or name', async () => {
    const alice = await c.principals.createPrincipal('alice@example.com', { displayName: 'Alice' });
    const eng = await c.principals.createPrincipal('engineering', { kind: 'group' });
    const data = await c.principals.createPrincipal('data-eng', { kind: 'group' });
    const all = await c.principals.createPrincipal('everyone', { kind: 'group' });
    await c.principals.addMember('data-eng', alice.id);
    await c.principals.addMember(eng.id, 'data-eng');
    await c.principals.addMember('everyone', 'engineering');
    expect(await c.principals.groupsOf(alice.id)).toEqual(['data-eng', 'engineering', 'everyone']);
    expect(await c.principals.groupsOf('alice@example.com')).toEqual(['data-eng', 'engineering', 'everyone']);
    expect(await c.principals.groupsOf('data-eng')).toEqual(['engineering', 'everyone']);
    expect(await c.principals.isMember('alice@example.com', 'everyone')).toBe(true);
    expect(await c.principals.groupsOf('nobody')).toEqual([]);
    // a cycle is refused
    expect((await failure(c.principals.addMember('data-eng', all.id))).message).toMatch(/cycle/);
    expect((await failure(c.principals.addMember('data-eng', data.id))).message).toMatch(/cycle/);
    // removing the middle link cuts the chain
    await c.principals.removeMember('engineering', 'data-eng');
    expect(await c.principals.groupsOf(alice.id)).toEqual(['data-eng']);
    await c.principals.addMember('engineering', 'data-eng');
  });

  it('makes members of admins (also nested) administrators', async () => {
    const bob = await c.principals.createPrincipal('bob');
    expect((await c.principals.authenticate((await c.principals.createToken('bob')).token)).isAdmin).toBe(false);
    await c.principals.createPrincipal('ops', { kind: 'group' });
    await c.principals.addMember('ops', bob.id);
    await c.principals.addMember(ADMINS_GROUP, 'ops');
    const { token } = await c.principals.createToken('bob');
    const p = await c.principals.authenticate(token);
    expect(p.isAdmin).toBe(true);
    expect(p.groups).toEqual([ADMINS_GROUP, 'ops']);
    await c.principals.removeMember(ADMINS_GROUP, 'ops');
    expect((await c.principals.authenticate(token)).isAdmin).toBe(false);
  });

  it('refuses to remove or delete the last administrator, or the admins group', async () => {
    const admin = (await c.principals.getRecord('admin'))!;
    expect((await failure(c.principals.removeMember(ADMINS_GROUP, 'admin'))).message).toMatch(/administrator/);
    expect(await c.principals.isMember('admin', ADMINS_GROUP)).toBe(true);
    expect((await failure(c.principals.deletePrincipal(admin.id))).message).toMatch(/administrator/);
    expect((await failure(c.principals.updatePrincipal(admin.id, { active: false }))).message).toMatch(/administrator/);
    const g = (await c.principals.getRecord(ADMINS_GROUP))!;
    expect((await failure(c.principals.deletePrincipal(g.id))).message).toMatch(/cannot be deleted/);
  });

  it('creates service principals with an application id; names are unique; groups get no tokens', async () => {
    const sp = await c.principals.createPrincipal('etl-bot', { kind: 'service_principal' });
    expect(sp.applicationId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await failure(c.principals.createPrincipal('etl-bot'))).code).toBe('RESOURCE_ALREADY_EXISTS');
    expect((await failure(c.principals.createToken('engineering'))).message).toMatch(/group/);
    for (const bad of ['', ' ', 'a\nb', 'x'.repeat(256)]) {
      expect((await failure(c.principals.createPrincipal(bad))).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('deactivating a principal stops its tokens; deleting removes tokens and memberships', async () => {
    const u = await c.principals.createPrincipal('temp-user');
    await c.principals.addMember('engineering', u.id);
    const { token, info } = await c.principals.createToken('temp-user');
    await c.principals.updatePrincipal(u.id, { active: false });
    expect((await failure(c.principals.authenticate(token))).message).toMatch(/deactivated/);
    await c.principals.updatePrincipal(u.id, { active: true, displayName: 'Temp' });
    expect((await c.principals.authenticate(token)).name).toBe('temp-user');
    await c.principals.deletePrincipal(u.id);
    expect(await c.principals.getToken(info.tokenId)).toBeUndefined();
    expect((await c.principals.members('engineering')).map((m) => m.name)).toEqual(['data-eng']);
  });

  it('stores passwords as salted scrypt hashes and verifies them', async () => {
    await c.principals.createPrincipal('pw-user');
    await c.principals.createPrincipal('pw-user2');
    await c.principals.setPassword('pw-user', 'correct horse battery');
    await c.principals.setPassword('pw-user2', 'correct horse battery');
    const rows = await c.database.db
      .selectFrom('principals')
      .select(['name', 'password_hash'])
      .where('name', 'in', ['pw-user', 'pw-user2'])
      .execute();
    for (const r of rows) {
      expect(r.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(r.password_hash).not.toContain('correct horse');
    }
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash); // per-user salt
    expect((await c.principals.verifyLogin('pw-user', 'correct horse battery')).name).toBe('pw-user');
    for (const [u, p] of [
      ['pw-user', 'wrong password'],
      ['nobody', 'correct horse battery'],
      ['admin', 'correct horse battery'], // no password set
    ] as const) {
      const e = await failure(c.principals.verifyLogin(u, p));
      expect(e.code).toBe('UNAUTHENTICATED');
      expect(e.message).toBe('invalid user name or password');
    }
    expect((await failure(c.principals.setPassword('pw-user', 'short'))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('moves administrators of before groups existed (is_admin flag) into the admins group', async () => {
    await c.database.db
      .insertInto('principals')
      .values({ id: 'legacy-1', name: 'old-admin', kind: 'user', is_admin: 1, created_at: 1 })
      .execute();
    expect(await c.principals.isMember('old-admin', ADMINS_GROUP)).toBe(false);
    await c.principals.bootstrapAdmin(); // runs on every start
    expect((await c.principals.getPrincipal('old-admin'))!.isAdmin).toBe(true);
    const row = await c.database.db
      .selectFrom('principals')
      .selectAll()
      .where('id', '=', 'legacy-1')
      .executeTakeFirstOrThrow();
    expect(row.is_admin).toBe(0);
    expect(row.active).toBe(1);
  });

  it('keeps web sessions hashed; they expire and end on logout', async () => {
    const p = (await c.principals.getRecord('pw-user'))!;
    const s = await c.principals.createSession(p.id, 1000);
    const row = await c.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('principal_id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(s.session);
    expect(JSON.stringify(row)).not.toContain(s.csrf);
    expect((await c.principals.authenticateSession(s.session, 2000)).principal.name).toBe('pw-user');
    expect((await failure(c.principals.authenticateSession(s.session, s.expiresAt))).code).toBe('UNAUTHENTICATED');
    await c.principals.deleteSession(s.session);
    expect((await failure(c.principals.authenticateSession(s.session, 2000))).code).toBe('UNAUTHENTICATED');
  });
});
