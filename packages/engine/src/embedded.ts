import { mkdirSync } from 'node:fs';
import { openCatalog, type OpenCatalog } from '@lakebox/catalog';
import type { PrincipalLike } from '@lakebox/catalog/authz';
import { SqlEngine, type Session, type StatementResult } from './engine.js';
import { Lakehouse } from './lakehouse.js';
import type { ParamValue } from './translate.js';

/** A SQL session over an embedded metastore and local Delta storage (no server). */
export interface EmbeddedSql {
  engine: SqlEngine;
  lakehouse: Lakehouse;
  catalog: OpenCatalog;
  session: Session;
  /** Run a script in this session (USE statements carry over). */
  run(sql: string, params?: Record<string, ParamValue>): Promise<StatementResult>;
  close(): Promise<void>;
}

export async function openEmbedded(opts: {
  metastoreUrl: string;
  storageRoot: string;
  volumesRoot: string;
  user?: string;
  /**
   * Enforce privileges as this principal (a name or a Principal). Without it the embedded engine
   * is a trusted local caller (whoever opens the data directory owns it): nothing is checked.
   */
  principal?: PrincipalLike;
}): Promise<EmbeddedSql> {
  mkdirSync(opts.storageRoot, { recursive: true });
  const catalog = await openCatalog({
    url: opts.metastoreUrl,
    storageRoot: opts.storageRoot,
    volumesRoot: opts.volumesRoot,
  });
  const user = opts.user ?? 'admin';
  await catalog.metastore.bootstrap(user);
  const lakehouse = new Lakehouse(catalog.metastore, opts.principal === undefined ? { authorizer: null } : {});
  const engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
  lakehouse.engine = engine;
  const session: Session & { principal?: PrincipalLike } = {
    catalog: 'main',
    schema: 'default',
    user:
      opts.principal === undefined ? user : typeof opts.principal === 'string' ? opts.principal : opts.principal.name,
    ...(opts.principal !== undefined ? { principal: opts.principal } : {}),
  };
  const conn = await engine.connect();
  return {
    engine,
    lakehouse,
    catalog,
    session,
    run: (sql, params) => engine.execute(sql, { session, conn, ...(params ? { params } : {}) }),
    close: async () => {
      conn.closeSync();
      await catalog.close();
    },
  };
}
