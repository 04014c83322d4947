import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { frameFromDuckDB } from '../src/data/duckdb.js';

/** Shared helpers of the tree tests: the Python peer script, Parquet input, metrics. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const python = process.env.LAKEBOX_ML_PYTHON ?? join(repoRoot, '.venv/bin/python');
export const treesPeer = join(repoRoot, 'tests/peers/ml_trees.py');

export async function runTreesPeer(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(python, [treesPeer, ...args], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONWARNINGS: 'ignore', MLFLOW_TRACKING_URI: '' },
  });
  return stdout;
}

export interface XY {
  columns: Float64Array[];
  label: Float64Array;
  featureNames: string[];
  numRows: number;
}

/** Read a Parquet file whose columns are float64 features plus `label`. */
export async function readXY(path: string): Promise<XY> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const frame = await frameFromDuckDB(conn, `SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`);
    const names = frame.columnNames.filter((c) => c !== 'label');
    return {
      columns: names.map((n) => frame.numeric(n)),
      label: frame.numeric('label'),
      featureNames: names,
      numRows: frame.numRows,
    };
  } finally {
    conn.closeSync();
  }
}

/** Area under the ROC curve (ties get the average rank). */
export function auc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  const rank = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && score[idx[j + 1]] === score[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) rank[idx[k]] = r;
    i = j + 1;
  }
  let pos = 0;
  let sumPos = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] === 1) {
      pos++;
      sumPos += rank[i];
    }
  }
  const neg = n - pos;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Accuracy of row-major probabilities (n x K) against labels 0..K-1. */
export function accuracy(y: ArrayLike<number>, proba: ArrayLike<number>, K: number): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (proba[i * K + c] > proba[i * K + best]) best = c;
    if (best === y[i]) ok++;
  }
  return ok / y.length;
}

export function logLoss(y: ArrayLike<number>, proba: ArrayLike<number>, K: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.min(Math.max(proba[i * K + y[i]], 1e-15), 1));
  return s / y.length;
}

export function rmse(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - pred[i]) ** 2;
  return Math.sqrt(s / y.length);
}
