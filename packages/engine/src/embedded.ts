import { mkdirSync } from 'node:fs';
import { openCatalog, type OpenCatalog } from '@lakebox/catalog';
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
}): Promise<EmbeddedSql> {
  mkdirSync(opts.storageRoot, { recursive: true });
  const catalog = await openCatalog({
    url: opts.metastoreUrl,
    storageRoot: opts.storageRoot,
    volumesRoot: opts.volumesRoot,
  });
  const user = opts.user ?? 'admin';
  await catalog.metastore.bootstrap(user);
  const lakehouse = new Lakehouse(catalog.metastore);
  const engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
  lakehouse.engine = engine;
  const session: Session = { catalog: 'main', schema: 'default', user };
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
