/**
 * Loss and gradient of logistic regression over a row range [lo, hi) of the standardised design
 * (sum over rows, each times its weight `sw[i]` when there are weights; no 1/n and no penalty). Run on the main thread and inside worker threads
 * (parallel-worker.mjs) on SharedArrayBuffer-backed arrays.
 */

export interface PartialLoss {
  loss: number;
  grad: Float64Array;
}

export function binaryChunk(
  xs: Float64Array,
  y: Float64Array,
  sw: Float64Array | null,
  d: number,
  fitIntercept: boolean,
  w: Float64Array,
  lo: number,
  hi: number,
  g: Float64Array = new Float64Array(w.length),
): PartialLoss {
  g.fill(0);
  const b = fitIntercept ? w[d] : 0;
  let loss = 0;
  let gb = 0;
  for (let i = lo; i < hi; i++) {
    const o = i * d;
    let m = b;
    for (let j = 0; j < d; j++) m += w[j] * xs[o + j];
    let l: number;
    let pr: number;
    if (m > 0) {
      const e = Math.exp(-m);
      l = m + Math.log1p(e);
      pr = 1 / (1 + e);
    } else {
      const e = Math.exp(m);
      l = Math.log1p(e);
      pr = e / (1 + e);
    }
    const yi = y[i];
    const wi = sw ? sw[i] : 1;
    loss += wi * (l - yi * m);
    const r = wi * (pr - yi);
    gb += r;
    for (let j = 0; j < d; j++) g[j] += r * xs[o + j];
  }
  if (fitIntercept) g[d] = gb;
  return { loss, grad: g };
}

export function multinomialChunk(
  xs: Float64Array,
  y: Float64Array,
  sw: Float64Array | null,
  d: number,
  K: number,
  fitIntercept: boolean,
  w: Float64Array,
  lo: number,
  hi: number,
  g: Float64Array = new Float64Array(w.length),
): PartialLoss {
  g.fill(0);
  const m = new Float64Array(K);
  const nw = K * d;
  let loss = 0;
  for (let i = lo; i < hi; i++) {
    const o = i * d;
    let mx = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = fitIntercept ? w[nw + k] : 0;
      const wo = k * d;
      for (let j = 0; j < d; j++) s += w[wo + j] * xs[o + j];
      m[k] = s;
      if (s > mx) mx = s;
    }
    let z = 0;
    for (let k = 0; k < K; k++) {
      m[k] = Math.exp(m[k] - mx);
      z += m[k];
    }
    const yi = y[i];
    const wi = sw ? sw[i] : 1;
    loss += wi * (Math.log(z) - Math.log(m[yi]));
    for (let k = 0; k < K; k++) {
      const r = wi * (m[k] / z - (k === yi ? 1 : 0));
      if (fitIntercept) g[nw + k] += r;
      const wo = k * d;
      for (let j = 0; j < d; j++) g[wo + j] += r * xs[o + j];
    }
  }
  return { loss, grad: g };
}

/** Worker entry: one chunk, returning the partial loss and gradient. */
export function chunk(
  xs: Float64Array,
  y: Float64Array,
  sw: Float64Array | null,
  d: number,
  K: number,
  multinomial: boolean,
  fitIntercept: boolean,
  w: Float64Array,
  lo: number,
  hi: number,
): PartialLoss {
  return multinomial
    ? multinomialChunk(xs, y, sw, d, K, fitIntercept, w, lo, hi)
    : binaryChunk(xs, y, sw, d, fitIntercept, w, lo, hi);
}
