import { LakeboxError } from '@lakebox/common';

/**
 * One fitted decision tree, stored as flat arrays (node 0 is the root).
 * Internal node i: goes to `left[i]` when x[feature[i]] <= threshold[i] (NaN follows
 * `defaultLeft[i]`), else to `right[i]`. Leaf i has feature[i] = -1 and its `numOutputs` values at
 * `value[i * numOutputs ...]`. `cover[i]` is the (weighted) number of training rows that reached
 * node i, used by TreeSHAP; `gain[i]` the loss reduction of the split.
 * Categorical split (node i with `leftCategories[i]` set): goes left when x[feature[i]] is one of
 * those category values, else right; so NaN and categories unseen in training go right.
 */
export interface Tree {
  readonly numOutputs: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly defaultLeft: Uint8Array;
  readonly value: Float64Array;
  readonly cover: Float64Array;
  readonly gain: Float64Array;
  /** Per node: the category values going left (categorical splits), null for other nodes. */
  readonly leftCategories?: (Float64Array | null)[];
}

/** Whether value v of node i's split feature goes to the left child. */
export function goesLeft(t: Tree, i: number, v: number): boolean {
  const cats = t.leftCategories?.[i];
  if (cats) return v === v && cats.includes(v);
  if (v <= t.threshold[i]) return true;
  return v !== v && t.defaultLeft[i] === 1;
}

export function numNodes(t: Tree): number {
  return t.feature.length;
}

export function numLeaves(t: Tree): number {
  let c = 0;
  for (let i = 0; i < t.feature.length; i++) if (t.feature[i] < 0) c++;
  return c;
}

export function treeDepth(t: Tree): number {
  const rec = (i: number): number => (t.feature[i] < 0 ? 0 : 1 + Math.max(rec(t.left[i]), rec(t.right[i])));
  return rec(0);
}

/** Index of the leaf that row `r` of the column-major `columns` reaches. */
export function leafIndex(t: Tree, columns: readonly Float64Array[], r: number): number {
  const feature = t.feature;
  let i = 0;
  if (t.leftCategories) {
    while (feature[i] >= 0) i = goesLeft(t, i, columns[feature[i]][r]) ? t.left[i] : t.right[i];
    return i;
  }
  while (feature[i] >= 0) {
    const v = columns[feature[i]][r];
    if (v <= t.threshold[i]) i = t.left[i];
    else if (v !== v) i = t.defaultLeft[i] ? t.left[i] : t.right[i];
    else i = t.right[i];
  }
  return i;
}

/**
 * Add `scale * tree(x)` to `out` (row-major, numRows x stride, channel offset `offset`) for every row.
 */
export function addTreePrediction(
  t: Tree,
  columns: readonly Float64Array[],
  numRows: number,
  out: Float64Array,
  stride: number,
  offset: number,
  scale = 1,
): void {
  const k = t.numOutputs;
  const { feature, threshold, left, right, defaultLeft, value } = t;
  if (t.leftCategories) {
    for (let r = 0; r < numRows; r++) {
      const i = leafIndex(t, columns, r);
      const o = r * stride + offset;
      for (let c = 0; c < k; c++) out[o + c] += scale * value[i * k + c];
    }
    return;
  }
  for (let r = 0; r < numRows; r++) {
    let i = 0;
    while (feature[i] >= 0) {
      const v = columns[feature[i]][r];
      if (v <= threshold[i]) i = left[i];
      else if (v !== v) i = defaultLeft[i] ? left[i] : right[i];
      else i = right[i];
    }
    const o = r * stride + offset;
    for (let c = 0; c < k; c++) out[o + c] += scale * value[i * k + c];
  }
}

/** Cover-weighted mean of the leaf values of one output channel: E[f(X)] under the training data. */
export function expectedValue(t: Tree, channel = 0): number {
  const k = t.numOutputs;
  const rec = (i: number): number => {
    if (t.feature[i] < 0) return t.value[i * k + channel];
    const cl = t.cover[t.left[i]];
    const cr = t.cover[t.right[i]];
    const tot = cl + cr;
    if (tot <= 0) return 0.5 * (rec(t.left[i]) + rec(t.right[i]));
    return (cl * rec(t.left[i]) + cr * rec(t.right[i])) / tot;
  };
  return rec(0);
}

/**
 * Exact TreeSHAP (Lundberg, Erion & Lee, "Consistent individualized feature attribution for tree
 * ensembles", Algorithm 2): adds `scale` times the SHAP value of each feature for output `channel`
 * of row `r` to phi[0..numFeatures). Polynomial time: O(leaves * depth^2).
 */
export function treeShapRow(
  t: Tree,
  columns: readonly Float64Array[],
  r: number,
  channel: number,
  phi: Float64Array,
  scale = 1,
): void {
  const k = t.numOutputs;
  const { feature, left, right, cover, value } = t;
  // path element arrays, copied per recursion level (paths are as long as the tree is deep)
  const recurse = (
    j: number,
    pd: number[],
    pz: number[],
    po: number[],
    pw: number[],
    zFrac: number,
    oFrac: number,
    fIdx: number,
  ): void => {
    const d = pd.slice();
    const z = pz.slice();
    const o = po.slice();
    const w = pw.slice();
    // extend
    const l = d.length;
    d.push(fIdx);
    z.push(zFrac);
    o.push(oFrac);
    w.push(l === 0 ? 1 : 0);
    for (let i = l - 1; i >= 0; i--) {
      w[i + 1] += (oFrac * w[i] * (i + 1)) / (l + 1);
      w[i] = (zFrac * w[i] * (l - i)) / (l + 1);
    }
    if (feature[j] < 0) {
      const v = value[j * k + channel];
      for (let i = 1; i < d.length; i++) {
        const s = unwoundSum(z, o, w, i);
        phi[d[i]] += scale * s * (o[i] - z[i]) * v;
      }
      return;
    }
    const f = feature[j];
    const x = columns[f][r];
    let hot: number;
    let cold: number;
    if (goesLeft(t, j, x)) {
      hot = left[j];
      cold = right[j];
    } else {
      hot = right[j];
      cold = left[j];
    }
    let iz = 1;
    let io = 1;
    let kk = -1;
    for (let i = 1; i < d.length; i++) {
      if (d[i] === f) {
        kk = i;
        break;
      }
    }
    if (kk >= 0) {
      iz = z[kk];
      io = o[kk];
      unwind(d, z, o, w, kk);
    }
    const rj = cover[j];
    const rh = cover[hot];
    const rc = cover[cold];
    recurse(hot, d, z, o, w, rj > 0 ? (iz * rh) / rj : iz * 0.5, io, f);
    recurse(cold, d, z, o, w, rj > 0 ? (iz * rc) / rj : iz * 0.5, 0, f);
  };
  recurse(0, [], [], [], [], 1, 1, -1);
}

function unwind(d: number[], z: number[], o: number[], w: number[], i: number): void {
  const l = d.length - 1;
  let n = w[l];
  const oi = o[i];
  const zi = z[i];
  for (let j = l - 1; j >= 0; j--) {
    if (oi !== 0) {
      const t = w[j];
      w[j] = (n * (l + 1)) / ((j + 1) * oi);
      n = t - (w[j] * zi * (l - j)) / (l + 1);
    } else {
      w[j] = (w[j] * (l + 1)) / (zi * (l - j));
    }
  }
  for (let j = i; j < l; j++) {
    d[j] = d[j + 1];
    z[j] = z[j + 1];
    o[j] = o[j + 1];
  }
  d.pop();
  z.pop();
  o.pop();
  w.pop();
}

function unwoundSum(z: number[], o: number[], w: number[], i: number): number {
  const l = w.length - 1;
  const oi = o[i];
  const zi = z[i];
  let n = w[l];
  let total = 0;
  for (let j = l - 1; j >= 0; j--) {
    if (oi !== 0) {
      const t = (n * (l + 1)) / ((j + 1) * oi);
      total += t;
      n = w[j] - (t * zi * (l - j)) / (l + 1);
    } else {
      total += w[j] / ((zi * (l - j)) / (l + 1));
    }
  }
  return total;
}

// ---- JSON form of a tree (arrays of numbers; Infinity / NaN never occur in thresholds of splits) ----

export interface TreeJson {
  numOutputs: number;
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  defaultLeft: number[];
  value: number[];
  cover: number[];
  gain: number[];
  /** Categorical splits only: per node the category values going left, or null. */
  leftCategories?: (number[] | null)[];
}

export function treeToJson(t: Tree): TreeJson {
  return {
    numOutputs: t.numOutputs,
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    defaultLeft: Array.from(t.defaultLeft),
    value: Array.from(t.value),
    cover: Array.from(t.cover),
    gain: Array.from(t.gain),
    ...(t.leftCategories ? { leftCategories: t.leftCategories.map((c) => (c ? Array.from(c) : null)) } : {}),
  };
}

export function treeFromJson(j: TreeJson, numFeatures: number): Tree {
  const bad = (why: string): never => {
    throw new LakeboxError('ML_INVALID_MODEL', `invalid tree in saved model: ${why}`);
  };
  if (!j || typeof j !== 'object') bad('not an object');
  const n = j.feature?.length ?? bad('no nodes');
  const k = j.numOutputs;
  if (!Number.isInteger(k) || k < 1) bad('numOutputs');
  for (const key of ['threshold', 'left', 'right', 'defaultLeft', 'cover', 'gain'] as const) {
    if (!Array.isArray(j[key]) || j[key].length !== n) bad(`${key} has the wrong length`);
  }
  if (!Array.isArray(j.value) || j.value.length !== n * k) bad('value has the wrong length');
  if (j.leftCategories !== undefined) {
    if (!Array.isArray(j.leftCategories) || j.leftCategories.length !== n) bad('leftCategories has the wrong length');
    for (const c of j.leftCategories)
      if (c !== null && (!Array.isArray(c) || !c.every(isFiniteNumber))) bad('leftCategories');
  }
  for (let i = 0; i < n; i++) {
    const f = j.feature[i];
    if (f >= numFeatures) bad(`feature index ${f} out of range`);
    if (f >= 0 && (!(j.left[i] > i && j.left[i] < n) || !(j.right[i] > i && j.right[i] < n)))
      bad(`children of node ${i}`);
  }
  return {
    numOutputs: k,
    feature: Int32Array.from(j.feature),
    threshold: Float64Array.from(j.threshold),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    defaultLeft: Uint8Array.from(j.defaultLeft),
    value: Float64Array.from(j.value),
    cover: Float64Array.from(j.cover),
    gain: Float64Array.from(j.gain),
    ...(j.leftCategories ? { leftCategories: j.leftCategories.map((c) => (c ? Float64Array.from(c) : null)) } : {}),
  };
}

function isFiniteNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}
