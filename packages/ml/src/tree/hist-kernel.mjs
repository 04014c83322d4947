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

// Row-major kernels: the bin codes of row r are bytes 4W r .. 4W r + 4W - 1 of `rowWords` (W 32-bit
// words per row, feature f in byte f % 4 of word floor(f / 4), little-endian as on every platform
// Node runs on). A leaf's rows are scattered over the data set, so reading all features of a row
// from one or two words (one cache line) instead of one byte from each column saves most of the
// cache misses of deep leaves. One kernel per (features, offsets, stride, dense, W), with the
// histogram offsets and byte shifts as constants; a bounded cache (random feature subsets).
const MAX_ROW_GROUP = 16;
const rowKernels = new Map();

function rowKernel(features, offs, stride, dense, W) {
  const key = `${stride}|${dense ? 1 : 0}|${W}|${features.map((f) => `${f}:${offs[f]}`).join(',')}`;
  let k = rowKernels.get(key);
  if (k) return k;
  const words = [...new Set(features.map((f) => f >> 2))].sort((a, b) => a - b);
  const body = [];
  body.push('const end = start + count;');
  body.push('for (let i = start; i < end; i++) {');
  body.push(dense ? '  const r = i;' : '  const r = idx[i];');
  body.push(`  const rb = r * ${W};`);
  for (const q of words) body.push(`  const w${q} = rw[rb + ${q}];`);
  body.push('  const gg = gh[2 * r];');
  body.push('  const hh = gh[2 * r + 1];');
  for (const f of features) {
    const sh = (f & 3) * 8;
    const byte = sh === 24 ? `(w${f >> 2} >>> 24)` : sh === 0 ? `(w${f >> 2} & 255)` : `((w${f >> 2} >>> ${sh}) & 255)`;
    const base = offs[f] * stride;
    body.push(`  const x${f} = ${base} + ${byte} * ${stride};`);
  }
  for (const f of features) {
    body.push(`  hist[x${f}] += gg;`);
    body.push(`  hist[x${f} + 1] += hh;`);
    if (stride === 3) body.push(`  hist[x${f} + 2] += 1;`);
  }
  body.push('}');
  k = new Function('hist', 'idx', 'gh', 'start', 'count', 'rw', body.join('\n'));
  if (rowKernels.size >= 512) rowKernels.clear();
  rowKernels.set(key, k);
  return k;
}

/**
 * buildHistogram on row-major bin codes (`rowWords`, W words per row; see rowKernel).
 */
export function buildHistogramRows(hist, rowWords, W, offs, stride, idx, gh, start, count, features) {
  const nf = features.length;
  if (nf === 0 || count === 0) return;
  const groups = Math.ceil(nf / MAX_ROW_GROUP);
  const per = Math.ceil(nf / groups);
  for (let k = 0; k < nf; k += per) {
    const fs = features.slice(k, Math.min(nf, k + per));
    rowKernel(fs, offs, stride, idx === null, W)(hist, idx, gh, start, count, rowWords);
  }
}

/**
 * Bin codes of every feature (column-major: bins[f][r]) packed row-major into a Uint32Array of W =
 * ceil(F / 4) words per row (`buffer`: an ArrayBuffer or SharedArrayBuffer of numRows * W * 4
 * bytes, or undefined for a new one).
 */
export function packRows(bins, numRows, buffer) {
  const F = bins.length;
  const W = (F + 3) >> 2;
  const bytes = buffer ? new Uint8Array(buffer, 0, numRows * W * 4) : new Uint8Array(numRows * W * 4);
  const B = W * 4;
  for (let f = 0; f < F; f++) {
    const col = bins[f];
    for (let r = 0, o = f; r < numRows; r++, o += B) bytes[o] = col[r];
  }
  return new Uint32Array(bytes.buffer, bytes.byteOffset, numRows * W);
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
