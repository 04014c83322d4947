import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import type { MetastoreDatabase, PrincipalsTable, TokensTable } from './tables.js';

/** Who is making a request: the result of authentication, carried in every request context. */
export interface Principal {
  id: string;
  name: string;
  kind: 'user' | 'service_principal' | 'group';
  isAdmin: boolean;
  /** The token the request authenticated with (absent for in-process callers). */
  tokenId?: string;
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

function toPrincipal(r: PrincipalsTable): Principal {
  return { id: r.id, name: r.name, kind: r.kind as Principal['kind'], isAdmin: Number(r.is_admin) === 1 };
}

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

/** Users, service principals and their personal access tokens, stored in the metastore database. */
export class PrincipalStore {
  constructor(private readonly db: Kysely<MetastoreDatabase>) {}

  async getPrincipal(name: string): Promise<Principal | undefined> {
    const r = await this.db.selectFrom('principals').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toPrincipal(r) : undefined;
  }

  async listPrincipals(): Promise<Principal[]> {
    const rows = await this.db.selectFrom('principals').selectAll().orderBy('name').execute();
    return rows.map(toPrincipal);
  }

  /** Create a principal; returns the existing one when the name is taken. */
  async ensurePrincipal(name: string, opts: { kind?: Principal['kind']; isAdmin?: boolean } = {}): Promise<Principal> {
    if (!name || name.length > 255) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'a principal name must have 1 to 255 characters');
    }
    const existing = await this.getPrincipal(name);
    if (existing) return existing;
    const row: PrincipalsTable = {
      id: randomUUID(),
      name,
      kind: opts.kind ?? 'user',
      is_admin: opts.isAdmin ? 1 : 0,
      created_at: Date.now(),
    };
    await this.db
      .insertInto('principals')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.getPrincipal(name))!;
  }

  /**
   * On first start: create the `admin` user and one token for it. Returns the token (to be shown
   * once) when it created one, undefined when an administrator already exists.
   */
  async bootstrapAdmin(): Promise<{ principal: Principal; token: string } | undefined> {
    const admins = await this.db.selectFrom('principals').select('id').where('is_admin', '=', 1).execute();
    if (admins.length > 0) return undefined;
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
        'principals.is_admin',
        'principals.created_at',
      ])
      .where('tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!r) throw unauthenticated('invalid access token');
    if (r.revoked_at !== null) throw unauthenticated('the access token has been revoked');
    if (r.expires_at !== null && r.expires_at <= now) throw unauthenticated('the access token has expired');
    return { ...toPrincipal(r), tokenId: r.token_id };
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
