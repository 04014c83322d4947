import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports.js';
import { REPO_ROOT } from './repo.js';

/**
 * A real S3-compatible server for the tests: MinIO, built from source by
 * tests/support/install-minio.sh (run here on first use when the binary is missing), listening on
 * a free 127.0.0.1 port with its data in a temporary directory. MinIO honours conditional writes
 * (`If-None-Match: *` on PutObject) atomically, under its per-object lock.
 */
export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The env a client (Lakebox, delta-rs) needs to reach this server. */
  env: Record<string, string>;
  /** delta-rs / object_store storage options for this server. */
  deltaRsOptions: Record<string, string>;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function minioBinary(): string {
  const fromEnv = process.env.LAKEBOX_MINIO_BIN;
  if (fromEnv) return fromEnv;
  // The script builds MinIO on first use (minutes) and prints the binary's path last.
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'tests', 'support', 'install-minio.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bin = out.trim().split('\n').pop() ?? '';
  if (!existsSync(bin)) throw new Error(`install-minio.sh did not produce a binary (got '${bin}')`);
  return bin;
}

export async function startMinio(): Promise<S3Server> {
  const bin = minioBinary();
  const port = await freePort();
  const consolePort = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-minio-'));
  const accessKeyId = 'lakebox-test';
  const secretAccessKey = 'lakebox-test-secret';
  const region = 'us-east-1';
  let log = '';
  const proc: ChildProcess = spawn(
    bin,
    ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, dataDir],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_REGION: region,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-16384);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let exited = false;
  proc.on('exit', () => {
    exited = true;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`minio exited during start-up:\n${log}`);
    const ready = await fetch(`${endpoint}/minio/health/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`minio did not become ready in 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    client,
    env: {
      LAKEBOX_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: region,
    },
    deltaRsOptions: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: region,
      AWS_ALLOW_HTTP: 'true',
      AWS_FORCE_PATH_STYLE: 'true',
      // delta-rs commits with conditional puts instead of needing a DynamoDB lock.
      AWS_CONDITIONAL_PUT: 'etag',
    },
    async createBucket(name: string): Promise<void> {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop(): Promise<void> {
      client.destroy();
      if (!exited) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
