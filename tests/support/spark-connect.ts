import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports.js';
import { venvPython } from './python.js';
import { REPO_ROOT, cacheDir } from './repo.js';

/**
 * A real Apache Spark Connect server (the SparkConnectServer class of the pyspark 4.0.1 wheel's
 * spark-connect jar, local[2], delta-spark from Maven Central through the Ivy cache) for tests.
 * One JVM per test file: `sparkConnect()` starts it on first use and returns the same server after.
 */
export interface SparkConnectServer {
  /** `sc://localhost:<port>` (PySpark only sends tokens in plaintext to localhost). */
  url: string;
  port: number;
  /** spark.sql.warehouse.dir: managed tables of the server go here. */
  warehouse: string;
  /** The server's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface SparkConnectOptions {
  /** spark.sql.warehouse.dir (default: a new temp directory, removed on stop). */
  warehouse?: string;
  /** Extra --conf settings. */
  conf?: Record<string, string>;
  /** Driver memory (default 1g, or LAKEBOX_SPARK_CONNECT_MEMORY). */
  memory?: string;
  timeoutMs?: number;
}

let shared: Promise<SparkConnectServer> | undefined;

/** The file's shared server (started once; stop it in afterAll with `stopSparkConnect()`). */
export function sparkConnect(opts: SparkConnectOptions = {}): Promise<SparkConnectServer> {
  shared ??= startSparkConnect(opts);
  return shared;
}

export async function stopSparkConnect(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s.catch(() => undefined))?.stop();
}

/** The pyspark package directory of the venv (its bin/spark-submit and jars/). */
function sparkHome(): string {
  const site = path.join(REPO_ROOT, '.venv', 'lib');
  const py = fs.readdirSync(site).find((d) => d.startsWith('python'));
  const home = py ? path.join(site, py, 'site-packages', 'pyspark') : '';
  if (!home || !fs.existsSync(path.join(home, 'bin', 'spark-submit'))) {
    venvPython(); // throws the "run scripts/python-env.sh" message when there is no venv at all
    throw new Error(`no pyspark with bin/spark-submit under ${site}`);
  }
  return home;
}

export async function startSparkConnect(opts: SparkConnectOptions = {}): Promise<SparkConnectServer> {
  const home = sparkHome();
  const port = await freePort();
  const ownWarehouse = !opts.warehouse;
  const warehouse = opts.warehouse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-sc-wh-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-sc-'));
  const ivy = process.env.LAKEBOX_IVY_DIR ?? cacheDir('ivy');
  fs.mkdirSync(ivy, { recursive: true });
  const conf: Record<string, string> = {
    'spark.connect.grpc.binding.address': '127.0.0.1',
    'spark.connect.grpc.binding.port': String(port),
    'spark.connect.grpc.maxInboundMessageSize': String(128 * 1024 * 1024),
    'spark.sql.extensions': 'io.delta.sql.DeltaSparkSessionExtension',
    'spark.sql.catalog.spark_catalog': 'org.apache.spark.sql.delta.catalog.DeltaCatalog',
    'spark.jars.ivy': ivy,
    'spark.driver.host': '127.0.0.1',
    'spark.driver.bindAddress': '127.0.0.1',
    'spark.ui.enabled': 'false',
    'spark.sql.shuffle.partitions': '2',
    'spark.default.parallelism': '2',
    'spark.sql.session.timeZone': 'UTC',
    'spark.driver.extraJavaOptions': '-Duser.timezone=UTC -Dderby.system.home=' + work,
    'spark.sql.warehouse.dir': warehouse,
    ...opts.conf,
  };
  const args = [
    '--master',
    'local[2]',
    '--driver-memory',
    opts.memory ?? process.env.LAKEBOX_SPARK_CONNECT_MEMORY ?? '1g',
    '--class',
    'org.apache.spark.sql.connect.service.SparkConnectServer',
    '--jars',
    path.join(home, 'jars', 'spark-connect_2.13-4.0.1.jar'),
    '--packages',
    'io.delta:delta-spark_2.13:4.0.1',
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    'spark-internal',
  ];
  const child: ChildProcess = spawn(path.join(home, 'bin', 'spark-submit'), args, {
    cwd: work,
    env: { ...process.env, SPARK_HOME: home, SPARK_LOCAL_IP: '127.0.0.1', PYSPARK_PYTHON: venvPython() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-256 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM'); // the launcher script and its JVM
      } catch {
        child.kill('SIGTERM');
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 15_000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(work, { recursive: true, force: true });
    if (ownWarehouse) fs.rmSync(warehouse, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 240_000;
      const timer = setTimeout(
        () => reject(new Error(`Spark Connect did not start in ${timeoutMs} ms:\n${out.slice(-8000)}`)),
        timeoutMs,
      );
      const check = () => {
        if (out.includes('Spark Connect server started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Spark Connect exited with ${code} before starting:\n${out.slice(-8000)}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `sc://localhost:${port}`, port, warehouse, log: () => out, stop };
}
