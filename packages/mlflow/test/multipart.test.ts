import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../../../tests/support/lakebox.js';

// MLflow's proxied multipart artifact upload (mpu/create, one PUT per part, mpu/complete,
// mpu/abort) with the real `mlflow` client: multipart_peer.py logs a file four chunks long with
// MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true and small size thresholds, downloads it back and
// checks the bytes, then drives a wrong ETag and an abort by hand.

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const python = path.join(here, '../../../.venv/bin/python');
let lb: RunningLakebox;

beforeAll(async () => {
  lb = await startLakebox({ prefix: 'lakebox-mlflow-mpu-' });
}, 120_000);
afterAll(async () => {
  await lb?.stop();
});

describe('multipart artifact upload', () => {
  it('uploads a large artifact in parts with the mlflow client, refuses bad ETags, aborts', async () => {
    const { stdout } = await run(python, [path.join(here, 'multipart_peer.py')], {
      env: {
        ...process.env,
        MLFLOW_TRACKING_URI: lb.base,
        MLFLOW_TRACKING_TOKEN: lb.token,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
        MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'true',
        MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: '100000',
        MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: '100000',
      },
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.calls).toEqual({ parts: 4, complete: 1, single_put: 0 });
    expect(out.size).toBe(312345);
    expect(out.listed).toEqual(['model']);
    // the completed upload and the aborted one left no staging files behind
    const staging = path.join(lb.dir, 'data', 'mlflow-artifacts.mpu');
    expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
  }, 180_000);
});
