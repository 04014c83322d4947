import * as fs from 'node:fs';
import { ADMIN_USER, openCatalog, type OpenCatalog } from '@lakebox/catalog';
import { loadConfig, type ConfigOverrides, type LakeboxConfig } from './config.js';

/**
 * A data directory opened in-process, without serving: for CLI commands (`lakebox sql`,
 * `lakebox token`) that work on the same metastore as `lakebox start`. The default catalog and
 * schema are created if missing; no administrator or token is (that is the server's first start).
 */
export async function openWorkspace(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: LakeboxConfig; catalog: OpenCatalog; close(): Promise<void> }> {
  const config = loadConfig(overrides, env);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const catalog = await openCatalog({
    url: config.metastoreUrl,
    storageRoot: config.storageRoot,
    volumesRoot: config.volumesRoot,
  });
  try {
    await catalog.metastore.bootstrap(ADMIN_USER);
  } catch (e) {
    await catalog.close();
    throw e;
  }
  return { config, catalog, close: () => catalog.close() };
}
