import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import type { MetastoreDatabase, MetastoreDialect, Metastore, Principal, PrincipalStore } from '@lakebox/catalog';
import type { LakeboxConfig } from './config.js';

/** What every authenticated request carries: built once, in the auth hook (see auth.ts). */
export interface RequestContext {
  principal: Principal;
  requestId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every request to a non-public route; null on public routes. */
    lakebox: RequestContext | null;
  }
  interface FastifyContextConfig {
    /** `config: { public: true }` on a route: no authentication (only /health is public today). */
    public?: boolean;
  }
}

/** The principal of an authenticated request (throws 401 if the route was public and nobody signed in). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.lakebox)
    throw new LakeboxError('UNAUTHENTICATED', 'this request is not authenticated', { httpStatus: 401 });
  return request.lakebox.principal;
}

/** Administrators only (until governance brings real privileges). */
export function requireAdmin(request: FastifyRequest): Principal {
  const p = principalOf(request);
  if (!p.isAdmin) throw new LakeboxError('PERMISSION_DENIED', `${p.name} is not an administrator`, { httpStatus: 403 });
  return p;
}

/**
 * A long-running listener other than HTTP (Spark Connect on 15002, a PostgreSQL wire endpoint, ...),
 * started after the HTTP server listens and stopped, in reverse order, on shutdown.
 */
export interface LakeboxService {
  name: string;
  start(): Promise<{ address?: string } | void>;
  stop(): Promise<void>;
}

export class ServiceRegistry {
  readonly services: LakeboxService[] = [];
  add(service: LakeboxService): void {
    this.services.push(service);
  }
}

/** What a feature plugin receives: the shared process-wide resources. */
export interface LakeboxPluginOptions {
  /** The metastore database (Kysely over SQLite or PostgreSQL); feature packages may keep their own tables in it. */
  db: Kysely<MetastoreDatabase>;
  dialect: MetastoreDialect;
  metastore: Metastore;
  principals: PrincipalStore;
  config: LakeboxConfig;
  services: ServiceRegistry;
  log: FastifyBaseLogger;
}

/**
 * A feature that mounts routes on the workspace server (MLflow, SQL statements, ...). `plugin` is
 * registered with fastify under `prefix` (if any) after authentication is in place, so every route
 * in it requires a token unless it sets `config: { public: true }`.
 */
export interface LakeboxFeature {
  name: string;
  plugin: FastifyPluginAsync<LakeboxPluginOptions>;
  prefix?: string;
}
