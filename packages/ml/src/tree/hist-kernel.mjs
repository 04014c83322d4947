// Histogram and partition kernels of TreeGrower, shared by the main thread (grower.ts) and the
// histogram worker thread (hist-worker.mjs). Plain ESM so that the worker runs without a
// TypeScript loader; types in hist-kernel.d.mts.
//
// A histogram is a Float64Array of `stride` slots per bin: gradient sum, hessian sum and, when
// stride is 3, the row count (stride 2: no count; the grower estimates counts from hessians, as
// LightGBM does). Feature f's bins start at slot offs[f] * stride.

const MAX_GROUP = 6;
const kernels = new Map();

/**
 * A kernel for `m` features and `stride` slots, unrolled: one pass over the rows feeds m
 * independent histogram updates from one index load and one gradient / hessian load (`gh`:
 * gradient and hessian of row r at 2r and 2r + 1, one cache line). Generated once per (m,
 * stride, dense), so V8 compiles straight-line code without inner loops or dynamic feature
 * indexing. `dense`: the rows are start..start+count themselves (no index array).
 */
function kernel(m, stride, dense) {
  const key = (m * 4 + stride) * 2 + (dense ? 1 : 0);
  let k = kernels.get(key);
  if (k) return k;
  const cols = [];
  const bases = [];
  const body = [];
  for (let j = 0; j < m; j++) {
    cols.push(`c${j}`);
    bases.push(`b${j}`);
  }
  body.push('const end = start + count;');
  body.push('for (let i = start; i < end; i++) {');
  body.push(dense ? '  const r = i;' : '  const r = idx[i];');
  body.push('  const gg = gh[2 * r];');
  body.push('  const hh = gh[2 * r + 1];');
  for (let j = 0; j < m; j++) body.push(`  const x${j} = b${j} + c${j}[r] * ${stride};`);
  for (let j = 0; j < m; j++) {
    body.push(`  hist[x${j}] += gg;`);
    body.push(`  hist[x${j} + 1] += hh;`);
    if (stride === 3) body.push(`  hist[x${j} + 2] += 1;`);
  }
  body.push('}');
  k = new Function('hist', 'idx', 'gh', 'start', 'count', ...cols, ...bases, body.join('\n'));
  kernels.set(key, k);
  return k;
}

/**
 * Add rows idx[start..start+count) (rows start..start+count when idx is null) of single-output
 * gradients / hessians `gh` (interleaved) to the histogram bins of `features` (bins[f]: the bin
 * code of every row of feature f).
 */
export function buildHistogram(hist, bins, offs, stride, idx, gh, start, count, features) {
  const nf = features.length;
  if (nf === 0 || count === 0) return;
  const groups = Math.ceil(nf / MAX_GROUP);
  const per = Math.ceil(nf / groups);
  for (let k = 0; k < nf; k += per) {
    const m = Math.min(per, nf - k);
    const args = [hist, idx, gh, start, count];
    for (let j = 0; j < m; j++) args.push(bins[features[k + j]]);
    for (let j = 0; j < m; j++) args.push(offs[features[k + j]] * stride);
    kernel(m, stride, idx === null)(...args);
  }
}

/**
 * Partition idx[start..start+count) on a categorical split: rows whose bin has mask[bin] = 1 stay
 * in idx, in order, from `start`; the others go, in order, to tmp[tmpStart..]. Returns #lefts.
 */
export function partitionByMask(idx, tmp, tmpStart, start, count, col, mask) {
  const end = start + count;
  let wl = start;
  let wr = tmpStart;
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const goLeft = mask[col[r]];
    idx[wl] = r;
    tmp[wr] = r;
    wl += goLeft;
    wr += 1 - goLeft;
  }
  return wl - start;
}

/**
 * Partition idx[start..start+count) on one feature: rows whose bin is <= thr or equals dlBin
 * stay in idx, in order, from `start`; the others go, in order, to tmp[tmpStart..]. Branch-free:
 * each row is written to both sides and the side it belongs to advances. Returns the number of
 * rows kept left.
 */
export function partitionSegment(idx, tmp, tmpStart, start, count, col, thr, dlBin) {
  const end = start + count;
  let wl = start;
  let wr = tmpStart;
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const b = col[r];
    const goLeft = (b <= thr ? 1 : 0) | (b === dlBin ? 1 : 0);
    idx[wl] = r;
    tmp[wr] = r;
    wl += goLeft;
    wr += 1 - goLeft;
  }
  return wl - start;
}
