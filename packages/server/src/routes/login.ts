import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { LakeboxError } from '@lakebox/common';
import { SESSION_TTL_MS } from '@lakebox/catalog';
import { CSRF_COOKIE, SESSION_COOKIE, cookieHeader, isSameOrigin, readCookie, rejectTooMany } from '../auth.js';
import { principalOf, type LakeboxPluginOptions } from '../context.js';

function body(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new LakeboxError('MALFORMED_REQUEST', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** A login form posted from another site is refused (login CSRF). */
function sameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && !isSameOrigin(request, origin)) {
    throw new LakeboxError('PERMISSION_DENIED', 'cross-site login refused', { httpStatus: 403 });
  }
}

/**
 * Web-UI sign-in with a user name and password:
 *   POST /api/2.0/lakebox/login   {user_name, password} -> {user_name, csrf_token, expires_at}
 *        sets lakebox_session (HttpOnly) and lakebox_csrf (readable by the UI), both SameSite=Strict
 *   POST /api/2.0/lakebox/logout  ends the session and clears the cookies
 *   POST /api/2.0/lakebox/password {current_password, new_password}: change one's own password
 * Failed logins are limited per IP and per user name (429 with Retry-After).
 */
export const loginRoutes: FastifyPluginAsync<LakeboxPluginOptions> = async (app, opts) => {
  app.post('/api/2.0/lakebox/login', { config: { public: true } }, async (request, reply) => {
    sameOrigin(request);
    const b = body(request.body);
    const user = b.user_name ?? b.username;
    const password = b.password;
    if (typeof user !== 'string' || !user || typeof password !== 'string' || !password) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'user_name and password are required');
    }
    const limiter = app.lakeboxLimiters.login;
    const keys = [`ip:${request.ip}`, `user:${user.slice(0, 255)}`];
    const wait = Math.max(...keys.map((k) => limiter.retryAfter(k)));
    if (wait > 0) rejectTooMany(reply, wait);
    let principal;
    try {
      principal = await opts.principals.verifyLogin(user, password);
    } catch (e) {
      for (const k of keys) limiter.fail(k);
      throw e;
    }
    limiter.reset(keys[1]!);
    const s = await opts.principals.createSession(principal.id);
    request.lakebox = { principal, requestId: request.id };
    const maxAge = SESSION_TTL_MS / 1000;
    reply.header('set-cookie', [
      cookieHeader(request, SESSION_COOKIE, s.session, { httpOnly: true, maxAgeSeconds: maxAge }),
      cookieHeader(request, CSRF_COOKIE, s.csrf, { httpOnly: false, maxAgeSeconds: maxAge }),
    ]);
    reply.header('cache-control', 'no-store');
    return { user_name: principal.name, csrf_token: s.csrf, expires_at: s.expiresAt };
  });

  app.post('/api/2.0/lakebox/logout', async (request, reply) => {
    principalOf(request);
    const session = readCookie(request, SESSION_COOKIE);
    if (session) await opts.principals.deleteSession(session);
    reply.header('set-cookie', [
      cookieHeader(request, SESSION_COOKIE, '', { httpOnly: true, maxAgeSeconds: 0 }),
      cookieHeader(request, CSRF_COOKIE, '', { httpOnly: false, maxAgeSeconds: 0 }),
    ]);
    return {};
  });

  app.post('/api/2.0/lakebox/password', async (request, reply) => {
    const me = principalOf(request);
    const b = body(request.body);
    if (typeof b.new_password !== 'string')
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'new_password is required');
    const rec = await opts.principals.getRecord(me.id);
    if (rec?.hasPassword) {
      const limiter = app.lakeboxLimiters.login;
      const key = `user:${me.name}`;
      const wait = limiter.retryAfter(key);
      if (wait > 0) rejectTooMany(reply, wait);
      if (typeof b.current_password !== 'string') {
        throw new LakeboxError('INVALID_PARAMETER_VALUE', 'current_password is required');
      }
      try {
        await opts.principals.verifyLogin(me.name, b.current_password);
      } catch (e) {
        limiter.fail(key);
        throw new LakeboxError('PERMISSION_DENIED', 'the current password is wrong', { httpStatus: 403, cause: e });
      }
    }
    await opts.principals.setPassword(me.id, b.new_password);
    return {};
  });
};
