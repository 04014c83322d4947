import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LakeboxError } from '@lakebox/common';
import type { Principal, PrincipalStore } from '@lakebox/catalog';
import { DEFAULT_SECURITY_LIMITS, FailureLimiter, tooManyAttempts, type SecurityLimits } from './rate-limit.js';

/** The web UI's session cookie (HttpOnly) and the CSRF cookie the UI reads (double submit). */
export const SESSION_COOKIE = 'lakebox_session';
export const CSRF_COOKIE = 'lakebox_csrf';
/** Header carrying the CSRF token on state-changing requests authenticated by the session cookie. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The token presented with a request: `Authorization: Bearer <token>`, or HTTP Basic with the
 * token as the password (what some clients, e.g. MLflow's username/password settings, send).
 */
export function tokenFromRequest(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (!h) return undefined;
  const m = /^(\S+)\s+(.+)$/.exec(h.trim());
  if (!m) throw new LakeboxError('UNAUTHENTICATED', 'malformed Authorization header', { httpStatus: 401 });
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return m[2]!.trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 ? decoded.slice(i + 1) : undefined;
  }
  throw new LakeboxError('UNAUTHENTICATED', `unsupported authorization scheme '${m[1]}': use Bearer <token>`, {
    httpStatus: 401,
  });
}

/** One cookie's value from the Cookie header (RFC 6265 syntax; our values are base64url, never quoted). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return v || undefined;
    }
  }
  return undefined;
}

/** Whether the request came over TLS (directly, or as reported by a trusted proxy). */
export function isTls(request: FastifyRequest): boolean {
  // A TLS-terminating proxy says so in X-Forwarded-Proto; trusting it here only adds `Secure`.
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

/**
 * Whether an Origin header names this server. Hosts are compared, not schemes: behind a
 * TLS-terminating proxy the browser's origin is https://host while the server sees plain HTTP.
 */
export function isSameOrigin(request: FastifyRequest, origin: string): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  // default ports are implied on either side (https://h and Host: h:443 are the same origin)
  const norm = (h: string) => h.toLowerCase().replace(/:(80|443)$/, '');
  const forwarded = request.headers['x-forwarded-host'];
  return [request.headers.host, forwarded].some((h) => typeof h === 'string' && norm(h) === norm(host));
}

/** Set-Cookie value for our cookies: SameSite=Strict, Path=/, Secure over TLS; HttpOnly unless the UI must read it. */
export function cookieHeader(
  request: FastifyRequest,
  name: string,
  value: string,
  opts: { httpOnly: boolean; maxAgeSeconds: number },
): string {
  return [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`,
    'SameSite=Strict',
    ...(opts.httpOnly ? ['HttpOnly'] : []),
    ...(isTls(request) ? ['Secure'] : []),
  ].join('; ');
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * CSRF defence for cookie-authenticated, state-changing requests: the session cookie is
 * SameSite=Strict, a cross-site Origin (or Sec-Fetch-Site: cross-site) is refused, and the
 * request must carry the session's CSRF token in X-CSRF-Token (double submit: the UI reads it
 * from the lakebox_csrf cookie or the login response).
 */
function checkCsrf(request: FastifyRequest, csrfHash: string): void {
  const denied = (why: string) =>
    new LakeboxError('PERMISSION_DENIED', `cross-site request refused: ${why}`, { httpStatus: 403 });
  const origin = request.headers.origin;
  if (origin !== undefined && !isSameOrigin(request, origin)) {
    throw denied(`Origin ${origin} is not this server (${request.headers.host ?? 'no Host header'})`);
  }
  if (request.headers['sec-fetch-site'] === 'cross-site') throw denied('Sec-Fetch-Site is cross-site');
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sent) throw denied(`the ${CSRF_HEADER} header is missing`);
  const expected = Buffer.from(csrfHash, 'hex');
  if (expected.length !== 32 || !timingSafeEqual(sha256(sent), expected)) {
    throw denied(`the ${CSRF_HEADER} header does not match the session`);
  }
}

/** Reply 429 with Retry-After. */
export function rejectTooMany(reply: FastifyReply, retryAfter: number): never {
  reply.header('retry-after', String(retryAfter));
  throw tooManyAttempts(retryAfter);
}

export interface AuthPluginOptions {
  principals: PrincipalStore;
  limits?: Partial<SecurityLimits>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed-credential limiters (per IP for tokens and sessions; per IP and per user for logins). */
    lakeboxLimiters: { token: FailureLimiter; login: FailureLimiter };
    /** Every route registered after authentication (method, url, public?): the security test walks them. */
    lakeboxRoutes: Array<{ method: string; url: string; public: boolean }>;
  }
}

/**
 * The one place where a request becomes a principal. Every route requires credentials (a token,
 * or the web UI's session cookie) except those declaring `config: { public: true }`. Repeated
 * bad credentials from one IP are answered 429 with Retry-After.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: AuthPluginOptions) => {
    const limits = { ...DEFAULT_SECURITY_LIMITS, ...(opts.limits ?? {}) };
    app.decorate('lakeboxLimiters', {
      token: new FailureLimiter(limits.tokenMaxFailures, limits.windowMs),
      login: new FailureLimiter(limits.loginMaxFailures, limits.windowMs),
    });
    app.decorate('lakeboxRoutes', []);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const isPublic = !!(route.config as { public?: boolean } | undefined)?.public;
      for (const m of methods) app.lakeboxRoutes.push({ method: m, url: route.url, public: isPublic });
    });
    app.decorateRequest('lakebox', null);
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.public) return;
      const hasHeader = request.headers.authorization !== undefined;
      const session = hasHeader ? undefined : readCookie(request, SESSION_COOKIE);
      if (!hasHeader && !session) {
        throw new LakeboxError(
          'UNAUTHENTICATED',
          'missing credentials: send the header Authorization: Bearer <token>',
          { httpStatus: 401 },
        );
      }
      const limiter = app.lakeboxLimiters.token;
      const ipKey = `ip:${request.ip}`;
      const wait = limiter.retryAfter(ipKey);
      if (wait > 0) rejectTooMany(reply, wait);
      let principal: Principal;
      let csrfHash: string | undefined;
      try {
        if (hasHeader) {
          principal = await opts.principals.authenticate(tokenFromRequest(request));
        } else {
          const s = await opts.principals.authenticateSession(session!);
          principal = s.principal;
          csrfHash = s.csrfHash;
        }
      } catch (e) {
        if (e instanceof LakeboxError && e.httpStatus === 401) limiter.fail(ipKey);
        throw e;
      }
      request.lakebox = { principal, requestId: request.id };
      if (csrfHash !== undefined && !SAFE_METHODS.has(request.method)) checkCsrf(request, csrfHash);
      if (principal.tokenId) {
        opts.principals
          .touchToken(principal.tokenId)
          .catch((e: unknown) => request.log.warn({ err: e }, 'could not record token use'));
      }
    });
  },
  { name: 'lakebox-auth' },
);
