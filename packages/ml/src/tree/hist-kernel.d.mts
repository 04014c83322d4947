/** Types of hist-kernel.mjs (see there). */
export function buildHistogram(
  hist: Float64Array,
  bins: readonly Uint8Array[],
  offs: Int32Array,
  stride: 2 | 3,
  idx: Uint32Array | null,
  gh: Float64Array,
  start: number,
  count: number,
  features: readonly number[],
): void;

export function partitionSegment(
  idx: Uint32Array,
  tmp: Uint32Array,
  tmpStart: number,
  start: number,
  count: number,
  col: Uint8Array,
  thr: number,
  dlBin: number,
): number;

export function partitionByMask(
  idx: Uint32Array,
  tmp: Uint32Array,
  tmpStart: number,
  start: number,
  count: number,
  col: Uint8Array,
  mask: Uint8Array,
): number;

export function buildHistogramRows(
  hist: Float64Array,
  rowWords: Uint32Array,
  W: number,
  offs: Int32Array,
  stride: 2 | 3,
  idx: Uint32Array | null,
  gh: Float64Array,
  start: number,
  count: number,
  features: readonly number[],
): void;

export function packRows(
  bins: readonly Uint8Array[],
  numRows: number,
  buffer?: ArrayBuffer | SharedArrayBuffer,
): Uint32Array;
