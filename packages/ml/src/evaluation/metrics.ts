import { MlErrors, mlError } from '../core.js';

/**
 * Metrics on plain arrays. Definitions follow scikit-learn's (sklearn.metrics), so results agree
 * with it to rounding: roc_auc_score, average_precision_score, log_loss (probabilities clipped to
 * [eps, 1 - eps]), precision/recall/F1 (0 when undefined), r2_score, ...
 */

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw mlError(MlErrors.INVALID_DATA, `${what}: labels have ${a.length} rows, predictions ${b.length}`);
  }
  if (a.length === 0) throw mlError(MlErrors.EMPTY_DATA, `${what}: no rows to evaluate`);
}

/** Distinct-threshold cumulative counts, scores sorted descending. */
function rankCurve(y: ArrayLike<number>, score: ArrayLike<number>): { tps: number[]; fps: number[] } {
  const n = y.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(score[i])) throw mlError(MlErrors.INVALID_DATA, `scores contain NaN at row ${i}`);
    if (y[i] !== 0 && y[i] !== 1)
      throw mlError(MlErrors.INVALID_DATA, `binary labels must be 0 or 1, row ${i} is ${y[i]}`);
  }
  idx.sort((a, b) => score[b] - score[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    if (y[i] === 1) tp++;
    else fp++;
    if (k === n - 1 || score[idx[k + 1]] !== score[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { tps, fps };
}

/** Area under the ROC curve (ties handled as sklearn's roc_auc_score: trapezoids). */
export function areaUnderROC(y: ArrayLike<number>, score: ArrayLike<number>): number {
  checkSameLength(y, score, 'areaUnderROC');
  const { tps, fps } = rankCurve(y, score);
  const P = tps[tps.length - 1];
  const N = fps[fps.length - 1];
  if (P === 0 || N === 0) {
    throw mlError(MlErrors.SINGLE_CLASS, 'areaUnderROC is undefined when only one class is present in the labels');
  }
  let area = 0;
  let px = 0;
  let py = 0;
  for (let k = 0; k < tps.length; k++) {
    const x = fps[k] / N;
    const yv = tps[k] / P;
    area += ((x - px) * (yv + py)) / 2;
    px = x;
    py = yv;
  }
  return area;
}

function prPoints(y: ArrayLike<number>, score: ArrayLike<number>): { precision: number[]; recall: number[] } {
  const { tps, fps } = rankCurve(y, score);
  const P = tps[tps.length - 1];
  if (P === 0) throw mlError(MlErrors.SINGLE_CLASS, 'precision-recall is undefined without positive labels');
  const precision = tps.map((t, k) => (t + fps[k] === 0 ? 0 : t / (t + fps[k])));
  const recall = tps.map((t) => t / P);
  return { precision, recall };
}

/** Average precision: sum over thresholds of (R_k - R_{k-1}) * P_k (sklearn's average_precision_score). */
export function averagePrecision(y: ArrayLike<number>, score: ArrayLike<number>): number {
  checkSameLength(y, score, 'averagePrecision');
  const { precision, recall } = prPoints(y, score);
  let ap = 0;
  let prev = 0;
  for (let k = 0; k < precision.length; k++) {
    ap += (recall[k] - prev) * precision[k];
    prev = recall[k];
  }
  return ap;
}

/** Area under the precision-recall curve by trapezoids, starting at (recall 0, precision 1). */
export function areaUnderPR(y: ArrayLike<number>, score: ArrayLike<number>): number {
  checkSameLength(y, score, 'areaUnderPR');
  const { precision, recall } = prPoints(y, score);
  let area = 0;
  let pr = 0;
  let pp = 1;
  for (let k = 0; k < precision.length; k++) {
    area += ((recall[k] - pr) * (precision[k] + pp)) / 2;
    pr = recall[k];
    pp = precision[k];
  }
  return area;
}

const EPS = 2.220446049250313e-16;

/**
 * Mean negative log-likelihood. `prob` is either n probabilities of class 1 (binary) or n x K
 * row-major class probabilities.
 */
export function logLoss(y: ArrayLike<number>, prob: ArrayLike<number>, numClasses?: number): number {
  const n = y.length;
  if (n === 0) throw mlError(MlErrors.EMPTY_DATA, 'logLoss: no rows to evaluate');
  const K = numClasses ?? (prob.length === n ? 2 : prob.length / n);
  const binary1d = prob.length === n;
  if (!binary1d && prob.length !== n * K) {
    throw mlError(MlErrors.INVALID_DATA, `logLoss: ${prob.length} probabilities for ${n} rows and ${K} classes`);
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const c = y[i];
    if (!Number.isInteger(c) || c < 0 || c >= K)
      throw mlError(MlErrors.INVALID_DATA, `logLoss: label ${c} at row ${i} is not a class index`);
    let p = binary1d ? (c === 1 ? prob[i] : 1 - prob[i]) : prob[i * K + c];
    if (Number.isNaN(p)) throw mlError(MlErrors.INVALID_DATA, `logLoss: probability is NaN at row ${i}`);
    p = Math.min(Math.max(p, EPS), 1 - EPS);
    s -= Math.log(p);
  }
  return s / n;
}

export function accuracy(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkSameLength(y, pred, 'accuracy');
  let c = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) c++;
  return c / y.length;
}

/** Confusion matrix, rows = true class, columns = predicted class, over the sorted union of labels. */
export function confusionMatrix(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
): { labels: number[]; matrix: number[][] } {
  checkSameLength(y, pred, 'confusionMatrix');
  const set = new Set<number>();
  for (let i = 0; i < y.length; i++) {
    set.add(y[i]);
    set.add(pred[i]);
  }
  const labels = [...set].sort((a, b) => a - b);
  const pos = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < y.length; i++) matrix[pos.get(y[i])!][pos.get(pred[i])!]++;
  return { labels, matrix };
}

export type Average = 'binary' | 'macro' | 'weighted' | 'micro';

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Precision, recall and F1 (sklearn's conventions: a 0/0 ratio counts as 0). */
export function precisionRecallF1(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  average: Average = 'binary',
  posLabel: number = 1,
): PrecisionRecallF1 {
  const { labels, matrix } = confusionMatrix(y, pred);
  const per = labels.map((_, k) => {
    let tp = matrix[k][k];
    let colSum = 0;
    let rowSum = 0;
    for (let j = 0; j < labels.length; j++) {
      colSum += matrix[j][k];
      rowSum += matrix[k][j];
    }
    const p = colSum === 0 ? 0 : tp / colSum;
    const r = rowSum === 0 ? 0 : tp / rowSum;
    const f = p + r === 0 ? 0 : (2 * p * r) / (p + r);
    tp = rowSum;
    return { p, r, f, support: tp };
  });
  if (average === 'binary') {
    const k = labels.indexOf(posLabel);
    if (k < 0) return { precision: 0, recall: 0, f1: 0 };
    return { precision: per[k].p, recall: per[k].r, f1: per[k].f };
  }
  if (average === 'micro') {
    const acc = accuracy(y, pred);
    return { precision: acc, recall: acc, f1: acc };
  }
  // Averages over labels present in y or pred (sklearn's default `labels`).
  const total = per.reduce((s, v) => s + v.support, 0);
  let P = 0;
  let R = 0;
  let F = 0;
  for (const v of per) {
    const w = average === 'macro' ? 1 / per.length : v.support / total;
    P += w * v.p;
    R += w * v.r;
    F += w * v.f;
  }
  return { precision: P, recall: R, f1: F };
}

export function meanSquaredError(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkSameLength(y, pred, 'meanSquaredError');
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - pred[i]) ** 2;
  return s / y.length;
}

export function rootMeanSquaredError(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  return Math.sqrt(meanSquaredError(y, pred));
}

export function meanAbsoluteError(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkSameLength(y, pred, 'meanAbsoluteError');
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i] - pred[i]);
  return s / y.length;
}

/** Coefficient of determination (1 - SS_res / SS_tot; 0 when y is constant and the fit imperfect, as sklearn). */
export function r2Score(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  checkSameLength(y, pred, 'r2Score');
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i] - pred[i]) ** 2;
    ssTot += (y[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
