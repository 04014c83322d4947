import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../packages/server/src/config.js';
import { startServer, type RunningServer } from '../../packages/server/src/start.js';
import { venvPython } from './python.js';
import { REPO_ROOT } from './repo.js';

const run = promisify(execFile);

/** An in-process workspace server (no Spark Connect) on a free port and a temporary data directory. */
export async function startSdkServer(prefix: string): Promise<{ server: RunningServer; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const server = await startServer(loadConfig({ dataDir: dir, port: 0, logLevel: 'silent' }, {}), {
    features: [],
    logger: false,
  });
  return {
    server,
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Run a script of tests/peers with the real Databricks SDK for Python pointed at `server` as its
 * administrator (no config file); resolves to the JSON object the script prints on its last line.
 */
export async function runSdkScript(server: RunningServer, script: string): Promise<any> {
  const { stdout } = await run(venvPython(), [path.join(REPO_ROOT, 'tests', 'peers', script)], {
    env: {
      ...process.env,
      DATABRICKS_HOST: server.url,
      DATABRICKS_TOKEN: server.createdAdminToken!,
      DATABRICKS_CONFIG_FILE: '/nonexistent',
    },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
