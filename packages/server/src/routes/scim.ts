import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import type { GroupMember, Principal, PrincipalRecord, PrincipalStore } from '@lakebox/catalog';
import { principalOf, requireAdmin, type LakeboxPluginOptions } from '../context.js';
import { parseScimFilter } from '../scim-filter.js';

// SCIM 2.0 as Databricks serves it under /api/2.0/preview/scim/v2: Users, Groups,
// ServicePrincipals and Me. Reads are open to every signed-in principal (as in Databricks);
// writes are for workspace administrators.

const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  service_principal: 'urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

type Kind = Principal['kind'];
const COLLECTION: Record<Kind, string> = { user: 'Users', group: 'Groups', service_principal: 'ServicePrincipals' };
const RESOURCE_TYPE: Record<Kind, string> = { user: 'User', group: 'Group', service_principal: 'ServicePrincipal' };

const bad = (message: string) =>
  new LakeboxError('INVALID_PARAMETER_VALUE', message, { httpStatus: 400, details: { scimType: 'invalidValue' } });
const notFound = (kind: Kind, id: string) =>
  new LakeboxError('RESOURCE_DOES_NOT_EXIST', `${RESOURCE_TYPE[kind]} ${id} not found.`, { httpStatus: 404 });

function obj(v: unknown, what = 'the request body'): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function optString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  return v;
}

function optBool(v: unknown, name: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  // Some identity providers send "True"/"False" strings.
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw bad(`${name} must be a boolean`);
}

/** `[{value: id}, ...]` -> ids */
function refValues(v: unknown, name: string): string[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x) => {
    const value = typeof x === 'string' ? x : (obj(x, name) as { value?: unknown }).value;
    if (typeof value !== 'string' || !value) throw bad(`each of ${name} needs a string "value"`);
    return value;
  });
}

const ref = (m: GroupMember, type?: string) => ({
  display: m.displayName,
  value: m.id,
  $ref: `${COLLECTION[m.kind]}/${m.id}`,
  ...(type ? { type } : {}),
});

/** A principal as a SCIM resource of its kind. */
async function toScim(store: PrincipalStore, p: PrincipalRecord): Promise<Record<string, unknown>> {
  const direct = await store.directGroups(p.id);
  const directNames = new Set(direct.map((g) => g.name));
  const groups = [...direct.map((g) => ref(g, 'direct'))];
  // Inherited (nested) memberships, so a client sees every group that applies.
  for (const name of p.groups) {
    if (directNames.has(name)) continue;
    const g = await store.getRecord(name);
    if (g && g.kind === 'group')
      groups.push(ref({ id: g.id, name: g.name, displayName: g.displayName, kind: 'group' }, 'indirect'));
  }
  const common = {
    id: p.id,
    ...(p.externalId ? { externalId: p.externalId } : {}),
    groups,
    entitlements: [],
    roles: [],
    meta: { resourceType: RESOURCE_TYPE[p.kind], created: new Date(p.createdAt).toISOString() },
  };
  if (p.kind === 'group') {
    const members = await store.members(p.id);
    return { schemas: [SCHEMA.group], displayName: p.name, members: members.map((m) => ref(m)), ...common };
  }
  if (p.kind === 'service_principal') {
    return {
      schemas: [SCHEMA.service_principal],
      applicationId: p.applicationId ?? p.name,
      displayName: p.displayName,
      active: p.active,
      ...common,
    };
  }
  return {
    schemas: [SCHEMA.user],
    userName: p.name,
    displayName: p.displayName,
    active: p.active,
    emails: p.name.includes('@') ? [{ value: p.name, type: 'work', primary: true }] : [],
    name: { givenName: p.displayName },
    ...common,
  };
}

function scimError(status: number, detail: string, scimType?: string): Record<string, unknown> {
  return { schemas: [SCHEMA.error], detail, status: String(status), ...(scimType ? { scimType } : {}) };
}

function intParam(v: unknown, name: string, dflt: number, min: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw bad(`${name} must be an integer`);
  return Math.max(min, n);
}

/** One attribute change from a PATCH operation or a PUT body, applied to a principal. */
interface Changes {
  name?: string;
  displayName?: string | null;
  active?: boolean;
  externalId?: string | null;
  password?: string | null;
  addMembers: string[];
  removeMembers: string[];
  /** undefined: keep; an array: replace all members with these */
  setMembers?: string[];
  addGroups: string[];
  removeGroups: string[];
  setGroups?: string[];
}

const emptyChanges = (): Changes => ({ addMembers: [], removeMembers: [], addGroups: [], removeGroups: [] });

/** The attribute a PATCH path or value key names, normalised (userName, displayname -> displayName, ...). */
function attrKey(k: string): string {
  const last = k.includes(':') ? k.slice(k.lastIndexOf(':') + 1) : k;
  return last.toLowerCase();
}

/** `members[value eq "id"]` -> ['members', 'id'] */
function parsePath(path: string): { attr: string; value?: string } {
  const m = /^\s*([\w:.$-]+?)\s*\[\s*value\s+eq\s+"([^"]*)"\s*\]\s*$/i.exec(path);
  if (m) return { attr: attrKey(m[1]!), value: m[2]! };
  return { attr: attrKey(path.trim()) };
}

function applyAttr(kind: Kind, c: Changes, op: 'add' | 'replace' | 'remove', attr: string, value: unknown): void {
  switch (attr) {
    case 'username':
      if (kind !== 'user') throw bad(`userName does not apply to a ${RESOURCE_TYPE[kind]}`);
      if (op === 'remove') throw bad('userName cannot be removed');
      c.name = optString(value, 'userName');
      return;
    case 'displayname':
      if (op === 'remove') {
        if (kind === 'group') throw bad('displayName cannot be removed');
        c.displayName = null;
        return;
      }
      if (kind === 'group') c.name = optString(value, 'displayName');
      else c.displayName = optString(value, 'displayName') ?? null;
      return;
    case 'active':
      if (kind === 'group') throw bad('active does not apply to a group');
      c.active = op === 'remove' ? false : optBool(value, 'active');
      return;
    case 'externalid':
      c.externalId = op === 'remove' ? null : (optString(value, 'externalId') ?? null);
      return;
    case 'password':
      if (kind !== 'user') throw bad('only users have passwords');
      c.password = op === 'remove' ? null : (optString(value, 'password') ?? null);
      return;
    case 'members':
      if (kind !== 'group') throw bad(`members does not apply to a ${RESOURCE_TYPE[kind]}`);
      if (op === 'add') c.addMembers.push(...refValues(value, 'members'));
      else if (op === 'remove') c.removeMembers.push(...refValues(value, 'members'));
      else c.setMembers = refValues(value, 'members');
      return;
    case 'groups':
      if (op === 'add') c.addGroups.push(...refValues(value, 'groups'));
      else if (op === 'remove') c.removeGroups.push(...refValues(value, 'groups'));
      else c.setGroups = refValues(value, 'groups');
      return;
    case 'schemas':
    case 'id':
    case 'meta':
    case 'entitlements':
    case 'roles':
    case 'emails':
    case 'name':
    case 'applicationid':
      // Read-only here, or not modelled by Lakebox (entitlements, roles): accepted, ignored.
      return;
    default:
      throw bad(`unknown attribute '${attr}'`);
  }
}

function patchChanges(kind: Kind, body: Record<string, unknown>): Changes {
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops)) throw bad('a PATCH request needs "Operations": [...]');
  const c = emptyChanges();
  for (const raw of ops) {
    const o = obj(raw, 'an operation');
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw bad(`unknown PATCH op '${String(o.op)}'`);
    if (op !== 'remove' && o.value === undefined) throw bad(`the ${op} operation needs a value`);
    if (o.path === undefined || o.path === null || o.path === '') {
      if (op === 'remove') throw bad('a remove operation needs a path');
      for (const [k, v] of Object.entries(obj(o.value, 'the operation value'))) applyAttr(kind, c, op, attrKey(k), v);
      continue;
    }
    if (typeof o.path !== 'string') throw bad('path must be a string');
    const { attr, value } = parsePath(o.path);
    if (value !== undefined) {
      if (op !== 'remove') throw bad(`'${o.path}' can only be removed`);
      applyAttr(kind, c, 'remove', attr, [{ value }]);
    } else if (op === 'remove' && (attr === 'members' || attr === 'groups') && o.value === undefined) {
      // remove all
      if (attr === 'members') c.setMembers = [];
      else c.setGroups = [];
    } else {
      applyAttr(kind, c, op, attr, o.value);
    }
  }
  return c;
}

function putChanges(kind: Kind, body: Record<string, unknown>): Changes {
  const c = emptyChanges();
  for (const [k, v] of Object.entries(body)) {
    const a = attrKey(k);
    if (a === 'members' || a === 'groups') applyAttr(kind, c, 'replace', a, v ?? []);
    else if (v !== undefined) applyAttr(kind, c, 'replace', a, v);
  }
  if (kind === 'group' && c.setMembers === undefined) c.setMembers = [];
  return c;
}

async function resolveRef(store: PrincipalStore, idOrName: string): Promise<PrincipalRecord> {
  const p = await store.getRecord(idOrName);
  if (!p) throw bad(`principal ${idOrName} does not exist`);
  return p;
}

async function applyChanges(store: PrincipalStore, p: PrincipalRecord, c: Changes): Promise<void> {
  if (c.name !== undefined || c.displayName !== undefined || c.active !== undefined || c.externalId !== undefined) {
    await store.updatePrincipal(p.id, {
      ...(c.name !== undefined ? { name: c.name } : {}),
      ...(c.displayName !== undefined ? { displayName: c.displayName } : {}),
      ...(c.active !== undefined ? { active: c.active } : {}),
      ...(c.externalId !== undefined ? { externalId: c.externalId } : {}),
    });
  }
  if (c.password !== undefined) await store.setPassword(p.id, c.password);
  // Memberships: add before remove, so that moving the last admin between groups succeeds.
  if (c.setMembers !== undefined) {
    const want = new Set<string>();
    for (const m of c.setMembers) want.add((await resolveRef(store, m)).id);
    for (const id of want) await store.addMember(p.id, id);
    for (const m of await store.members(p.id)) if (!want.has(m.id)) await store.removeMember(p.id, m.id);
  }
  for (const m of c.addMembers) await store.addMember(p.id, (await resolveRef(store, m)).id);
  for (const m of c.removeMembers) await store.removeMember(p.id, m);
  if (c.setGroups !== undefined) {
    const want = new Set<string>();
    for (const g of c.setGroups) want.add((await resolveRef(store, g)).id);
    for (const id of want) await store.addMember(id, p.id);
    for (const g of await store.directGroups(p.id)) if (!want.has(g.id)) await store.removeMember(g.id, p.id);
  }
  for (const g of c.addGroups) await store.addMember((await resolveRef(store, g)).id, p.id);
  for (const g of c.removeGroups) await store.removeMember(g, p.id);
}

export const scimRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  const store = opts.principals;

  // Identity providers send application/scim+json.
  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_req, text, done) => {
    try {
      done(null, text === '' ? undefined : JSON.parse(text as string));
    } catch {
      done(new LakeboxError('MALFORMED_REQUEST', 'the request body is not valid JSON'), undefined);
    }
  });

  // Errors in SCIM's shape, keeping Databricks' error_code/message for the SDKs.
  app.setErrorHandler((error, request, reply) => {
    let status = 500;
    let code = 'INTERNAL_ERROR';
    let message = `Internal error (request ${request.id}); the server log has the details.`;
    let scimType: string | undefined;
    if (error instanceof LakeboxError) {
      status = error.httpStatus;
      code = error.code;
      message = error.message;
      scimType = error.details?.scimType as string | undefined;
      if (status === 409) scimType = 'uniqueness';
      if (status >= 500) request.log.error({ err: error }, error.message);
    } else if (
      typeof (error as { statusCode?: number }).statusCode === 'number' &&
      (error as { statusCode: number }).statusCode < 500
    ) {
      status = (error as { statusCode: number }).statusCode;
      code = 'MALFORMED_REQUEST';
      message = (error as Error).message;
    } else {
      request.log.error({ err: error }, 'internal error');
    }
    return reply.status(status).send({ ...scimError(status, message, scimType), error_code: code, message });
  });

  const load = async (kind: Kind, id: string): Promise<PrincipalRecord> => {
    const p = await store.getRecord(id);
    if (!p || p.id !== id || p.kind !== kind) throw notFound(kind, id);
    return p;
  };

  const list = async (kind: Kind, request: FastifyRequest) => {
    principalOf(request);
    const q = request.query as Record<string, string | undefined>;
    const startIndex = intParam(q.startIndex, 'startIndex', 1, 1);
    const count = Math.min(intParam(q.count, 'count', 10000, 0), 10000);
    let resources = await Promise.all((await store.listRecords(kind)).map((p) => toScim(store, p)));
    if (q.filter) {
      const f = parseScimFilter(q.filter);
      resources = resources.filter(f);
    }
    if (q.sortBy) {
      const key = q.sortBy.toLowerCase();
      const val = (r: Record<string, unknown>) => {
        const k = Object.keys(r).find((x) => x.toLowerCase() === key);
        return k ? String(r[k] ?? '') : '';
      };
      resources.sort((a, b) => val(a).localeCompare(val(b)));
      if ((q.sortOrder ?? '').toLowerCase() === 'descending') resources.reverse();
    }
    const page = resources.slice(startIndex - 1, startIndex - 1 + count);
    return {
      schemas: [SCHEMA.list],
      totalResults: resources.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page,
    };
  };

  const create = async (kind: Kind, request: FastifyRequest, reply: FastifyReply) => {
    requireAdmin(request);
    const b = obj(request.body);
    let name: string | undefined;
    let displayName: string | null = null;
    let applicationId: string | null = null;
    if (kind === 'user') {
      name = optString(b.userName, 'userName');
      if (!name && Array.isArray(b.emails)) {
        const emails = b.emails as Array<{ value?: unknown; primary?: unknown }>;
        const e = emails.find((x) => x && x.primary === true) ?? emails[0];
        name = optString(e?.value, 'emails.value');
      }
      if (!name) throw bad('userName is required');
      displayName = optString(b.displayName, 'displayName') ?? null;
    } else if (kind === 'group') {
      name = optString(b.displayName, 'displayName');
      if (!name) throw bad('displayName is required');
    } else {
      applicationId = optString(b.applicationId, 'applicationId') ?? null;
      if (applicationId !== null && !/^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/.test(applicationId)) {
        throw bad('applicationId must be 1 to 64 letters, digits, dots, dashes or underscores');
      }
      applicationId ??= randomUUID();
      name = applicationId;
      displayName = optString(b.displayName, 'displayName') ?? null;
    }
    const created = await store.createPrincipal(name, {
      kind,
      displayName,
      externalId: optString(b.externalId, 'externalId') ?? null,
      active: optBool(b.active, 'active') ?? true,
      applicationId,
    });
    try {
      const c = emptyChanges();
      if (kind === 'group' && b.members !== undefined) c.addMembers = refValues(b.members, 'members');
      if (b.groups !== undefined) c.addGroups = refValues(b.groups, 'groups');
      if (kind === 'user' && b.password !== undefined) c.password = optString(b.password, 'password') ?? null;
      await applyChanges(store, created, c);
    } catch (e) {
      await store.deletePrincipal(created.id).catch(() => {});
      throw e;
    }
    reply.status(201);
    return toScim(store, (await store.getRecord(created.id))!);
  };

  for (const kind of ['user', 'group', 'service_principal'] as const) {
    const base = `/api/2.0/preview/scim/v2/${COLLECTION[kind]}`;
    app.get(base, async (request) => list(kind, request));
    app.post(base, async (request, reply) => create(kind, request, reply));
    app.get(`${base}/:id`, async (request) => {
      principalOf(request);
      return toScim(store, await load(kind, (request.params as { id: string }).id));
    });
    app.put(`${base}/:id`, async (request) => {
      requireAdmin(request);
      const p = await load(kind, (request.params as { id: string }).id);
      await applyChanges(store, p, putChanges(kind, obj(request.body)));
      return toScim(store, (await store.getRecord(p.id))!);
    });
    app.patch(`${base}/:id`, async (request, reply) => {
      requireAdmin(request);
      const p = await load(kind, (request.params as { id: string }).id);
      await applyChanges(store, p, patchChanges(kind, obj(request.body)));
      // Databricks answers PATCH with 204 No Content unless attributes are asked for.
      const q = request.query as Record<string, string | undefined>;
      if (q.attributes) return toScim(store, (await store.getRecord(p.id))!);
      return reply.status(204).send();
    });
    app.delete(`${base}/:id`, async (request, reply) => {
      requireAdmin(request);
      const p = await load(kind, (request.params as { id: string }).id);
      await store.deletePrincipal(p.id);
      return reply.status(204).send();
    });
  }

  // The caller, as Databricks' SCIM "Me" endpoint returns it (SDKs call it to check a token).
  app.get('/api/2.0/preview/scim/v2/Me', async (request) => {
    const me = principalOf(request);
    const rec = await store.getRecord(me.id);
    if (!rec) throw notFound('user', me.id);
    const r = await toScim(store, rec.kind === 'group' ? rec : { ...rec, kind: 'user' });
    return { ...r, schemas: [SCHEMA.user], userName: rec.name };
  });
};
