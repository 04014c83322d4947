import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../src/index.js';

// The real `mlflow` Python client (pinned in requirements/ml.txt) against a real `lakebox start`:
// tests/peers/mlflow_client.py runs the whole tracking / artifacts / registry / search flow and
// asserts on each answer; this file then reads the same server back with the TypeScript client.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = path.join(repo, 'packages/cli/bin/lakebox.js');
const python = path.join(repo, '.venv/bin/python');
let child: ChildProcess | undefined;
let dir = '';
let url = '';
let token = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-mlflow-'));
  const port = await freePort();
  child = spawn(
    process.execPath,
    [bin, 'start', '--port', String(port), '--spark-connect-port', '0', '--data', path.join(dir, 'data')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('"lakebox listening"')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child!.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`lakebox start exited with ${code}:\n${out}`));
    });
  });
  token = /lbx_[0-9a-f]{64}/.exec(out)![0];
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('mlflow Python client against lakebox start', () => {
  it('runs tracking, artifacts, autolog, log_model, registry, aliases, stages, load_model and search', async () => {
    const outFile = path.join(dir, 'summary.json');
    const { stdout } = await run(python, [path.join(repo, 'tests/peers/mlflow_client.py'), outFile], {
      env: {
        ...process.env,
        MLFLOW_TRACKING_URI: url,
        MLFLOW_TRACKING_TOKEN: token,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
        MLFLOW_ENABLE_TELEMETRY: 'false',
        MLFLOW_DISABLE_TELEMETRY: 'true',
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 540_000,
    });
    expect(stdout).toContain('mlflow peer: all checks passed');
    const summary = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    expect(summary.registered_versions.sort()).toEqual(['1', '2']);
    expect(summary.prediction).toEqual([0, 0, 0, 0, 0]);

    // the same data through the TypeScript client
    const c = new MlflowClient({ trackingUri: url, token });
    const r = await c.getRun(summary.manual_run);
    expect(r.info.run_name).toBe('manual');
    const loss = await c.getMetricHistory(summary.manual_run, 'loss');
    expect(loss.map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);
    expect((await c.downloadArtifact(r.info.artifact_uri, 'notes.txt')).toString()).toBe('hello lakebox');
    const files = await c.listArtifacts(summary.manual_run);
    expect(files.map((f) => f.path)).toEqual(['config', 'many', 'notes.txt', 'plots', 'text']);
    const v1 = await c.getModelVersion('iris', '1');
    expect(v1.current_stage).toBe('Production');
    expect(v1.model_id).toMatch(/^m-/);
    const exp = await c.getExperimentByName('lakebox-peer');
    expect(exp?.tags).toContainEqual({ key: 'mlflow.owner', value: 'admin' });

    // without the token nothing is served
    const anon = await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(anon.status).toBe(401);
  });
});
