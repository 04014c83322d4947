import { Worker } from 'node:worker_threads';
import { LakeboxError } from '@lakebox/common';
import type { Rng } from '../data/rng.js';
import type { BinnedData } from './binning.js';
import { buildHistogram, buildHistogramRows, packRows, partitionByMask, partitionSegment } from './hist-kernel.mjs';
import type { Tree } from './tree.js';

/**
 * Histogram-based tree growing shared by gradient boosting, random forests and decision trees.
 *
 * Every training row has `numOutputs` gradients and one hessian (for CART-style trees the gradient
 * is minus the weighted target and the hessian the weight, so the gain below is the weighted
 * variance / Gini reduction). A leaf owns a contiguous segment of the row-index array; its histogram
 * holds, per feature bin, the sums of the gradients, of the hessians and the row count. Only the
 * smaller child of a split gets a histogram built from rows; the larger one is parent - smaller.
 */
export interface GrowOptions {
  /** Maximum number of leaves (Infinity: unbounded). */
  numLeaves: number;
  /** Maximum depth (root at depth 0); -1 for no limit. */
  maxDepth: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL2: number;
  minGainToSplit: number;
  /** 'leafwise': split the leaf with the best gain first; 'depthwise': level by level. */
  growth: 'leafwise' | 'depthwise';
  /** Features sampled (without replacement) at each node; 0 or >= numFeatures: all allowed. */
  featuresPerNode: number;
}

/** Leaves with fewer rows build their histograms on one thread (a hand-off costs more). */
const PARALLEL_MIN_ROWS = 16384;
/**
 * Single-output growers with at most this many features also keep the bin codes row-major (4
 * features per 32-bit word) for the histogram kernels: a leaf's rows are scattered, and one cache
 * line per row beats one per feature. Wider data stays column-major only (memory).
 */
const ROW_MAJOR_MAX_FEATURES = 32;
// control array slots shared with hist-worker.mjs
const C_SEQ = 0;
const C_DONE = 1;
const C_START = 2;
const C_COUNT = 3;
const C_NFEAT = 4;
const C_STOP = 5;
const C_READY = 6;
const C_TASK = 7; // 0: histogram, 1: partition
const C_STRIDE = 8;
const C_DENSE = 9;
const C_FEATS = 10;

interface Split {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  /** Categorical split: 1 for the bins going left (the missing bin always goes right). */
  catMask?: Uint8Array;
}

// Categorical splits, as LightGBM: up to CAT_ONE_HOT categories are tried one against the rest;
// with more, the categories (with at least CAT_SMOOTH rows) are sorted by gradient / (hessian +
// CAT_SMOOTH) and prefixes of up to CAT_MAX_LEFT of them, from either end, are tried, with CAT_L2
// added to the L2 regularisation of the split gain.
const CAT_ONE_HOT = 4;
const CAT_SMOOTH = 10;
const CAT_MAX_LEFT = 32;
const CAT_L2 = 10;

interface Leaf {
  node: number;
  start: number;
  count: number;
  depth: number;
  sumG: Float64Array;
  sumH: number;
  hist: Float64Array | null;
  split: Split | null;
}

export class TreeGrower {
  readonly numFeatures: number;
  readonly numOutputs: number;
  private readonly bins: Uint8Array[];
  private readonly numBins: Int32Array; // value bins + 1 missing bin, per feature
  private readonly offsets: Int32Array; // first bin of each feature in a histogram
  private readonly totalBins: number;
  private readonly stride: number; // numOutputs gradients, hessian, count
  private readonly pool: Float64Array[] = [];
  private rowsBuf: Uint32Array;
  private tmpBuf: Uint32Array;
  private og: Float64Array;
  private oh: Float64Array;
  /** Single-output gradient and hessian of row r at 2r, 2r + 1 (shared with the worker). */
  private gh: Float64Array;
  /** Row-major bin codes (see ROW_MAJOR_MAX_FEATURES), W words per row; null: column kernels. */
  private rowWords: Uint32Array | null = null;
  private readonly rowW: number;
  private readonly thresholds: Float64Array[];
  private readonly hasMissing: boolean[];
  /** Category value of each bin of a categorical feature (undefined for numeric ones). */
  private readonly categories: (Float64Array | undefined)[];
  private worker: Worker | null = null;
  private ctrl: Int32Array | null = null;
  private workerHist: Float64Array | null = null;
  private scratchHist: Float64Array | null = null;
  private seq = 0;

  /**
   * `numThreads` > 1 (single-output trees only) starts one worker thread that builds the
   * histograms of half of the features of large leaves while this thread builds the other half,
   * on SharedArrayBuffer copies of the bins, row indices and gradients. Call close() when done.
   * `countFromHessian` (single-output only): histograms keep gradient and hessian sums but no row
   * counts, and `minDataInLeaf` is checked against counts estimated as hessian x (leaf rows / leaf
   * hessian), as LightGBM does; a third less histogram work.
   */
  constructor(data: BinnedData, numOutputs: number, numThreads = 1, countFromHessian = false) {
    this.bins = data.bins.slice();
    this.numFeatures = data.bins.length;
    this.numOutputs = numOutputs;
    this.numBins = Int32Array.from(data.mappers, (m) => m.numBins + 1);
    this.offsets = new Int32Array(this.numFeatures);
    let t = 0;
    for (let f = 0; f < this.numFeatures; f++) {
      this.offsets[f] = t;
      t += this.numBins[f];
    }
    this.totalBins = t;
    // single-output histograms without a count slot when counts may be estimated from hessians
    this.stride = numOutputs === 1 && countFromHessian ? 2 : numOutputs + 2;
    this.thresholds = data.mappers.map((m) => m.upper);
    this.hasMissing = data.mappers.map((m) => m.hasMissing);
    this.categories = data.mappers.map((m) => (numOutputs === 1 ? m.categories : undefined));
    this.rowsBuf = new Uint32Array(data.numRows);
    this.tmpBuf = new Uint32Array(data.numRows);
    this.og = new Float64Array(numOutputs > 1 ? data.numRows * numOutputs : 0);
    this.oh = new Float64Array(numOutputs > 1 ? data.numRows : 0);
    this.gh = new Float64Array(numOutputs === 1 ? 2 * data.numRows : 0);
    this.rowW = (this.numFeatures + 3) >> 2;
    const rowMajor = numOutputs === 1 && this.numFeatures > 0 && this.numFeatures <= ROW_MAJOR_MAX_FEATURES;
    if (numThreads > 1 && numOutputs === 1 && this.numFeatures >= 2 && data.numRows >= PARALLEL_MIN_ROWS) {
      this.startWorker(data.numRows, rowMajor);
    } else if (rowMajor) this.rowWords = packRows(this.bins, data.numRows);
  }

  /** Histogram of rows idx[start..start+count) (start.. when idx is null) with this thread's kernel. */
  private kernel(
    hist: Float64Array,
    idx: Uint32Array | null,
    start: number,
    count: number,
    features: readonly number[],
  ): void {
    const S = this.stride as 2 | 3;
    if (this.rowWords) {
      buildHistogramRows(hist, this.rowWords, this.rowW, this.offsets, S, idx, this.gh, start, count, features);
    } else buildHistogram(hist, this.bins, this.offsets, S, idx, this.gh, start, count, features);
  }

  private startWorker(n: number, rowMajor: boolean): void {
    const F = this.numFeatures;
    const rowBuf = rowMajor ? new SharedArrayBuffer(n * this.rowW * 4) : null;
    if (rowBuf) this.rowWords = packRows(this.bins, n, rowBuf);
    const binsBuf = new SharedArrayBuffer(n * F);
    for (let f = 0; f < F; f++) {
      const view = new Uint8Array(binsBuf, f * n, n);
      view.set(this.bins[f]);
      this.bins[f] = view;
    }
    const idxBuf = new SharedArrayBuffer(n * 4);
    const ghBuf = new SharedArrayBuffer(n * 16);
    const histBuf = new SharedArrayBuffer(this.totalBins * 3 * 8); // stride <= 3
    const ctrlBuf = new SharedArrayBuffer((C_FEATS + Math.max(F, 4)) * 4);
    const tmpBuf = new SharedArrayBuffer(n * 4);
    this.tmpBuf = new Uint32Array(tmpBuf);
    this.rowsBuf = new Uint32Array(idxBuf);
    this.gh = new Float64Array(ghBuf);
    this.workerHist = new Float64Array(histBuf);
    this.ctrl = new Int32Array(ctrlBuf);
    const w = new Worker(new URL('./hist-worker.mjs', import.meta.url), {
      workerData: {
        binsBuf,
        numRows: n,
        idxBuf,
        tmpBuf,
        ghBuf,
        histBuf,
        ctrlBuf,
        offsets: Array.from(this.offsets),
        rowBuf,
        rowW: this.rowW,
      },
    });
    w.unref();
    // the worker signals READY from its own thread; the event loop is not needed for that
    if (Atomics.wait(this.ctrl, C_READY, 0, 60_000) === 'timed-out' && Atomics.load(this.ctrl, C_READY) !== 1) {
      void w.terminate();
      throw new LakeboxError('ML_INTERNAL', 'the histogram worker thread did not start', { httpStatus: 500 });
    }
    this.worker = w;
  }

  /** Gradient and hessian arrays (numRows x numOutputs, numRows) to fill before grow(). */
  gradientArrays(): { grad: Float64Array; hess: Float64Array } {
    const n = this.rowsBuf.length;
    return { grad: new Float64Array(n * this.numOutputs), hess: new Float64Array(n) };
  }

  /** Stop the worker thread (if any). The grower stays usable on one thread. */
  close(): void {
    if (!this.worker || !this.ctrl) return;
    Atomics.store(this.ctrl, C_STOP, 1);
    Atomics.store(this.ctrl, C_SEQ, ++this.seq);
    Atomics.notify(this.ctrl, C_SEQ);
    void this.worker.terminate();
    this.worker = null;
  }

  private waitWorker(seq: number): void {
    const ctrl = this.ctrl!;
    for (;;) {
      const done = Atomics.load(ctrl, C_DONE);
      if (done === seq) return;
      Atomics.wait(ctrl, C_DONE, done, 1000);
    }
  }

  /**
   * partitionRows on two threads: each partitions one half of the segment (lefts in place, rights
   * to tmp), then the halves are stitched: L0 L1 R0 R1.
   */
  private partitionParallel(
    idx: Uint32Array,
    start: number,
    count: number,
    f: number,
    thr: number,
    dlBin: number,
  ): number {
    const ctrl = this.ctrl!;
    const tmp = this.tmpBuf;
    const half = count >> 1;
    const mid = start + half;
    ctrl[C_TASK] = 1;
    ctrl[C_START] = mid;
    ctrl[C_COUNT] = count - half;
    ctrl[C_FEATS] = f;
    ctrl[C_FEATS + 1] = thr;
    ctrl[C_FEATS + 2] = dlBin;
    const seq = ++this.seq;
    Atomics.store(ctrl, C_SEQ, seq);
    Atomics.notify(ctrl, C_SEQ);
    const nl0 = partitionSegment(idx, tmp, start, start, half, this.bins[f], thr, dlBin);
    this.waitWorker(seq);
    const nl1 = ctrl[C_FEATS + 3];
    const nr0 = half - nl0;
    const nr1 = count - half - nl1;
    idx.copyWithin(start + nl0, mid, mid + nl1);
    idx.set(tmp.subarray(start, start + nr0), start + nl0 + nl1);
    idx.set(tmp.subarray(mid, mid + nr1), start + nl0 + nl1 + nr0);
    return nl0 + nl1;
  }

  /**
   * Histogram on two threads: this thread takes the first half of the rows, the worker the second
   * half into its own histogram, which is then added (a few thousand additions).
   */
  private buildParallel(
    hist: Float64Array,
    idx: Uint32Array | null,
    start: number,
    count: number,
    features: readonly number[],
  ): void {
    const ctrl = this.ctrl!;
    const half = count >> 1;
    ctrl[C_TASK] = 0;
    ctrl[C_START] = start + half;
    ctrl[C_COUNT] = count - half;
    ctrl[C_NFEAT] = features.length;
    ctrl[C_STRIDE] = this.stride;
    ctrl[C_DENSE] = idx ? 0 : 1;
    for (let k = 0; k < features.length; k++) ctrl[C_FEATS + k] = features[k];
    const seq = ++this.seq;
    Atomics.store(ctrl, C_SEQ, seq);
    Atomics.notify(ctrl, C_SEQ);
    const S = this.stride as 2 | 3;
    this.kernel(hist, idx, start, half, features);
    this.waitWorker(seq);
    const wh = this.workerHist!;
    for (const f of features) {
      const o = this.offsets[f] * S;
      const e = o + this.numBins[f] * S;
      for (let i = o; i < e; i++) hist[i] += wh[i];
    }
  }

  /**
   * The one-thread twin of buildParallel, adding in the same order, so that a model does not
   * depend on the number of threads.
   */
  private buildHalves(
    hist: Float64Array,
    idx: Uint32Array | null,
    start: number,
    count: number,
    features: readonly number[],
  ): void {
    const S = this.stride as 2 | 3;
    const half = count >> 1;
    const wh = this.scratchHist ?? (this.scratchHist = new Float64Array(this.totalBins * S));
    for (const f of features) wh.fill(0, this.offsets[f] * S, (this.offsets[f] + this.numBins[f]) * S);
    this.kernel(hist, idx, start, half, features);
    this.kernel(wh, idx, start + half, count - half, features);
    for (const f of features) {
      const o = this.offsets[f] * S;
      const e = o + this.numBins[f] * S;
      for (let i = o; i < e; i++) hist[i] += wh[i];
    }
  }

  private takeHist(): Float64Array {
    const h = this.pool.pop();
    if (h) {
      h.fill(0);
      return h;
    }
    return new Float64Array(this.totalBins * this.stride);
  }

  /**
   * Grow one tree on the rows `rows` (all rows when null) with gradients `grad` (numRows x
   * numOutputs, row-major) and hessians `hess`. `featureMask[f]` = 0 excludes feature f.
   * Leaf values are -G / (H + lambda) times `shrinkage`. `onLeaf(rows, start, count, leafNode)`
   * reports which rows ended in which leaf (rows[start..start+count)).
   */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    rows: Uint32Array | null,
    featureMask: Uint8Array,
    opts: GrowOptions,
    rng: Rng,
    shrinkage: number,
    onLeaf?: (rows: Uint32Array, start: number, count: number, node: number, value: Float64Array, off: number) => void,
  ): Tree {
    const K = this.numOutputs;
    const n = rows ? rows.length : this.bins.length > 0 ? this.bins[0].length : hess.length;
    const idx = this.rowsBuf.length >= n ? this.rowsBuf : (this.rowsBuf = new Uint32Array(n));
    if (this.tmpBuf.length < n) this.tmpBuf = new Uint32Array(n);
    if (rows) idx.set(rows);
    else for (let i = 0; i < n; i++) idx[i] = i;
    if (K === 1) {
      // interleave gradients and hessians of the rows in use: one cache line per row in the kernels
      const gh = this.gh.length >= 2 * hess.length ? this.gh : (this.gh = new Float64Array(2 * hess.length));
      if (rows) {
        for (let i = 0; i < n; i++) {
          const r = idx[i];
          gh[2 * r] = grad[r];
          gh[2 * r + 1] = hess[r];
        }
      } else {
        for (let r = 0; r < n; r++) {
          gh[2 * r] = grad[r];
          gh[2 * r + 1] = hess[r];
        }
      }
    }

    const allowed: number[] = [];
    for (let f = 0; f < this.numFeatures; f++) if (featureMask[f] && this.numBins[f] > 2) allowed.push(f);

    // nodes under construction
    const nFeature: number[] = [];
    const nThreshold: number[] = [];
    const nLeft: number[] = [];
    const nRight: number[] = [];
    const nDefaultLeft: number[] = [];
    const nCover: number[] = [];
    const nGain: number[] = [];
    const nCats: (Float64Array | null)[] = [];
    const nValue: number[][] = [];
    const newNode = (cover: number, value: number[]): number => {
      nFeature.push(-1);
      nThreshold.push(0);
      nLeft.push(-1);
      nRight.push(-1);
      nDefaultLeft.push(0);
      nCover.push(cover);
      nGain.push(0);
      nCats.push(null);
      nValue.push(value);
      return nFeature.length - 1;
    };
    const lambda = opts.lambdaL2;
    const leafValue = (sumG: Float64Array, sumH: number): number[] => {
      const v: number[] = new Array<number>(K);
      for (let c = 0; c < K; c++) v[c] = sumH + lambda > 0 ? (-sumG[c] / (sumH + lambda)) * shrinkage : 0;
      return v;
    };

    const root: Leaf = {
      node: 0,
      start: 0,
      count: n,
      depth: 0,
      sumG: new Float64Array(K),
      sumH: 0,
      hist: null,
      split: null,
    };
    root.hist = this.takeHist();
    this.buildHist(root.hist, idx, 0, n, grad, hess, allowed, rows === null);
    // root sums from the first allowed feature's histogram (or directly when none)
    if (allowed.length > 0) {
      const S = this.stride;
      const f0 = allowed[0];
      const h0 = root.hist;
      for (let b = 0, o = this.offsets[f0] * S; b < this.numBins[f0]; b++, o += S) {
        for (let c = 0; c < K; c++) root.sumG[c] += h0[o + c];
        root.sumH += h0[o + K];
      }
    } else {
      for (let i = 0; i < n; i++) {
        const r = idx[i];
        for (let c = 0; c < K; c++) root.sumG[c] += grad[r * K + c];
        root.sumH += hess[r];
      }
    }
    root.node = newNode(root.sumH, leafValue(root.sumG, root.sumH));
    root.split = this.findSplit(root, allowed, opts, rng);

    const leaves: Leaf[] = [root];
    let numLeaves = 1;
    while (numLeaves < opts.numLeaves) {
      // choose the leaf to split
      let best = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i].split;
        if (!s) continue;
        if (best < 0) best = i;
        else if (opts.growth === 'depthwise') {
          const a = leaves[i];
          const b = leaves[best];
          if (a.depth < b.depth || (a.depth === b.depth && s.gain > b.split!.gain)) best = i;
        } else if (s.gain > leaves[best].split!.gain) best = i;
      }
      if (best < 0) break;
      const leaf = leaves[best];
      const split = leaf.split!;
      leaves.splice(best, 1);
      // partition rows
      const f = split.feature;
      const col = this.bins[f];
      const missingBin = this.numBins[f] - 1;
      const thr = split.bin;
      const dl = split.defaultLeft;
      let nl: number;
      if (split.catMask) {
        nl = partitionByMask(idx, this.tmpBuf, 0, leaf.start, leaf.count, col, split.catMask);
        idx.set(this.tmpBuf.subarray(0, leaf.count - nl), leaf.start + nl);
      } else {
        nl =
          this.worker && leaf.count >= PARALLEL_MIN_ROWS
            ? this.partitionParallel(idx, leaf.start, leaf.count, f, thr, dl ? missingBin : -1)
            : partitionRows(idx, this.tmpBuf, leaf.start, leaf.count, col, thr, dl ? missingBin : -1);
      }
      const nr = leaf.count - nl;

      const left: Leaf = {
        node: -1,
        start: leaf.start,
        count: nl,
        depth: leaf.depth + 1,
        sumG: new Float64Array(K),
        sumH: 0,
        hist: null,
        split: null,
      };
      const right: Leaf = {
        node: -1,
        start: leaf.start + nl,
        count: nr,
        depth: leaf.depth + 1,
        sumG: new Float64Array(K),
        sumH: 0,
        hist: null,
        split: null,
      };
      const small = nl <= nr ? left : right;
      const large = nl <= nr ? right : left;
      small.hist = this.takeHist();
      this.buildHist(small.hist, idx, small.start, small.count, grad, hess, allowed);
      large.hist = leaf.hist!;
      leaf.hist = null;
      const lh = large.hist;
      const sh = small.hist;
      subtractInto(lh, sh);
      // child sums from the split feature's histogram
      this.sumsFromHist(left, right, f, thr, dl);
      const node = leaf.node;
      nFeature[node] = f;
      if (split.catMask) {
        const cats = this.categories[f]!;
        const leftCats: number[] = [];
        for (let b = 0; b < cats.length; b++) if (split.catMask[b]) leftCats.push(cats[b]);
        nCats[node] = Float64Array.from(leftCats.sort((a, b) => a - b));
        nThreshold[node] = 0;
      } else nThreshold[node] = this.thresholds[f][thr];
      nDefaultLeft[node] = dl ? 1 : 0;
      nGain[node] = split.gain;
      left.node = newNode(left.sumH, leafValue(left.sumG, left.sumH));
      right.node = newNode(right.sumH, leafValue(right.sumG, right.sumH));
      nLeft[node] = left.node;
      nRight[node] = right.node;
      numLeaves++;
      for (const child of [left, right]) {
        child.split =
          opts.maxDepth >= 0 && child.depth >= opts.maxDepth ? null : this.findSplit(child, allowed, opts, rng);
        if (child.split) leaves.push(child);
        else {
          this.pool.push(child.hist!);
          child.hist = null;
          if (onLeaf) onLeaf(idx, child.start, child.count, child.node, Float64Array.from(nValue[child.node]), 0);
        }
      }
    }
    for (const leaf of leaves) {
      if (leaf.hist) this.pool.push(leaf.hist);
      leaf.hist = null;
      if (onLeaf) onLeaf(idx, leaf.start, leaf.count, leaf.node, Float64Array.from(nValue[leaf.node]), 0);
    }
    // remaining leaves that were finished before (already reported) need no work
    const m = nFeature.length;
    const value = new Float64Array(m * K);
    for (let i = 0; i < m; i++) for (let c = 0; c < K; c++) value[i * K + c] = nFeature[i] < 0 ? nValue[i][c] : 0;
    return {
      numOutputs: K,
      feature: Int32Array.from(nFeature),
      threshold: Float64Array.from(nThreshold),
      left: Int32Array.from(nLeft),
      right: Int32Array.from(nRight),
      defaultLeft: Uint8Array.from(nDefaultLeft),
      value,
      cover: Float64Array.from(nCover),
      gain: Float64Array.from(nGain),
      ...(nCats.some((c) => c !== null) ? { leftCategories: nCats } : {}),
    };
  }

  private sumsFromHist(left: Leaf, right: Leaf, f: number, thr: number, dl: boolean): void {
    const K = this.numOutputs;
    const S = this.stride;
    // left child's own histogram: sum over any one feature (use f)
    const sumInto = (leaf: Leaf): void => {
      const h = leaf.hist!;
      const base = this.offsets[f] * S;
      const nb = this.numBins[f];
      for (let b = 0; b < nb; b++) {
        const o = base + b * S;
        for (let c = 0; c < K; c++) leaf.sumG[c] += h[o + c];
        leaf.sumH += h[o + K];
      }
    };
    void thr;
    void dl;
    sumInto(left);
    sumInto(right);
  }

  private buildHist(
    hist: Float64Array,
    idx: Uint32Array,
    start: number,
    count: number,
    grad: Float64Array,
    hess: Float64Array,
    features: readonly number[],
    dense = false,
  ): void {
    const K = this.numOutputs;
    const og = this.og;
    const oh = this.oh;
    const end = start + count;
    if (K === 1) {
      // dense: idx[start..end) is start..end itself (the root without row sampling)
      const rowIdx = dense ? null : idx;
      if (count >= PARALLEL_MIN_ROWS) {
        if (this.worker) this.buildParallel(hist, rowIdx, start, count, features);
        else this.buildHalves(hist, rowIdx, start, count, features);
        return;
      }
      this.kernel(hist, rowIdx, start, count, features);
      return;
    }
    // multi-output: gather gradients in leaf order so the per-feature loops read them sequentially
    const S = this.stride;
    for (let i = start, j = 0; i < end; i++, j++) {
      const r = idx[i];
      for (let c = 0; c < K; c++) og[j * K + c] = grad[r * K + c];
      oh[j] = hess[r];
    }
    for (const f of features) {
      const col = this.bins[f];
      const base = this.offsets[f] * S;
      for (let i = start, j = 0; i < end; i++, j++) {
        const b = base + col[idx[i]] * S;
        for (let c = 0; c < K; c++) hist[b + c] += og[j * K + c];
        hist[b + K] += oh[j];
        hist[b + K + 1] += 1;
      }
    }
  }

  /** Best categorical split of feature f (histogram at `base`) better than `minGain`, or null. */
  private categoricalSplit(
    h: Float64Array,
    base: number,
    nb: number,
    f: number,
    G: number,
    H: number,
    C: number,
    opts: GrowOptions,
    minGain: number,
  ): Split | null {
    const S = this.stride;
    const exact = S === 3;
    const cntFactor = H > 0 ? C / H : 0;
    const count = (o: number): number => (exact ? h[o + 2] : Math.round(h[o + 1] * cntFactor));
    const used: number[] = [];
    for (let b = 0; b < nb - 1; b++) if (h[base + b * S + 1] > 0) used.push(b);
    if (used.length < 2) return null;
    const minData = opts.minDataInLeaf;
    const minHess = opts.minSumHessianInLeaf;
    let best: Split | null = null;
    let bestGain = minGain;
    const tryLeft = (bins: readonly number[], lambda: number): void => {
      let lg = 0;
      let lh = 0;
      let lc = 0;
      for (const b of bins) {
        const o = base + b * S;
        lg += h[o];
        lh += h[o + 1];
        if (exact) lc += h[o + 2];
      }
      if (!exact) lc = Math.round(lh * cntFactor);
      const rh = H - lh;
      const rc = C - lc;
      if (lc < minData || rc < minData || lh < minHess || rh < minHess) return;
      const rg = G - lg;
      const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - (G * G) / (H + lambda);
      if (gain > bestGain) {
        bestGain = gain;
        const catMask = new Uint8Array(nb);
        for (const b of bins) catMask[b] = 1;
        best = { gain, feature: f, bin: -1, defaultLeft: false, catMask };
      }
    };
    if (used.length <= CAT_ONE_HOT) {
      for (const b of used) tryLeft([b], opts.lambdaL2);
      return best;
    }
    const ratio = (b: number): number => h[base + b * S] / (h[base + b * S + 1] + CAT_SMOOTH);
    const sorted = used.filter((b) => count(base + b * S) >= CAT_SMOOTH).sort((a, b) => ratio(a) - ratio(b));
    const maxLeft = Math.min(CAT_MAX_LEFT, (sorted.length + 1) >> 1);
    const lambda = opts.lambdaL2 + CAT_L2;
    for (let k = 1; k <= maxLeft; k++) {
      tryLeft(sorted.slice(0, k), lambda);
      tryLeft(sorted.slice(sorted.length - k), lambda);
    }
    return best;
  }

  private findSplit(leaf: Leaf, allowed: readonly number[], opts: GrowOptions, rng: Rng): Split | null {
    if (leaf.count < 2 * opts.minDataInLeaf || leaf.count < 2) return null;
    if (leaf.sumH < 2 * opts.minSumHessianInLeaf) return null;
    let features = allowed;
    if (opts.featuresPerNode > 0 && opts.featuresPerNode < allowed.length) {
      const pick = rng.sampleWithoutReplacement(allowed.length, opts.featuresPerNode);
      features = Array.from(pick, (i) => allowed[i]);
    }
    const K = this.numOutputs;
    const S = this.stride;
    const h = leaf.hist!;
    const lambda = opts.lambdaL2;
    const minData = opts.minDataInLeaf;
    const minHess = opts.minSumHessianInLeaf;
    const G = leaf.sumG;
    const H = leaf.sumH;
    const C = leaf.count;
    let parentScore = 0;
    for (let c = 0; c < K; c++) parentScore += (G[c] * G[c]) / (H + lambda);
    let best: Split | null = null;
    let bestGain = opts.minGainToSplit > 0 ? opts.minGainToSplit : 1e-12 * Math.abs(parentScore);
    if (!(bestGain > 0)) bestGain = 0;
    const gl = new Float64Array(K);
    for (const f of features) {
      const base = this.offsets[f] * S;
      const nb = this.numBins[f];
      const mo = base + (nb - 1) * S; // missing bin
      const mH = h[mo + K];
      if (K === 1 && this.categories[f]) {
        const s = this.categoricalSplit(h, base, nb, f, G[0], H, C, opts, bestGain);
        if (s) {
          best = s;
          bestGain = s.gain;
        }
        continue;
      }
      if (K === 1) {
        // stride 3: exact counts; stride 2: counts estimated from hessians (LightGBM's way)
        const exact = S === 3;
        const cntFactor = H > 0 ? C / H : 0;
        const mC = exact ? h[mo + 2] : Math.round(mH * cntFactor);
        const withMissing = (exact ? mC > 0 : mH > 0) && this.hasMissing[f];
        const g = G[0];
        const mG = h[mo];
        let cg = 0;
        let ch = 0;
        let cc = 0;
        for (let b = 0; b < nb - 2; b++) {
          const o = base + b * S;
          cg += h[o];
          ch += h[o + 1];
          if (exact) cc += h[o + 2];
          else cc = Math.round(ch * cntFactor);
          // missing to the right
          {
            const lc = cc;
            const rc = C - cc;
            const lh = ch;
            const rh = H - ch;
            if (lc >= minData && rc >= minData && lh >= minHess && rh >= minHess) {
              const rg = g - cg;
              const gain = (cg * cg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore;
              if (gain > bestGain) {
                bestGain = gain;
                best = { gain, feature: f, bin: b, defaultLeft: false };
              }
            }
          }
          if (withMissing) {
            const lh = ch + mH;
            const lc = exact ? cc + mC : Math.round(lh * cntFactor);
            const rc = C - lc;
            const rh = H - lh;
            if (lc >= minData && rc >= minData && lh >= minHess && rh >= minHess) {
              const lg = cg + mG;
              const rg = g - lg;
              const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore;
              if (gain > bestGain) {
                bestGain = gain;
                best = { gain, feature: f, bin: b, defaultLeft: true };
              }
            }
          }
        }
        continue;
      }
      const mC = h[mo + K + 1];
      const withMissing = mC > 0 && this.hasMissing[f];
      gl.fill(0);
      let ch = 0;
      let cc = 0;
      for (let b = 0; b < nb - 2; b++) {
        const o = base + b * S;
        for (let c = 0; c < K; c++) gl[c] += h[o + c];
        ch += h[o + K];
        cc += h[o + K + 1];
        for (let pass = 0; pass < (withMissing ? 2 : 1); pass++) {
          const lc = pass ? cc + mC : cc;
          const lh = pass ? ch + mH : ch;
          const rc = C - lc;
          const rh = H - lh;
          if (lc < minData || rc < minData || lh < minHess || rh < minHess) continue;
          let gain = -parentScore;
          for (let c = 0; c < K; c++) {
            const lg = pass ? gl[c] + h[mo + c] : gl[c];
            const rg = G[c] - lg;
            gain += (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda);
          }
          if (gain > bestGain) {
            bestGain = gain;
            best = { gain, feature: f, bin: b, defaultLeft: pass === 1 };
          }
        }
      }
    }
    return best;
  }
}

function subtractInto(a: Float64Array, b: Float64Array): void {
  const n = a.length;
  for (let i = 0; i < n; i++) a[i] -= b[i];
}

/** Stable in-place partition of idx[start..start+count) (see partitionSegment); returns #lefts. */
function partitionRows(
  idx: Uint32Array,
  tmp: Uint32Array,
  start: number,
  count: number,
  col: Uint8Array,
  thr: number,
  dlBin: number,
): number {
  const nl = partitionSegment(idx, tmp, 0, start, count, col, thr, dlBin);
  idx.set(tmp.subarray(0, count - nl), start + nl);
  return nl;
}
