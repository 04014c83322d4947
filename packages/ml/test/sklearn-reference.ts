import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Frame, vectorColumn } from '../src/data/frame.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const python = process.env.LAKEBOX_ML_PYTHON ?? join(repoRoot, '.venv/bin/python');

export interface RefDataset {
  n: number;
  d: number;
  x: number[];
  y: number[];
}
export interface Reference {
  sklearn: string;
  datasets: Record<string, RefDataset>;
  logistic: {
    dataset: string;
    C: number;
    l1_ratio: number;
    fit_intercept: boolean;
    coef: number[];
    intercept: number[];
    accuracy: number;
    log_loss: number;
  }[];
  regression: {
    model: string;
    params: { alpha?: number; l1_ratio?: number };
    coef: number[];
    intercept: number;
    r2: number;
    rmse: number;
  }[];
  kmeans: { dataset: string; k: number; inertia: number }[];
  metrics: {
    binary: Record<string, number | number[] | number[][]>;
    multiclass: Record<string, number | number[] | number[][]>;
    regression: Record<string, number | number[]>;
  };
}

let cached: Promise<Reference> | undefined;

/**
 * Run tests/peers/ml_linear.py (scikit-learn). The output is cached under .cache/ keyed by the
 * script's and the requirements' content, so the test files of one run share a single Python run.
 */
export function sklearnReference(): Promise<Reference> {
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run 'bash scripts/python-env.sh' first`);
  }
  const script = join(repoRoot, 'tests/peers/ml_linear.py');
  const key = createHash('sha256')
    .update(readFileSync(script))
    .update(readFileSync(join(repoRoot, 'requirements/ml.txt')))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(repoRoot, '.cache', `ml-sklearn-reference-${key}.json`);
  if (existsSync(cacheFile)) return Promise.resolve(JSON.parse(readFileSync(cacheFile, 'utf8')) as Reference);
  cached ??= promisify(execFile)(python, [script], { maxBuffer: 256 * 1024 * 1024 }).then((r) => {
    mkdirSync(join(repoRoot, '.cache'), { recursive: true });
    writeFileSync(cacheFile, r.stdout);
    return JSON.parse(r.stdout) as Reference;
  });
  return cached;
}

export function datasetFrame(ds: RefDataset): Frame {
  return new Frame({
    features: vectorColumn(Float64Array.from(ds.x), ds.d),
    label: { kind: 'numeric', values: Float64Array.from(ds.y) },
  });
}
