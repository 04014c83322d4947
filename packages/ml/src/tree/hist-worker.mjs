// Histogram worker for TreeGrower (plain ESM so it runs without a TypeScript loader). The kernels
// are the ones the main thread runs (hist-kernel.mjs).
// Shared memory from the main thread: the bin codes of every feature (column-major, numRows bytes
// each), the row-index array and its scratch twin, the interleaved gradients / hessians, and a
// scratch histogram. Protocol on the Int32 control array: the main thread writes a task and bumps SEQ; the
// worker runs it and stores SEQ into DONE. Both sides sleep in Atomics.wait between tasks.
//   TASK 0 (histogram): rows idx[START..START+COUNT) (rows START..START+COUNT when DENSE),
//     features FEATS[0..NFEAT), STRIDE slots per bin, into the scratch histogram (those
//     features' bins are zeroed first).
//   TASK 1 (partition): idx[START..START+COUNT) on feature FEATS[0], threshold FEATS[1], missing
//     bin going left FEATS[2]: lefts stay in idx, rights go to tmp[START..]; #lefts to FEATS[3].
import { workerData } from 'node:worker_threads';
import { buildHistogram, buildHistogramRows, partitionSegment } from './hist-kernel.mjs';

const SEQ = 0;
const DONE = 1;
const START = 2;
const COUNT = 3;
const NFEAT = 4;
const STOP = 5;
const READY = 6;
const TASK = 7;
const STRIDE = 8;
const DENSE = 9;
const FEATS = 10;

const { binsBuf, numRows, idxBuf, tmpBuf, ghBuf, histBuf, ctrlBuf, offsets, rowBuf, rowW } = workerData;
// row-major bin codes (see hist-kernel.mjs rowKernel) when the grower keeps them
const rowWords = rowBuf ? new Uint32Array(rowBuf) : null;
const ctrl = new Int32Array(ctrlBuf);
const offs = Int32Array.from(offsets);
const numFeatures = offs.length;
const bins = [];
for (let f = 0; f < numFeatures; f++) bins.push(new Uint8Array(binsBuf, f * numRows, numRows));
const hist = new Float64Array(histBuf);
const idx = new Uint32Array(idxBuf);
const tmp = new Uint32Array(tmpBuf);
const gh = new Float64Array(ghBuf);
const totalBins = hist.length / 3;
let lastSeq = 0;

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
    ctrl[FEATS + 3] = partitionSegment(
      idx,
      tmp,
      start,
      start,
      count,
      bins[ctrl[FEATS]],
      ctrl[FEATS + 1],
      ctrl[FEATS + 2],
    );
  } else {
    const stride = ctrl[STRIDE];
    const nf = ctrl[NFEAT];
    const features = [];
    for (let k = 0; k < nf; k++) features.push(ctrl[FEATS + k]);
    for (const f of features) {
      const end = f + 1 < numFeatures ? offs[f + 1] : totalBins;
      hist.fill(0, offs[f] * stride, end * stride);
    }
    const rows = ctrl[DENSE] ? null : idx;
    if (rowWords) buildHistogramRows(hist, rowWords, rowW, offs, stride, rows, gh, start, count, features);
    else buildHistogram(hist, bins, offs, stride, rows, gh, start, count, features);
  }
  Atomics.store(ctrl, DONE, seq);
  Atomics.notify(ctrl, DONE);
}
