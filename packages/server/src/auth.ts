import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LakeboxError } from '@lakebox/common';
import type { PrincipalStore } from '@lakebox/catalog';

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

/**
 * The one place where a request becomes a principal. Every route requires a valid token except
 * those declaring `config: { public: true }`. Permission checks (governance) hook in here later.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { principals: PrincipalStore }) => {
    app.decorateRequest('lakebox', null);
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.public) return;
      const principal = await opts.principals.authenticate(tokenFromRequest(request));
      request.lakebox = { principal, requestId: request.id };
      if (principal.tokenId) {
        opts.principals
          .touchToken(principal.tokenId)
          .catch((e: unknown) => request.log.warn({ err: e }, 'could not record token use'));
      }
    });
  },
  { name: 'lakebox-auth' },
);
