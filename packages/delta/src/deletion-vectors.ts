/**
 * Deletion vectors (PROTOCOL.md, "Deletion Vectors" and "Deletion Vector Format"): the set of
 * deleted row indexes of a data file, stored inline (Z85) or in a `.bin` file, serialised as a
 * magic number followed by a 64-bit RoaringBitmap in the portable format.
 */
import { crc32 } from 'node:zlib';
import { LakeboxError } from '@lakebox/common';
import type { DeletionVectorDescriptor } from './actions.js';
import { canonicalPath } from './snapshot.js';
import type { ObjectStore } from './storage.js';

export const DV_MAGIC = 1681511377;
const Z85_CHARS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85_CHARS.length; i++) Z85_DECODE[Z85_CHARS.charCodeAt(i)] = i;

function dvError(msg: string, where: string): LakeboxError {
  return new LakeboxError('DELTA_INVALID_DELETION_VECTOR', `${msg} (${where})`, { details: { deletionVector: where } });
}

/** Decode Z85 (ZeroMQ base-85); the input length must be a multiple of 5. */
export function z85Decode(s: string): Uint8Array {
  if (s.length % 5 !== 0) throw dvError(`Z85 text length ${s.length} is not a multiple of 5`, s.slice(0, 40));
  const out = new Uint8Array((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = s.charCodeAt(i + j);
      const d = c < 128 ? Z85_DECODE[c]! : -1;
      if (d < 0) throw dvError(`invalid Z85 character '${s[i + j]}'`, s.slice(0, 40));
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw dvError('Z85 block out of range', s.slice(0, 40));
    out[o] = (v >>> 24) & 0xff;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

/** Encode bytes (length a multiple of 4) as Z85. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0)
    throw new LakeboxError('DELTA_INVALID_DELETION_VECTOR', 'Z85 input length must be a multiple of 4');
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let v = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = Z85_CHARS[v % 85]!;
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/** The relative file of a `u` (UUID-based) deletion vector. */
export function dvRelativePath(dv: DeletionVectorDescriptor): string {
  const s = dv.pathOrInlineDv;
  if (s.length < 20) throw dvError('UUID-based deletion vector path is too short', s);
  const prefix = s.slice(0, s.length - 20);
  const b = z85Decode(s.slice(s.length - 20));
  const hex = Buffer.from(b).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.bytes.length)
      throw dvError(`truncated deletion vector bitmap at byte ${this.pos}`, this.where);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw dvError('bucket count out of range', this.where);
    return Number(v);
  }
}

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;

/** Decode one 32-bit portable RoaringBitmap, appending `high * 2^32 + value` for each value. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const cookie = r.u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = Math.ceil(size / 8);
    r.need(n);
    runFlags = r.bytes.subarray(r.pos, r.pos + n);
    r.pos += n;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = r.u32();
  } else {
    throw dvError(`unknown RoaringBitmap cookie ${cookie}`, r.where);
  }
  if (size > 65536) throw dvError(`too many RoaringBitmap containers (${size})`, r.where);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(r.u16());
    cards.push(r.u16() + 1);
  }
  if (!runFlags || size >= 4) r.pos += 4 * size; // offset header, not needed for sequential reading
  const base = high * 2 ** 32;
  for (let i = 0; i < size; i++) {
    const kb = base + keys[i]! * 65536;
    const isRun = runFlags ? (runFlags[i >> 3]! >> (i & 7)) & 1 : 0;
    if (isRun) {
      const runs = r.u16();
      for (let k = 0; k < runs; k++) {
        const start = r.u16();
        const len = r.u16();
        for (let v = start; v <= start + len; v++) out.push(kb + v);
      }
    } else if (cards[i]! <= 4096) {
      for (let k = 0; k < cards[i]!; k++) out.push(kb + r.u16());
    } else {
      r.need(8192);
      for (let w = 0; w < 2048; w++) {
        let word = r.view.getUint32(r.pos + w * 4, true);
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          out.push(kb + w * 32 + bit);
          word &= word - 1;
        }
      }
      r.pos += 8192;
    }
  }
}

/** Decode a Delta RoaringBitmapArray (magic number + 64-bit portable bitmap) to sorted row indexes. */
export function decodeRoaringBitmapArray(bytes: Uint8Array, where = 'inline'): number[] {
  const r = new Reader(bytes, where);
  const magic = r.u32();
  if (magic !== DV_MAGIC) throw dvError(`unexpected deletion vector magic number ${magic}`, where);
  const buckets = r.u64();
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const key = r.u32();
    if (key > 0x7fffffff) throw dvError('negative deletion vector bucket key', where);
    readRoaring32(r, key, out);
  }
  return out;
}

/** Encode sorted row indexes (< 2^32 * 2^31) as a Delta RoaringBitmapArray, using array and bitmap containers. */
export function encodeRoaringBitmapArray(rows: Iterable<number>): Uint8Array {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const buckets = new Map<number, Map<number, number[]>>();
  for (const v of sorted) {
    if (!Number.isInteger(v) || v < 0)
      throw new LakeboxError('DELTA_INVALID_DELETION_VECTOR', `invalid row index ${v}`);
    const high = Math.floor(v / 2 ** 32);
    const low = v - high * 2 ** 32;
    let b = buckets.get(high);
    if (!b) buckets.set(high, (b = new Map()));
    const key = low >>> 16;
    let c = b.get(key);
    if (!c) b.set(key, (c = []));
    c.push(low & 0xffff);
  }
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(12));
  head.setUint32(0, DV_MAGIC, true);
  head.setBigUint64(4, BigInt(buckets.size), true);
  parts.push(new Uint8Array(head.buffer));
  for (const [high, containers] of buckets) {
    const n = containers.size;
    const hdr = new DataView(new ArrayBuffer(4 + 4 + 4 + n * 4 + n * 4));
    let p = 0;
    hdr.setUint32(p, high, true);
    p += 4;
    hdr.setUint32(p, SERIAL_COOKIE_NO_RUNCONTAINER, true);
    p += 4;
    hdr.setUint32(p, n, true);
    p += 4;
    const entries = [...containers.entries()];
    for (const [key, vals] of entries) {
      hdr.setUint16(p, key, true);
      hdr.setUint16(p + 2, vals.length - 1, true);
      p += 4;
    }
    let offset = 4 + 4 + n * 4 + n * 4; // from the start of this 32-bit bitmap (after the key)
    const bodies: Uint8Array[] = [];
    for (const [, vals] of entries) {
      hdr.setUint32(p, offset, true);
      p += 4;
      let body: Uint8Array;
      if (vals.length <= 4096) {
        const dv = new DataView(new ArrayBuffer(vals.length * 2));
        vals.forEach((v, i) => dv.setUint16(i * 2, v, true));
        body = new Uint8Array(dv.buffer);
      } else {
        const words = new Uint32Array(2048);
        for (const v of vals) words[v >>> 5]! |= 1 << (v & 31);
        const dv = new DataView(new ArrayBuffer(8192));
        words.forEach((w, i) => dv.setUint32(i * 4, w, true));
        body = new Uint8Array(dv.buffer);
      }
      bodies.push(body);
      offset += body.length;
    }
    parts.push(new Uint8Array(hdr.buffer), ...bodies);
  }
  return Buffer.concat(parts);
}

/** Read the deleted row indexes of a deletion vector, checking size, checksum and cardinality. */
export async function loadDeletionVector(store: ObjectStore, dv: DeletionVectorDescriptor): Promise<number[]> {
  let rows: number[];
  let where: string;
  if (dv.storageType === 'i') {
    where = `inline deletion vector ${dv.pathOrInlineDv.slice(0, 40)}`;
    const bytes = z85Decode(dv.pathOrInlineDv);
    rows = decodeRoaringBitmapArray(bytes.subarray(0, dv.sizeInBytes), where);
  } else {
    let file: string;
    if (dv.storageType === 'u') file = dvRelativePath(dv);
    else if (dv.storageType === 'p') {
      const abs = canonicalPath(dv.pathOrInlineDv);
      const root = canonicalPath(store.url.endsWith('/') ? store.url : `${store.url}/`);
      if (!abs.startsWith(root))
        throw dvError('absolute deletion vector path outside the table is not supported', dv.pathOrInlineDv);
      file = abs.slice(root.length);
    } else {
      throw dvError(`unknown deletion vector storage type '${String(dv.storageType)}'`, dv.pathOrInlineDv);
    }
    where = file;
    let data: Uint8Array;
    try {
      data = await store.get(file);
    } catch (e) {
      if (e instanceof LakeboxError && e.code === 'OBJECT_NOT_FOUND') {
        throw new LakeboxError('DELTA_DELETION_VECTOR_MISSING', `deletion vector file ${file} is missing`, {
          details: { path: file },
        });
      }
      throw e;
    }
    const offset = dv.offset ?? 1;
    if (data.length < 1 || data[0] !== 1)
      throw dvError(`unsupported deletion vector file format version ${data[0]}`, file);
    if (offset + 4 > data.length) throw dvError(`deletion vector offset ${offset} beyond the end of the file`, file);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const size = view.getUint32(offset, false);
    if (size !== dv.sizeInBytes)
      throw dvError(`deletion vector size ${size} differs from the descriptor's ${dv.sizeInBytes}`, file);
    if (offset + 4 + size + 4 > data.length) throw dvError('truncated deletion vector', file);
    const body = data.subarray(offset + 4, offset + 4 + size);
    const expected = view.getUint32(offset + 4 + size, false);
    if (crc32(body) >>> 0 !== expected) throw dvError('deletion vector checksum mismatch', file);
    rows = decodeRoaringBitmapArray(body, file);
  }
  if (rows.length !== Number(dv.cardinality)) {
    throw dvError(`deletion vector holds ${rows.length} rows but its descriptor says ${dv.cardinality}`, where);
  }
  return rows;
}
