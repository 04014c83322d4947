import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../test-helpers.js';

let t: Awaited<ReturnType<typeof testApp>>;
let userToken: string;
const SCIM = '/api/2.0/preview/scim/v2';
const admin = () => ({ authorization: `Bearer ${t.adminToken}` });
const user = () => ({ authorization: `Bearer ${userToken}` });

async function call(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

beforeAll(async () => {
  t = await testApp();
  await t.catalog.principals.createPrincipal('reader@example.com');
  userToken = (await t.catalog.principals.createToken('reader@example.com')).token;
});
afterAll(async () => {
  await t.close();
});

describe('SCIM 2.0', () => {
  it('creates, filters, pages, gets, replaces, patches and deletes users', async () => {
    const c = await call('POST', `${SCIM}/Users`, admin(), {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'jane@example.com',
      displayName: 'Jane Doe',
    });
    expect(c.statusCode).toBe(201);
    const jane = c.json();
    expect(jane).toMatchObject({
      userName: 'jane@example.com',
      displayName: 'Jane Doe',
      active: true,
      emails: [{ value: 'jane@example.com', primary: true }],
    });
    expect((await call('POST', `${SCIM}/Users`, admin(), { userName: 'jane@example.com' })).statusCode).toBe(409);

    const f = await call('GET', `${SCIM}/Users?filter=${encodeURIComponent('userName eq "JANE@example.com"')}`, user());
    expect(f.statusCode).toBe(200);
    expect(f.json()).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(f.json().Resources[0].id).toBe(jane.id);
    const page = await call('GET', `${SCIM}/Users?startIndex=2&count=1&sortBy=userName`, user());
    expect(page.json()).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.json().Resources[0].userName).toBe('jane@example.com');
    const beyond = await call('GET', `${SCIM}/Users?startIndex=10`, user());
    expect(beyond.json().Resources).toEqual([]);
    const co = await call(
      'GET',
      `${SCIM}/Users?filter=${encodeURIComponent('displayName co "doe" and active eq true')}`,
      user(),
    );
    expect(co.json().Resources.map((r: { userName: string }) => r.userName)).toEqual(['jane@example.com']);
    expect((await call('GET', `${SCIM}/Users?filter=${encodeURIComponent('userName eq')}`, user())).statusCode).toBe(
      400,
    );

    expect((await call('GET', `${SCIM}/Users/${jane.id}`, user())).json().displayName).toBe('Jane Doe');
    const put = await call('PUT', `${SCIM}/Users/${jane.id}`, admin(), {
      userName: 'jane@example.com',
      displayName: 'Jane D.',
      active: true,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().displayName).toBe('Jane D.');
    const patch = await call('PATCH', `${SCIM}/Users/${jane.id}`, admin(), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', value: { active: false } }],
    });
    expect(patch.statusCode).toBe(204);
    expect((await call('GET', `${SCIM}/Users/${jane.id}`, admin())).json().active).toBe(false);
    expect((await call('DELETE', `${SCIM}/Users/${jane.id}`, admin())).statusCode).toBe(204);
    const gone = await call('GET', `${SCIM}/Users/${jane.id}`, admin());
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ status: '404', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
  });

  it('manages nested groups with PATCH add/remove members', async () => {
    const u = (await call('POST', `${SCIM}/Users`, admin(), { userName: 'sam' })).json();
    const inner = (
      await call('POST', `${SCIM}/Groups`, admin(), { displayName: 'analysts', members: [{ value: u.id }] })
    ).json();
    expect(inner.members).toEqual([expect.objectContaining({ value: u.id, display: 'sam', $ref: `Users/${u.id}` })]);
    const outer = (await call('POST', `${SCIM}/Groups`, admin(), { displayName: 'data' })).json();
    const add = await call('PATCH', `${SCIM}/Groups/${outer.id}`, admin(), {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: inner.id }] }],
    });
    expect(add.statusCode).toBe(204);
    expect(await t.catalog.principals.groupsOf('sam')).toEqual(['analysts', 'data']);
    const sam = (await call('GET', `${SCIM}/Users/${u.id}`, admin())).json();
    expect(sam.groups).toEqual([
      expect.objectContaining({ display: 'analysts', type: 'direct' }),
      expect.objectContaining({ display: 'data', type: 'indirect' }),
    ]);
    const byMember = await call(
      'GET',
      `${SCIM}/Groups?filter=${encodeURIComponent(`members.value eq "${u.id}"`)}`,
      admin(),
    );
    expect(byMember.json().Resources.map((g: { displayName: string }) => g.displayName)).toEqual(['analysts']);
    const rm = await call('PATCH', `${SCIM}/Groups/${inner.id}`, admin(), {
      Operations: [{ op: 'remove', path: `members[value eq "${u.id}"]` }],
    });
    expect(rm.statusCode).toBe(204);
    expect(await t.catalog.principals.groupsOf('sam')).toEqual([]);
    const cycle = await call('PATCH', `${SCIM}/Groups/${inner.id}`, admin(), {
      Operations: [{ op: 'add', path: 'members', value: [{ value: outer.id }] }],
    });
    expect(cycle.statusCode).toBe(400);
  });

  it('makes a user an administrator through the admins group', async () => {
    const u = (await call('POST', `${SCIM}/Users`, admin(), { userName: 'ops@example.com' })).json();
    const token = (await t.catalog.principals.createToken('ops@example.com')).token;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await call('POST', `${SCIM}/Groups`, bearer, { displayName: 'x' })).statusCode).toBe(403);
    const admins = (
      await call('GET', `${SCIM}/Groups?filter=${encodeURIComponent('displayName eq "admins"')}`, admin())
    ).json().Resources[0];
    await call('PATCH', `${SCIM}/Groups/${admins.id}`, admin(), {
      Operations: [{ op: 'add', path: 'members', value: [{ value: u.id }] }],
    });
    expect((await call('POST', `${SCIM}/Groups`, bearer, { displayName: 'x' })).statusCode).toBe(201);
    const me = (await call('GET', `${SCIM}/Me`, bearer)).json();
    expect(me.userName).toBe('ops@example.com');
    expect(me.groups.map((g: { display: string }) => g.display)).toEqual(['admins']);
  });

  it('creates service principals and issues tokens on their behalf (Token Management API)', async () => {
    const sp = (await call('POST', `${SCIM}/ServicePrincipals`, admin(), { displayName: 'etl job' })).json();
    expect(sp).toMatchObject({ displayName: 'etl job', active: true });
    expect(sp.applicationId).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await call(
      'GET',
      `${SCIM}/ServicePrincipals?filter=${encodeURIComponent(`applicationId eq "${sp.applicationId}"`)}`,
      user(),
    );
    expect(listed.json().totalResults).toBe(1);
    const obo = await call('POST', '/api/2.0/token-management/on-behalf-of/tokens', admin(), {
      application_id: sp.applicationId,
      lifetime_seconds: 3600,
      comment: 'etl',
    });
    expect(obo.statusCode).toBe(200);
    const spToken = obo.json().token_value as string;
    const me = (await call('GET', `${SCIM}/Me`, { authorization: `Bearer ${spToken}` })).json();
    expect(me.userName).toBe(sp.applicationId);
    const all = (await call('GET', `/api/2.0/token-management/tokens?created_by_id=${sp.id}`, admin())).json();
    expect(all.token_infos).toEqual([
      expect.objectContaining({ comment: 'etl', created_by_id: Number(sp.id), owner_id: Number(sp.id) }),
    ]);
    const id = all.token_infos[0].token_id;
    expect((await call('GET', `/api/2.0/token-management/tokens/${id}`, admin())).json().token_info.token_id).toBe(id);
    expect((await call('GET', '/api/2.0/token-management/tokens', user())).statusCode).toBe(403);
    expect((await call('DELETE', `/api/2.0/token-management/tokens/${id}`, admin())).statusCode).toBe(200);
    expect((await call('GET', `${SCIM}/Me`, { authorization: `Bearer ${spToken}` })).statusCode).toBe(401);
  });

  it('keeps writes for administrators and accepts application/scim+json', async () => {
    expect((await call('POST', `${SCIM}/Users`, user(), { userName: 'mallory' })).statusCode).toBe(403);
    const r = await t.app.inject({
      method: 'POST',
      url: `${SCIM}/Users`,
      headers: { ...admin(), 'content-type': 'application/scim+json' },
      payload: JSON.stringify({ userName: 'idp-user', externalId: 'okta-1' }),
    });
    expect(r.statusCode).toBe(201);
    expect(r.json().externalId).toBe('okta-1');
    expect((await call('GET', `${SCIM}/Users`, {})).statusCode).toBe(401);
  });
});
