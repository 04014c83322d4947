/**
 * Tree-structured Parzen Estimator suggestions, as Hyperopt's tpe.suggest does it: after
 * `nStartup` random trials, split the finished trials at the gamma quantile of the loss
 * (n_below = ceil(gamma * sqrt(n)), capped at 25), fit per-dimension adaptive Parzen estimators
 * (truncated Gaussian mixtures with a prior component; categorical: counts plus a prior pseudo-count)
 * to the good and the other trials, draw `nCandidates` from the good model and keep the candidate
 * maximising log l(x) - log g(x). Dimensions are treated independently, as in Hyperopt.
 */
import type { Rng } from '../data/rng.js';
import { internalBounds, sampleInternal, type Dimension } from './space.js';

export interface TpeOptions {
  nStartup: number;
  gamma: number;
  nCandidates: number;
  priorWeight: number;
}

export const defaultTpe: TpeOptions = { nStartup: 20, gamma: 0.25, nCandidates: 24, priorWeight: 1 };

interface Mixture {
  mus: number[];
  sigmas: number[];
  weights: number[];
}

/** Hyperopt's adaptive_parzen_normal: bandwidth from neighbour distances, clipped; prior component added. */
function adaptiveParzen(obs: number[], priorWeight: number, priorMu: number, priorSigma: number): Mixture {
  const mus = [...obs, priorMu];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sorted = order.map((i) => mus[i]);
  const n = sorted.length;
  const sig = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    if (n === 1) sig[k] = priorSigma;
    else if (k === 0) sig[k] = sorted[1] - sorted[0];
    else if (k === n - 1) sig[k] = sorted[k] - sorted[k - 1];
    else sig[k] = Math.max(sorted[k] - sorted[k - 1], sorted[k + 1] - sorted[k]);
  }
  const maxSigma = priorSigma;
  const minSigma = priorSigma / Math.min(100, 1 + n);
  const weights = order.map((i) => (i === n - 1 ? priorWeight : 1));
  const sigmas = order.map((i, k) => (i === n - 1 ? priorSigma : Math.min(maxSigma, Math.max(minSigma, sig[k]))));
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus: sorted, sigmas, weights: weights.map((w) => w / total) };
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const Phi = (z: number): number => 0.5 * (1 + erf(z / Math.SQRT2));

function logDensity(m: Mixture, x: number, low: number, high: number): number {
  let p = 0;
  for (let k = 0; k < m.mus.length; k++) {
    const mu = m.mus[k];
    const s = m.sigmas[k];
    const mass = Math.max(Phi((high - mu) / s) - Phi((low - mu) / s), 1e-12);
    p += (m.weights[k] * Math.exp(-0.5 * ((x - mu) / s) ** 2)) / (s * Math.sqrt(2 * Math.PI) * mass);
  }
  return Math.log(Math.max(p, 1e-300));
}

function sampleMixture(m: Mixture, low: number, high: number, rng: Rng): number {
  let u = rng.next();
  let k = 0;
  while (k < m.weights.length - 1 && u >= m.weights[k]) u -= m.weights[k++];
  for (let tries = 0; tries < 100; tries++) {
    const x = m.mus[k] + m.sigmas[k] * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return Math.min(high, Math.max(low, m.mus[k]));
}

/** Suggest an internal coordinate for one dimension from (value, loss) history. */
export function suggestDimension(
  dim: Dimension,
  history: { x: number; loss: number }[],
  opts: TpeOptions,
  rng: Rng,
): number {
  if (history.length < opts.nStartup) return sampleInternal(dim, rng);
  const sorted = [...history].sort((a, b) => a.loss - b.loss);
  const nBelow = Math.min(Math.ceil(opts.gamma * Math.sqrt(history.length)), 25);
  const below = sorted.slice(0, nBelow).map((h) => h.x);
  const above = sorted.slice(nBelow).map((h) => h.x);
  const b = internalBounds(dim);
  if ('categories' in b) {
    const K = b.categories;
    const probs = (obs: number[]): number[] => {
      const c = new Array<number>(K).fill(opts.priorWeight);
      for (const o of obs) c[o] += 1;
      const t = c.reduce((x, y) => x + y, 0);
      return c.map((v) => v / t);
    };
    const pb = probs(below);
    const pa = probs(above);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < opts.nCandidates; i++) {
      let u = rng.next();
      let c = 0;
      while (c < K - 1 && u >= pb[c]) u -= pb[c++];
      const score = Math.log(pb[c]) - Math.log(pa[c]);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }
  const priorMu = (b.low + b.high) / 2;
  const priorSigma = b.high - b.low;
  const l = adaptiveParzen(below, opts.priorWeight, priorMu, priorSigma);
  const g = adaptiveParzen(above, opts.priorWeight, priorMu, priorSigma);
  let best = priorMu;
  let bestScore = -Infinity;
  for (let i = 0; i < opts.nCandidates; i++) {
    const x = sampleMixture(l, b.low, b.high, rng);
    const score = logDensity(l, x, b.low, b.high) - logDensity(g, x, b.low, b.high);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return best;
}
