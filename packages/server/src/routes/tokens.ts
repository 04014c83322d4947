import type { FastifyPluginAsync } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import type { TokenInfo } from '@lakebox/catalog';
import { principalOf, requireAdmin } from '../context.js';
import type { LakeboxPluginOptions } from '../context.js';

/** A token as the Databricks Token API shows it. */
export function tokenInfoJson(t: TokenInfo): Record<string, unknown> {
  return {
    token_id: t.tokenId,
    creation_time: t.createdAt,
    expiry_time: t.expiresAt ?? -1,
    comment: t.comment ?? '',
    created_by_username: t.principal,
    ...(t.lastUsedAt !== null ? { last_used_time: t.lastUsedAt } : {}),
  };
}

function body(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new LakeboxError('MALFORMED_REQUEST', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/**
 * Personal access tokens, as Databricks' Token API shapes them:
 * POST /api/2.0/token/create, GET /api/2.0/token/list, POST /api/2.0/token/delete.
 * Lakebox extension: an administrator may pass `user_name` to create a token for another user
 * (created if missing) and may list or delete anyone's tokens.
 */
export const tokenRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  app.post('/api/2.0/token/create', async (request) => {
    const me = principalOf(request);
    const b = body(request.body);
    const lifetime = b.lifetime_seconds;
    if (lifetime !== undefined && lifetime !== null && (typeof lifetime !== 'number' || !Number.isInteger(lifetime))) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'lifetime_seconds must be an integer');
    }
    if (b.comment !== undefined && b.comment !== null && typeof b.comment !== 'string') {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'comment must be a string');
    }
    let user = me.name;
    if (b.user_name !== undefined && b.user_name !== me.name) {
      if (typeof b.user_name !== 'string')
        throw new LakeboxError('INVALID_PARAMETER_VALUE', 'user_name must be a string');
      if (!me.isAdmin) {
        throw new LakeboxError('PERMISSION_DENIED', 'only an administrator may create tokens for another user', {
          httpStatus: 403,
        });
      }
      user = (await opts.principals.ensurePrincipal(b.user_name)).name;
    }
    const { token, info } = await opts.principals.createToken(user, {
      lifetimeSeconds: (lifetime as number | undefined) ?? null,
      comment: (b.comment as string | undefined) ?? null,
    });
    return { token_value: token, token_info: tokenInfoJson(info) };
  });

  app.get('/api/2.0/token/list', async (request) => {
    const me = principalOf(request);
    const q = request.query as Record<string, string | undefined>;
    const all = me.isAdmin && q.all === 'true';
    const tokens = await opts.principals.listTokens(all ? undefined : me.name);
    return { token_infos: tokens.map(tokenInfoJson) };
  });

  app.post('/api/2.0/token/delete', async (request) => {
    const me = principalOf(request);
    const b = body(request.body);
    if (typeof b.token_id !== 'string' || !b.token_id)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'token_id is required');
    await opts.principals.revokeToken(b.token_id, me);
    return {};
  });

  // ---- Token Management API (administrators): every principal's tokens ----

  const managed = async (t: TokenInfo) => {
    const owner = await opts.principals.getRecord(t.principal);
    // Databricks' ids are int64; principals created before numeric ids (UUIDs) have none to show.
    const id = owner && /^\d{1,16}$/.test(owner.id) ? Number(owner.id) : undefined;
    return { ...tokenInfoJson(t), ...(id !== undefined ? { created_by_id: id, owner_id: id } : {}) };
  };

  app.get('/api/2.0/token-management/tokens', async (request) => {
    requireAdmin(request);
    const q = request.query as Record<string, string | undefined>;
    let user = q.created_by_username;
    if (q.created_by_id) {
      const p = await opts.principals.getRecord(q.created_by_id);
      if (!p || p.id !== q.created_by_id) return { token_infos: [] };
      if (user !== undefined && user !== p.name) return { token_infos: [] };
      user = p.name;
    }
    const tokens = await opts.principals.listTokens(user);
    return { token_infos: await Promise.all(tokens.map(managed)) };
  });

  app.get('/api/2.0/token-management/tokens/:token_id', async (request) => {
    requireAdmin(request);
    const id = (request.params as { token_id: string }).token_id;
    const t = await opts.principals.getToken(id);
    if (!t || t.revokedAt !== null) {
      throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `token '${id}' does not exist`, { httpStatus: 404 });
    }
    return { token_info: await managed(t) };
  });

  app.delete('/api/2.0/token-management/tokens/:token_id', async (request) => {
    const me = requireAdmin(request);
    await opts.principals.revokeToken((request.params as { token_id: string }).token_id, me);
    return {};
  });

  // A token for a service principal, created by an administrator.
  app.post('/api/2.0/token-management/on-behalf-of/tokens', async (request) => {
    requireAdmin(request);
    const b = body(request.body);
    if (typeof b.application_id !== 'string' || !b.application_id) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'application_id is required');
    }
    const lifetime = b.lifetime_seconds;
    if (lifetime !== undefined && lifetime !== null && (typeof lifetime !== 'number' || !Number.isInteger(lifetime))) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'lifetime_seconds must be an integer');
    }
    if (b.comment !== undefined && b.comment !== null && typeof b.comment !== 'string') {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'comment must be a string');
    }
    const sp = await opts.principals.findByApplicationId(b.application_id);
    if (!sp || sp.kind !== 'service_principal') {
      throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `service principal '${b.application_id}' does not exist`, {
        httpStatus: 404,
      });
    }
    const { token, info } = await opts.principals.createToken(sp.name, {
      lifetimeSeconds: (lifetime as number | undefined) ?? null,
      comment: (b.comment as string | undefined) ?? null,
    });
    return { token_value: token, token_info: await managed(info) };
  });
};
