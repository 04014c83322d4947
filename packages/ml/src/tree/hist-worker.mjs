// Histogram worker for TreeGrower (plain ESM so it runs without a TypeScript loader).
// Shared memory from the main thread: the bin codes of every feature (column-major, numRows bytes
// each), the leaf's row indices and its gathered gradients / hessians, and a scratch histogram.
// Protocol on the Int32 control array: the main thread writes a task (start, count, features) and
// bumps SEQ; the worker builds the histogram of those features into its scratch histogram and
// stores SEQ into DONE. Both sides sleep in Atomics.wait between tasks.
import { workerData } from 'node:worker_threads';

const SEQ = 0;
const DONE = 1;
const START = 2;
const COUNT = 3;
const NFEAT = 4;
const STOP = 5;
const READY = 6;
const TASK = 7;
const FEATS = 8;

const { binsBuf, numRows, idxBuf, tmpBuf, ogBuf, ohBuf, histBuf, ctrlBuf, offsets } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const offs = Int32Array.from(offsets);
const numFeatures = offs.length;
const bins = [];
for (let f = 0; f < numFeatures; f++) bins.push(new Uint8Array(binsBuf, f * numRows, numRows));
const hist = new Float64Array(histBuf);
let lastSeq = 0;

function build(idx, grad, hess, start, count, features) {
  const end = start + count;
  let k = 0;
  for (; k + 3 < features.length; k += 4) {
    const c0 = bins[features[k]];
    const c1 = bins[features[k + 1]];
    const c2 = bins[features[k + 2]];
    const c3 = bins[features[k + 3]];
    const b0 = offs[features[k]] * 3;
    const b1 = offs[features[k + 1]] * 3;
    const b2 = offs[features[k + 2]] * 3;
    const b3 = offs[features[k + 3]] * 3;
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const gg = grad[r];
      const hh = hess[r];
      const x0 = b0 + c0[r] * 3;
      const x1 = b1 + c1[r] * 3;
      const x2 = b2 + c2[r] * 3;
      const x3 = b3 + c3[r] * 3;
      hist[x0] += gg;
      hist[x0 + 1] += hh;
      hist[x0 + 2] += 1;
      hist[x1] += gg;
      hist[x1 + 1] += hh;
      hist[x1 + 2] += 1;
      hist[x2] += gg;
      hist[x2 + 1] += hh;
      hist[x2 + 2] += 1;
      hist[x3] += gg;
      hist[x3 + 1] += hh;
      hist[x3 + 2] += 1;
    }
  }
  for (; k < features.length; k++) {
    const col = bins[features[k]];
    const base = offs[features[k]] * 3;
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const b = base + col[r] * 3;
      hist[b] += grad[r];
      hist[b + 1] += hess[r];
      hist[b + 2] += 1;
    }
  }
}

Atomics.store(ctrl, READY, 1);
Atomics.notify(ctrl, READY);
for (;;) {
  Atomics.wait(ctrl, SEQ, lastSeq);
  const seq = Atomics.load(ctrl, SEQ);
  if (seq === lastSeq) continue;
  lastSeq = seq;
  if (Atomics.load(ctrl, STOP) === 1) break;
  const start = ctrl[START];
  const count = ctrl[COUNT];
  if (ctrl[TASK] === 1) {
    // partition idx[start..start+count) on feature FEATS[0]: bin <= FEATS[1] or bin == FEATS[2] go
    // left (in place), the others to tmp[start..]; the number of lefts goes to FEATS[3]
    const idx = new Uint32Array(idxBuf);
    const tmp = new Uint32Array(tmpBuf);
    const col = bins[ctrl[FEATS]];
    const thr = ctrl[FEATS + 1];
    const dlBin = ctrl[FEATS + 2];
    const end = start + count;
    let wl = start;
    let wr = start;
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const b = col[r];
      const goLeft = (b <= thr ? 1 : 0) | (b === dlBin ? 1 : 0);
      idx[wl] = r;
      tmp[wr] = r;
      wl += goLeft;
      wr += 1 - goLeft;
    }
    ctrl[FEATS + 3] = wl - start;
    Atomics.store(ctrl, DONE, seq);
    Atomics.notify(ctrl, DONE);
    continue;
  }
  const nf = ctrl[NFEAT];
  const features = [];
  for (let k = 0; k < nf; k++) features.push(ctrl[FEATS + k]);
  // the buffers may have been replaced (grown) by the main thread: views are rebuilt per task
  const idx = new Uint32Array(idxBuf);
  const og = new Float64Array(ogBuf);
  const oh = new Float64Array(ohBuf);
  for (const f of features) {
    const o = offs[f] * 3;
    const nb = (f + 1 < numFeatures ? offs[f + 1] : hist.length / 3) - offs[f];
    hist.fill(0, o, o + nb * 3);
  }
  build(idx, og, oh, start, count, features);
  Atomics.store(ctrl, DONE, seq);
  Atomics.notify(ctrl, DONE);
}
