import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../tests/support/ports.js';
import { venvPython } from '../../../tests/support/python.js';
import { REPO_ROOT } from '../../../tests/support/repo.js';
import { sparkConnect, stopSparkConnect, type SparkConnectServer } from '../../../tests/support/spark-connect.js';

// Scale-out (issue 4, acceptance 4): `lakebox start` with LAKEBOX_SPARK_CONNECT_REMOTE pointing at a
// real Spark Connect server (Spark 4.0.1 + delta-spark, local[2]) whose warehouse is Lakebox's own
// storage root. The same PySpark program (tests/peers/connect_diff_forward.py) runs through Lakebox
// on the embedded engine and, with `;x-lakebox-backend=spark` in the connection string, forwarded to
// Spark; the results must be the same, and each backend reads the Delta table the other wrote.

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../cli/bin/lakebox.js', import.meta.url));
let child: ChildProcess | undefined;
let dir: string;
let scPort: number;
let token: string;
let spark: SparkConnectServer;

async function startLakebox(env: Record<string, string>): Promise<void> {
  const httpPort = await freePort();
  scPort = await freePort();
  const args = ['start', '--port', String(httpPort), '--spark-connect-port', String(scPort)];
  child = spawn(process.execPath, [bin, ...args, '--data', path.join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on('data', () => {
      if (out.includes('"service":"spark-connect"')) resolve();
    });
    child!.once('exit', (code) => reject(new Error(`lakebox start exited with ${code}:\n${out}`)));
  });
  token = /lbx_[0-9a-f]{64}/.exec(out)![0];
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-forward-'));
  fs.mkdirSync(path.join(dir, 'data', 'warehouse'), { recursive: true });
  spark = await sparkConnect({ warehouse: path.join(dir, 'data', 'warehouse') });
  await startLakebox({ LAKEBOX_SPARK_CONNECT_REMOTE: `sc://127.0.0.1:${spark.port}` });
}, 300_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await stopSparkConnect();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function script(url: string, tag: string, other?: string): Promise<Record<string, unknown>> {
  const args = [path.join(REPO_ROOT, 'tests', 'peers', 'connect_diff_forward.py'), url, tag];
  if (other) args.push(other);
  try {
    const { stdout } = await run(venvPython(), args, { timeout: 480_000, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `${(e as Error).message} (signal ${(e as { signal?: string }).signal})\nSpark Connect log:\n${spark.log().slice(-4000)}`,
    );
  }
}

/** Directories holding a Delta table (a _delta_log) under the shared warehouse. */
function deltaTables(): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === '_delta_log') found.push(d);
      else walk(path.join(d, e.name));
    }
  };
  walk(path.join(dir, 'data', 'warehouse'));
  return found.sort();
}

describe('Lakebox sessions forwarded to a real Spark Connect server', () => {
  it('runs the same PySpark program on the embedded engine and on Spark with the same results', async () => {
    const base = `sc://localhost:${scPort}/;token=${token}`;
    const embedded = await script(base, 'embedded');
    // The managed table Lakebox wrote (warehouse/<catalog>/<schema>/<table>).
    const lakeboxTable = deltaTables().find((d) => path.basename(d) === 'embedded_saved');
    expect(lakeboxTable, deltaTables().join('\n')).toBeDefined();
    const forwarded = await script(`${base};x-lakebox-backend=spark`, 'forwarded', lakeboxTable!);
    // Really two engines: Lakebox's default catalog is `main`, Spark's `spark_catalog`.
    expect(embedded.default_catalog).toBe('main');
    expect(forwarded.default_catalog).toBe('spark_catalog');
    // Spark wrote its managed table into the shared warehouse directory.
    expect(fs.existsSync(path.join(dir, 'data', 'warehouse', 'forwarded_saved', '_delta_log'))).toBe(true);
    // Everything else is the same (Spark also read the Delta table Lakebox wrote).
    const { default_catalog: _a, other_delta, ...onSpark } = forwarded;
    const { default_catalog: _b, ...onLakebox } = embedded;
    expect(onSpark).toEqual(onLakebox);
    expect(other_delta).toEqual(embedded.delta_by_dept);
    expect(embedded.agg).toEqual([
      [null, 1, 60, 60, 'fay'],
      ['eng', 3, 300.5, 100.166666667, 'eve'],
      ['ops', 2, 70, 70, 'dee'],
    ]);
    expect(embedded.delta_count).toBe(8);
    expect(embedded.big).toEqual([50000, 2499950000]);
    // Lakebox on the embedded engine reads the Delta table Spark wrote.
    const back = await script(base, 'again', path.join(dir, 'data', 'warehouse', 'forwarded_saved'));
    expect(back.other_delta).toEqual(embedded.delta_by_dept);
  }, 900_000);

  it('checks the Lakebox token and the backend option before forwarding', async () => {
    const probe = `
import sys
from pyspark.sql import SparkSession
s = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
try:
    print(s.range(3).count())
except Exception as e:
    print(type(e).__name__, getattr(e, "getCondition", lambda: None)(), str(e)[:300])
`;
    const bad = await run(venvPython(), [
      '-c',
      probe,
      `sc://localhost:${scPort}/;token=lbx_wrong;x-lakebox-backend=spark`,
    ]);
    expect(bad.stdout).toMatch(/UNAUTHENTICATED/);
    const good = await run(venvPython(), [
      '-c',
      probe,
      `sc://localhost:${scPort}/;token=${token};x-lakebox-backend=spark`,
    ]);
    expect(good.stdout.trim()).toBe('3');
    const wrong = await run(venvPython(), [
      '-c',
      probe,
      `sc://localhost:${scPort}/;token=${token};x-lakebox-backend=cluster`,
    ]);
    expect(wrong.stdout).toMatch(/x-lakebox-backend must be "embedded" or "spark"/);
    // AddArtifacts (client-streaming) through the proxy: Spark checks each chunk's CRC and answers.
    const upload = `
import os, sys, tempfile
from pyspark.sql import SparkSession
s = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
p = os.path.join(tempfile.mkdtemp(), "lbx_fwd_mod.py")
open(p, "w").write("X = 1\\n" * 5000)
s.addArtifacts(p, pyfile=True)
print("added")
`;
    const artifacts = await run(venvPython(), [
      '-c',
      upload,
      `sc://localhost:${scPort}/;token=${token};x-lakebox-backend=spark`,
    ]);
    expect(artifacts.stdout.trim()).toBe('added');
  }, 300_000);
});
