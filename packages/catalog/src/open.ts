import { migrateAuthz } from './authz/migrations.js';
import { migrateMetastore, openMetastoreDb, type MetastoreDb } from './db.js';
import { Metastore } from './metastore.js';
import { PrincipalStore } from './principals.js';

/** An open, migrated metastore with its principal store. */
export interface OpenCatalog {
  database: MetastoreDb;
  metastore: Metastore;
  principals: PrincipalStore;
  close(): Promise<void>;
}

/**
 * Open the metastore database at `url`, bring its schema to the latest version and return the
 * metastore and the principal store over it. Call `bootstrap` separately (the server does).
 */
export async function openCatalog(opts: {
  url: string;
  storageRoot: string;
  volumesRoot: string;
}): Promise<OpenCatalog> {
  const database = openMetastoreDb({ url: opts.url });
  try {
    await migrateMetastore(database.db);
    await migrateAuthz(database.db);
  } catch (e) {
    await database.close();
    throw e;
  }
  return {
    database,
    metastore: new Metastore(database.db, { storageRoot: opts.storageRoot, volumesRoot: opts.volumesRoot }),
    principals: new PrincipalStore(database.db),
    close: () => database.close(),
  };
}
