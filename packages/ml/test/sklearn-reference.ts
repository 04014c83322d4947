import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** Run tests/peers/ml_linear.py (scikit-learn) once per test file. */
export function sklearnReference(): Promise<Reference> {
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run 'bash scripts/python-env.sh' first`);
  }
  cached ??= promisify(execFile)(python, [join(repoRoot, 'tests/peers/ml_linear.py')], {
    maxBuffer: 256 * 1024 * 1024,
  }).then((r) => JSON.parse(r.stdout) as Reference);
  return cached;
}

export function datasetFrame(ds: RefDataset): Frame {
  return new Frame({
    features: vectorColumn(Float64Array.from(ds.x), ds.d),
    label: { kind: 'numeric', values: Float64Array.from(ds.y) },
  });
}
