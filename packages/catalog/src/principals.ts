import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { isUniqueViolation } from './db.js';
import { burnPasswordCheck, hashPassword, validatePassword, verifyPassword } from './passwords.js';
import type { MetastoreDatabase, PrincipalsTable, TokensTable } from './tables.js';

/** Who is making a request: the result of authentication, carried in every request context. */
export interface Principal {
  id: string;
  name: string;
  kind: 'user' | 'service_principal' | 'group';
  /** Member (directly or through nested groups) of the `admins` group. */
  isAdmin: boolean;
  /**
   * Names of every group the principal belongs to, directly or through nested groups (filled by
   * authentication and getPrincipal; see PrincipalStore.groupsOf).
   */
  groups?: string[];
  /** The token the request authenticated with (absent for in-process callers). */
  tokenId?: string;
  /** The web-UI session the request authenticated with (cookie), if any. */
  sessionId?: string;
}

/** A principal with every stored attribute (for SCIM). */
export interface PrincipalRecord extends Principal {
  displayName: string;
  active: boolean;
  externalId: string | null;
  /** Service principals: the application id (UUID). */
  applicationId: string | null;
  createdAt: number;
  hasPassword: boolean;
  groups: string[];
}

/** A member of a group as listed (direct members only). */
export interface GroupMember {
  id: string;
  name: string;
  displayName: string;
  kind: Principal['kind'];
}

/** A personal access token as listed (never contains the secret). */
export interface TokenInfo {
  tokenId: string;
  principal: string;
  /** The first characters of the token, enough to recognise it, not to use it. */
  prefix: string;
  comment: string | null;
  createdAt: number;
  /** null: never expires */
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export const TOKEN_PREFIX = 'lbx_';
/** Name of the administrator created on first start. */
export const ADMIN_USER = 'admin';
/** The workspace administrators' group: its members (also through nested groups) are admins. */
export const ADMINS_GROUP = 'admins';
/** Web-UI sessions last 12 hours. */
export const SESSION_TTL_MS = 12 * 3600_000;

/**
 * A new personal access token: `lbx_` + 32 random bytes in hex (256 bits). Tokens are stored as
 * their SHA-256 only. A fast hash is right here (unlike for passwords): a token carries 256 bits
 * of entropy, so nobody can guess one from its hash, and lookups stay one indexed query.
 */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toPrincipal(r: Pick<PrincipalsTable, 'id' | 'name' | 'kind'>, groups: string[]): Principal {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as Principal['kind'],
    isAdmin: groups.includes(ADMINS_GROUP),
    groups,
  };
}

function toRecord(r: PrincipalsTable, groups: string[]): PrincipalRecord {
  return {
    ...toPrincipal(r, groups),
    groups,
    displayName: r.display_name ?? r.name,
    active: Number(r.active ?? 1) === 1,
    externalId: r.external_id ?? null,
    applicationId: r.application_id ?? null,
    createdAt: r.created_at,
    hasPassword: !!r.password_hash,
  };
}

/**
 * Principal ids are 16-digit numbers (as strings), like Databricks' SCIM ids: clients such as the
 * Databricks SDK read `created_by_id` / `owner_id` as int64. Below 2^53, so exact in JSON.
 */
export function newPrincipalId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 8_000_000_000_000_000n;
  return (1_000_000_000_000_000n + n).toString();
}

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return false;
}

const KINDS: ReadonlyArray<Principal['kind']> = ['user', 'service_principal', 'group'];

function toTokenInfo(r: TokensTable & { principal_name: string }): TokenInfo {
  return {
    tokenId: r.id,
    principal: r.principal_name,
    prefix: r.token_prefix,
    comment: r.comment,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

const unauthenticated = (message: string) => new LakeboxError('UNAUTHENTICATED', message, { httpStatus: 401 });
const notFound = (what: string) =>
  new LakeboxError('RESOURCE_DOES_NOT_EXIST', `${what} does not exist`, { httpStatus: 404 });

/**
 * Names of every group `idOrName` (a principal's id or name) belongs to, directly or through
 * nested groups, sorted; [] for an unknown principal. One recursive query (SQLite and PostgreSQL).
 */
export async function groupsOf(db: Kysely<any>, idOrName: string): Promise<string[]> {
  const r = await sql<{ name: string }>`
    WITH RECURSIVE me(id) AS (
      SELECT id FROM principals WHERE id = ${idOrName} OR name = ${idOrName}
    ), g(id) AS (
      SELECT gm.group_id FROM group_members gm JOIN me ON gm.member_id = me.id
      UNION
      SELECT gm.group_id FROM group_members gm JOIN g ON gm.member_id = g.id
    )
    SELECT DISTINCT p.name AS name FROM principals p JOIN g ON p.id = g.id ORDER BY p.name`.execute(db);
  return r.rows.map((x) => x.name);
}

/** Users, service principals and their personal access tokens, stored in the metastore database. */
export class PrincipalStore {
  constructor(private readonly db: Kysely<MetastoreDatabase>) {}

  async getPrincipal(name: string): Promise<Principal | undefined> {
    const r = await this.db.selectFrom('principals').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toPrincipal(r, await this.groupsOf(r.id)) : undefined;
  }

  /** Every attribute of a principal, by id or by name (id first); undefined when unknown. */
  async getRecord(idOrName: string): Promise<PrincipalRecord | undefined> {
    const r =
      (await this.db.selectFrom('principals').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
      (await this.db.selectFrom('principals').selectAll().where('name', '=', idOrName).executeTakeFirst());
    return r ? toRecord(r, await this.groupsOf(r.id)) : undefined;
  }

  async listPrincipals(): Promise<Principal[]> {
    const rows = await this.db.selectFrom('principals').selectAll().orderBy('name').execute();
    return Promise.all(rows.map(async (r) => toPrincipal(r, await this.groupsOf(r.id))));
  }

  /** Principals of one kind with every attribute, ordered by name. */
  async listRecords(kind?: Principal['kind']): Promise<PrincipalRecord[]> {
    let q = this.db.selectFrom('principals').selectAll();
    if (kind) q = q.where('kind', '=', kind);
    const rows = await q.orderBy('name').execute();
    return Promise.all(rows.map(async (r) => toRecord(r, await this.groupsOf(r.id))));
  }

  /** Create a principal; returns the existing one when the name is taken. */
  async ensurePrincipal(name: string, opts: { kind?: Principal['kind']; isAdmin?: boolean } = {}): Promise<Principal> {
    const existing = await this.getPrincipal(name);
    if (existing) {
      if (opts.isAdmin && !existing.isAdmin) {
        await this.addMember(ADMINS_GROUP, existing.id);
        return (await this.getPrincipal(name))!;
      }
      return existing;
    }
    try {
      await this.createPrincipal(name, { kind: opts.kind });
    } catch (e) {
      if (!(e instanceof LakeboxError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
    }
    if (opts.isAdmin) {
      await this.ensureSystemGroups();
      await this.addMember(ADMINS_GROUP, (await this.getPrincipal(name))!.id);
    }
    return (await this.getPrincipal(name))!;
  }

  /** Create a principal; RESOURCE_ALREADY_EXISTS (409) when the name is taken. */
  async createPrincipal(
    name: string,
    opts: {
      kind?: Principal['kind'];
      displayName?: string | null;
      externalId?: string | null;
      active?: boolean;
      applicationId?: string | null;
    } = {},
  ): Promise<PrincipalRecord> {
    if (typeof name !== 'string' || !name.trim() || name.length > 255 || hasControlChars(name)) {
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        'a principal name must have 1 to 255 characters and no control characters',
      );
    }
    const kind = opts.kind ?? 'user';
    if (!KINDS.includes(kind)) throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown principal kind '${kind}'`);
    const row: PrincipalsTable = {
      id: newPrincipalId(),
      name,
      kind,
      is_admin: 0,
      created_at: Date.now(),
      display_name: opts.displayName ?? null,
      active: opts.active === false ? 0 : 1,
      password_hash: null,
      external_id: opts.externalId ?? null,
      application_id: kind === 'service_principal' ? (opts.applicationId ?? randomUUID()) : null,
    };
    try {
      await this.db.insertInto('principals').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new LakeboxError('RESOURCE_ALREADY_EXISTS', `a principal named '${name}' already exists`, {
          httpStatus: 409,
        });
      }
      throw e;
    }
    return (await this.getRecord(row.id))!;
  }

  /** Change a principal's attributes (name, displayName, active, externalId). */
  async updatePrincipal(
    id: string,
    patch: { name?: string; displayName?: string | null; active?: boolean; externalId?: string | null },
  ): Promise<PrincipalRecord> {
    const cur = await this.getRecord(id);
    if (!cur || cur.id !== id) throw notFound(`principal '${id}'`);
    if (patch.name !== undefined && patch.name !== cur.name) {
      if (cur.kind === 'group' && cur.name === ADMINS_GROUP) {
        throw new LakeboxError('INVALID_PARAMETER_VALUE', `the '${ADMINS_GROUP}' group cannot be renamed`);
      }
      if (!patch.name.trim() || patch.name.length > 255 || hasControlChars(patch.name)) {
        throw new LakeboxError('INVALID_PARAMETER_VALUE', 'a principal name must have 1 to 255 characters');
      }
    }
    if (patch.active === false && cur.isAdmin) await this.assertAnotherAdmin(id);
    const set: Partial<PrincipalsTable> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.active !== undefined) set.active = patch.active ? 1 : 0;
    if (patch.externalId !== undefined) set.external_id = patch.externalId;
    if (Object.keys(set).length > 0) {
      try {
        await this.db.updateTable('principals').set(set).where('id', '=', id).execute();
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new LakeboxError('RESOURCE_ALREADY_EXISTS', `a principal named '${patch.name}' already exists`, {
            httpStatus: 409,
          });
        }
        throw e;
      }
      if (patch.active === false) await this.db.deleteFrom('sessions').where('principal_id', '=', id).execute();
    }
    return (await this.getRecord(id))!;
  }

  /** Delete a principal with its tokens, sessions and memberships. */
  async deletePrincipal(id: string): Promise<void> {
    const cur = await this.getRecord(id);
    if (!cur || cur.id !== id) throw notFound(`principal '${id}'`);
    if (cur.kind === 'group' && cur.name === ADMINS_GROUP) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `the '${ADMINS_GROUP}' group cannot be deleted`);
    }
    if (cur.isAdmin && cur.kind !== 'group') await this.assertAnotherAdmin(id);
    await this.db.deleteFrom('principals').where('id', '=', id).execute();
  }

  /** Refuse a change that would leave no active administrator user (nobody could govern). */
  private async assertAnotherAdmin(leavingId: string): Promise<void> {
    const users = await this.db
      .selectFrom('principals')
      .select('id')
      .where('kind', '!=', 'group')
      .where('active', '=', 1)
      .where('id', '!=', leavingId)
      .execute();
    for (const u of users) if ((await this.groupsOf(u.id)).includes(ADMINS_GROUP)) return;
    throw new LakeboxError('INVALID_PARAMETER_VALUE', 'this change would leave the workspace without an administrator');
  }

  // ---- groups --------------------------------------------------------------------------------

  /**
   * Names of every group `idOrName` belongs to, directly or through nested groups (a group
   * containing a group containing the principal), sorted; [] for an unknown principal. Cycles
   * cannot be created (addMember refuses them) and would terminate anyway (UNION).
   */
  async groupsOf(idOrName: string): Promise<string[]> {
    return groupsOf(this.db, idOrName);
  }

  /** Whether `idOrName` is a member of `group`, directly or through nested groups. */
  async isMember(idOrName: string, group: string): Promise<boolean> {
    return (await this.groupsOf(idOrName)).includes(group);
  }

  private async groupRow(idOrName: string): Promise<PrincipalsTable> {
    const r =
      (await this.db.selectFrom('principals').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
      (await this.db.selectFrom('principals').selectAll().where('name', '=', idOrName).executeTakeFirst());
    if (!r || r.kind !== 'group') throw notFound(`group '${idOrName}'`);
    return r;
  }

  /** Direct members of a group (by id or name). */
  async members(group: string): Promise<GroupMember[]> {
    const g = await this.groupRow(group);
    const rows = await this.db
      .selectFrom('group_members')
      .innerJoin('principals', 'principals.id', 'group_members.member_id')
      .select(['principals.id', 'principals.name', 'principals.display_name', 'principals.kind'])
      .where('group_members.group_id', '=', g.id)
      .orderBy('principals.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      displayName: r.display_name ?? r.name,
      kind: r.kind as Principal['kind'],
    }));
  }

  /** The groups `memberId` belongs to directly (not through nesting). */
  async directGroups(memberId: string): Promise<GroupMember[]> {
    const rows = await this.db
      .selectFrom('group_members')
      .innerJoin('principals', 'principals.id', 'group_members.group_id')
      .select(['principals.id', 'principals.name', 'principals.display_name', 'principals.kind'])
      .where('group_members.member_id', '=', memberId)
      .orderBy('principals.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      displayName: r.display_name ?? r.name,
      kind: r.kind as Principal['kind'],
    }));
  }

  /** A service principal by its application id. */
  async findByApplicationId(applicationId: string): Promise<PrincipalRecord | undefined> {
    const r = await this.db
      .selectFrom('principals')
      .selectAll()
      .where('application_id', '=', applicationId)
      .executeTakeFirst();
    return r ? toRecord(r, await this.groupsOf(r.id)) : undefined;
  }

  /** Add `member` (id or name) to `group` (id or name). Idempotent; refuses cycles. */
  async addMember(group: string, member: string): Promise<void> {
    const g = await this.groupRow(group);
    const m = await this.getRecord(member);
    if (!m) throw notFound(`principal '${member}'`);
    if (m.id === g.id || (m.kind === 'group' && (await this.groupsOf(g.id)).includes(m.name))) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `adding '${m.name}' to '${g.name}' would make a cycle`);
    }
    await this.db
      .insertInto('group_members')
      .values({ group_id: g.id, member_id: m.id, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing())
      .execute();
  }

  /** Remove a direct member. Idempotent; refuses to remove the last administrator. */
  async removeMember(group: string, member: string): Promise<void> {
    const g = await this.groupRow(group);
    const m = await this.getRecord(member);
    if (!m) return;
    const del = () =>
      this.db.deleteFrom('group_members').where('group_id', '=', g.id).where('member_id', '=', m.id).execute();
    const adminBefore = m.isAdmin;
    await del();
    if (adminBefore && m.kind !== 'group' && !(await this.isMember(m.id, ADMINS_GROUP))) {
      try {
        await this.assertAnotherAdmin(m.id);
      } catch (e) {
        await this.db
          .insertInto('group_members')
          .values({ group_id: g.id, member_id: m.id, created_at: Date.now() })
          .execute();
        throw e;
      }
    }
  }

  /**
   * Create the `admins` group when missing and move legacy administrators (the `is_admin` flag of
   * before groups existed) into it.
   */
  async ensureSystemGroups(): Promise<void> {
    let admins = await this.db
      .selectFrom('principals')
      .select('id')
      .where('name', '=', ADMINS_GROUP)
      .executeTakeFirst();
    if (!admins) {
      try {
        await this.createPrincipal(ADMINS_GROUP, { kind: 'group', displayName: ADMINS_GROUP });
      } catch (e) {
        if (!(e instanceof LakeboxError && e.code === 'RESOURCE_ALREADY_EXISTS')) throw e;
      }
      admins = (await this.db
        .selectFrom('principals')
        .select('id')
        .where('name', '=', ADMINS_GROUP)
        .executeTakeFirst())!;
    }
    const legacy = await this.db.selectFrom('principals').select('id').where('is_admin', '=', 1).execute();
    for (const l of legacy) {
      await this.db
        .insertInto('group_members')
        .values({ group_id: admins.id, member_id: l.id, created_at: Date.now() })
        .onConflict((oc) => oc.columns(['group_id', 'member_id']).doNothing())
        .execute();
      await this.db.updateTable('principals').set({ is_admin: 0 }).where('id', '=', l.id).execute();
    }
  }

  // ---- passwords and web sessions --------------------------------------------------------------

  /** Set (or with null, remove) the web-UI password of a user. Stored as an scrypt hash only. */
  async setPassword(idOrName: string, password: string | null): Promise<void> {
    const p = await this.getRecord(idOrName);
    if (!p || p.kind === 'group') throw notFound(`user '${idOrName}'`);
    const hash = password === null ? null : await hashPassword(validatePassword(password));
    await this.db.updateTable('principals').set({ password_hash: hash }).where('id', '=', p.id).execute();
  }

  /**
   * Check a user name and password. One generic 401 for an unknown user, a wrong password, a
   * user without a password and a deactivated user (no user enumeration; same time spent).
   */
  async verifyLogin(name: string, password: string): Promise<Principal> {
    const bad = unauthenticated('invalid user name or password');
    if (typeof name !== 'string' || typeof password !== 'string' || password.length > 1024) {
      await burnPasswordCheck(String(password ?? ''));
      throw bad;
    }
    const r = await this.db.selectFrom('principals').selectAll().where('name', '=', name).executeTakeFirst();
    if (!r || !r.password_hash || r.kind === 'group') {
      await burnPasswordCheck(password);
      throw bad;
    }
    if (!(await verifyPassword(password, r.password_hash))) throw bad;
    if (Number(r.active ?? 1) !== 1) throw bad;
    return toPrincipal(r, await this.groupsOf(r.id));
  }

  /** Open a web session: returns the cookie value and the CSRF token (both shown once; stored hashed). */
  async createSession(
    principalId: string,
    now: number = Date.now(),
  ): Promise<{ session: string; csrf: string; expiresAt: number }> {
    const session = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const expiresAt = now + SESSION_TTL_MS;
    await this.db
      .insertInto('sessions')
      .values({
        id: hashToken(session),
        principal_id: principalId,
        csrf_hash: hashToken(csrf),
        created_at: now,
        expires_at: expiresAt,
        last_seen_at: now,
      })
      .execute();
    return { session, csrf, expiresAt };
  }

  /** The principal of a session cookie, and the hash of the session's CSRF token; 401 when invalid or expired. */
  async authenticateSession(
    session: string,
    now: number = Date.now(),
  ): Promise<{ principal: Principal; csrfHash: string }> {
    const r = await this.db
      .selectFrom('sessions')
      .innerJoin('principals', 'principals.id', 'sessions.principal_id')
      .select([
        'sessions.id as session_id',
        'sessions.csrf_hash',
        'sessions.expires_at',
        'principals.id',
        'principals.name',
        'principals.kind',
        'principals.active',
      ])
      .where('sessions.id', '=', hashToken(session))
      .executeTakeFirst();
    if (!r || r.expires_at <= now || Number(r.active ?? 1) !== 1)
      throw unauthenticated('the session has expired: log in again');
    return {
      principal: { ...toPrincipal(r, await this.groupsOf(r.id)), sessionId: r.session_id },
      csrfHash: r.csrf_hash,
    };
  }

  /** End a session (logout). Idempotent. */
  async deleteSession(session: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', hashToken(session)).execute();
  }

  /**
   * On first start: create the `admin` user and one token for it. Returns the token (to be shown
   * once) when it created one, undefined when an administrator already exists.
   */
  async bootstrapAdmin(): Promise<{ principal: Principal; token: string } | undefined> {
    await this.ensureSystemGroups();
    if ((await this.members(ADMINS_GROUP)).length > 0) return undefined;
    const principal = await this.ensurePrincipal(ADMIN_USER, { isAdmin: true });
    const { token } = await this.createToken(principal.name, { comment: 'created on first start' });
    return { principal, token };
  }

  /** Issue a token for `principalName`. `lifetimeSeconds` <= 0 or absent: no expiry. */
  async createToken(
    principalName: string,
    opts: { lifetimeSeconds?: number | null; comment?: string | null; now?: number } = {},
  ): Promise<{ token: string; info: TokenInfo }> {
    const principal = await this.getPrincipal(principalName);
    if (!principal) {
      throw new LakeboxError('PRINCIPAL_DOES_NOT_EXIST', `principal '${principalName}' does not exist`, {
        httpStatus: 404,
      });
    }
    if (principal.kind === 'group') {
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        `'${principalName}' is a group: tokens belong to users and service principals`,
      );
    }
    const lifetime = opts.lifetimeSeconds ?? null;
    if (lifetime !== null && (!Number.isFinite(lifetime) || !Number.isInteger(lifetime))) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `lifetime_seconds must be an integer, got ${lifetime}`);
    }
    const now = opts.now ?? Date.now();
    const token = generateToken();
    const row: TokensTable = {
      id: randomBytes(16).toString('hex'),
      principal_id: principal.id,
      token_hash: hashToken(token),
      token_prefix: token.slice(0, TOKEN_PREFIX.length + 4),
      comment: opts.comment ?? null,
      created_at: now,
      expires_at: lifetime !== null && lifetime > 0 ? now + lifetime * 1000 : null,
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.insertInto('tokens').values(row).execute();
    return { token, info: toTokenInfo({ ...row, principal_name: principal.name }) };
  }

  /** The principal a bearer token belongs to; a 401 LakeboxError for unknown, expired or revoked tokens. */
  async authenticate(token: string | undefined, now: number = Date.now()): Promise<Principal> {
    if (!token) throw unauthenticated('missing credentials: send the header Authorization: Bearer <token>');
    if (!token.startsWith(TOKEN_PREFIX)) throw unauthenticated('invalid access token');
    const r = await this.db
      .selectFrom('tokens')
      .innerJoin('principals', 'principals.id', 'tokens.principal_id')
      .select([
        'tokens.id as token_id',
        'tokens.expires_at',
        'tokens.revoked_at',
        'principals.id',
        'principals.name',
        'principals.kind',
        'principals.active',
      ])
      .where('tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!r) throw unauthenticated('invalid access token');
    if (r.revoked_at !== null) throw unauthenticated('the access token has been revoked');
    if (r.expires_at !== null && r.expires_at <= now) throw unauthenticated('the access token has expired');
    if (Number(r.active ?? 1) !== 1) throw unauthenticated('the principal of this access token is deactivated');
    return { ...toPrincipal(r, await this.groupsOf(r.id)), tokenId: r.token_id };
  }

  /** Record that a token was used (best effort, at most once a minute per token). */
  async touchToken(tokenId: string, now: number = Date.now()): Promise<void> {
    await this.db
      .updateTable('tokens')
      .set({ last_used_at: now })
      .where('id', '=', tokenId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - 60_000)]))
      .execute();
  }

  /** Tokens of one principal (or of everyone when `principalName` is undefined), newest first. */
  async listTokens(principalName?: string, opts: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
    let q = this.db
      .selectFrom('tokens')
      .innerJoin('principals', 'principals.id', 'tokens.principal_id')
      .selectAll('tokens')
      .select('principals.name as principal_name');
    if (principalName !== undefined) q = q.where('principals.name', '=', principalName);
    if (!opts.includeRevoked) q = q.where('tokens.revoked_at', 'is', null);
    const rows = await q.orderBy('tokens.created_at', 'desc').orderBy('tokens.id').execute();
    return rows.map(toTokenInfo);
  }

  /** One token by id (any state), or undefined. */
  async getToken(tokenId: string): Promise<TokenInfo | undefined> {
    const r = await this.db
      .selectFrom('tokens')
      .innerJoin('principals', 'principals.id', 'tokens.principal_id')
      .selectAll('tokens')
      .select('principals.name as principal_name')
      .where('tokens.id', '=', tokenId)
      .executeTakeFirst();
    return r ? toTokenInfo(r) : undefined;
  }

  /**
   * Revoke a token. A principal may revoke its own tokens; an administrator any token.
   * Unknown ids (or another user's token, for a non-admin) are RESOURCE_DOES_NOT_EXIST.
   */
  async revokeToken(tokenId: string, by: Principal, now: number = Date.now()): Promise<void> {
    const r = await this.db
      .selectFrom('tokens')
      .select(['id', 'principal_id', 'revoked_at'])
      .where('id', '=', tokenId)
      .executeTakeFirst();
    if (!r || (!by.isAdmin && r.principal_id !== by.id)) {
      throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `token '${tokenId}' does not exist`, { httpStatus: 404 });
    }
    if (r.revoked_at !== null) return;
    await this.db.updateTable('tokens').set({ revoked_at: now }).where('id', '=', tokenId).execute();
  }
}
