import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports.js';
import { REPO_ROOT } from './repo.js';

/** A real `lakebox start` on free ports and a temporary data directory, for integration tests. */
export interface RunningLakebox {
  /** http://127.0.0.1:<port> */
  base: string;
  /** The Spark Connect port (0 when started without it). */
  sparkConnectPort: number;
  /** The administrator token printed on first start. */
  token: string;
  dir: string;
  /** A JSON API call as the administrator (or with `token`); throws on a non-2xx answer. */
  api(method: string, url: string, body?: unknown, token?: string): Promise<any>;
  /** SIGTERM, wait for the exit, remove the data directory; resolves to the exit code. */
  stop(): Promise<number | null>;
}

const BIN = path.join(REPO_ROOT, 'packages/cli/bin/lakebox.js');

export async function startLakebox(
  opts: { sparkConnect?: boolean; env?: NodeJS.ProcessEnv; prefix?: string } = {},
): Promise<RunningLakebox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'lakebox-test-'));
  const port = await freePort();
  const sparkConnectPort = opts.sparkConnect ? await freePort() : 0;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'start',
      '--port',
      String(port),
      '--spark-connect-port',
      String(sparkConnectPort),
      '--data',
      path.join(dir, 'data'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  );
  let out = '';
  // ready: the token is printed and HTTP listens (and Spark Connect, when asked for)
  const ready = () =>
    /lbx_[0-9a-f]{64}/.test(out) &&
    out.includes('"lakebox listening"') &&
    (!opts.sparkConnect || out.includes('"service":"spark-connect"'));
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready()) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`lakebox start exited with ${code}:\n${out}`)));
  });
  const token = /lbx_[0-9a-f]{64}/.exec(out)![0];
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    sparkConnectPort,
    token,
    dir,
    async api(method, url, body, asToken = token) {
      const r = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${asToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = await r.json();
      if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}
