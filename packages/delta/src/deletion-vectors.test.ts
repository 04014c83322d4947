import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeRoaringBitmapArray,
  dvRelativePath,
  encodeRoaringBitmapArray,
  loadDeletionVector,
  z85Decode,
  z85Encode,
} from './deletion-vectors.js';
import { LocalObjectStore } from './storage-local.js';

describe('Z85', () => {
  it('matches the ZeroMQ reference vector', () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect([...z85Decode('HelloWorld')]).toEqual([...bytes]);
  });
  it('rejects bad input', () => {
    expect(() => z85Decode('abc')).toThrow(/multiple of 5/);
    expect(() => z85Decode('abc~~')).toThrow(/invalid Z85 character/);
  });
});

describe('RoaringBitmapArray', () => {
  it('round-trips array and bitmap containers across 32-bit buckets', () => {
    const rows = [0, 1, 2, 65535, 65536, 70000, 2 ** 32 + 5, 3 * 2 ** 32];
    for (let i = 0; i < 5000; i++) rows.push(200000 + i * 3); // > 4096 values in one container: bitmap
    const sorted = [...rows].sort((a, b) => a - b);
    expect(decodeRoaringBitmapArray(encodeRoaringBitmapArray(rows))).toEqual(sorted);
  });
  it('decodes run containers', () => {
    // magic, 1 bucket, key 0, cookie with runs (size 1), run flag, key 0 card-1 = 9, 1 run: start 10 length-1 9
    const b = Buffer.alloc(4 + 8 + 4 + 4 + 1 + 4 + 2 + 4);
    let p = 0;
    p = b.writeUInt32LE(1681511377, p);
    b.writeBigUInt64LE(1n, p);
    p += 8;
    p = b.writeUInt32LE(0, p);
    p = b.writeUInt32LE(12347 | (0 << 16), p);
    p = b.writeUInt8(1, p);
    p = b.writeUInt16LE(0, p);
    p = b.writeUInt16LE(9, p);
    p = b.writeUInt16LE(1, p);
    p = b.writeUInt16LE(10, p);
    b.writeUInt16LE(9, p);
    expect(decodeRoaringBitmapArray(b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });
  it('rejects a wrong magic number and truncation with a typed error', () => {
    expect(() => decodeRoaringBitmapArray(Uint8Array.from([1, 2, 3, 4]))).toThrow(/magic number/);
    const ok = encodeRoaringBitmapArray([1, 2, 3]);
    expect(() => decodeRoaringBitmapArray(ok.subarray(0, ok.length - 2))).toThrow(/truncated/);
  });
});

describe('loadDeletionVector', () => {
  it('reads inline and UUID-file deletion vectors and checks the checksum', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-dv-'));
    try {
      const store = new LocalObjectStore(dir);
      const rows = [3, 7, 100000];
      const bitmap = encodeRoaringBitmapArray(rows);
      const padded = Buffer.concat([bitmap, Buffer.alloc((4 - (bitmap.length % 4)) % 4)]);
      expect(
        await loadDeletionVector(store, {
          storageType: 'i',
          pathOrInlineDv: z85Encode(padded),
          sizeInBytes: bitmap.length,
          cardinality: 3,
        }),
      ).toEqual(rows);

      const uuid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
      const descriptor = {
        storageType: 'u' as const,
        pathOrInlineDv: `ab${z85Encode(uuid)}`,
        offset: 1,
        sizeInBytes: bitmap.length,
        cardinality: 3,
      };
      expect(dvRelativePath(descriptor)).toBe('ab/deletion_vector_01234567-89ab-cdef-0123-456789abcdef.bin');
      const file = Buffer.alloc(1 + 4 + bitmap.length + 4);
      file.writeUInt8(1, 0);
      file.writeUInt32BE(bitmap.length, 1);
      Buffer.from(bitmap).copy(file, 5);
      file.writeUInt32BE(crc32(bitmap) >>> 0, 5 + bitmap.length);
      await store.put(dvRelativePath(descriptor), file);
      expect(await loadDeletionVector(store, descriptor)).toEqual(rows);

      file[6] = file[6]! ^ 0xff; // corrupt one byte of the bitmap
      await store.put(dvRelativePath(descriptor), file);
      await expect(loadDeletionVector(store, descriptor)).rejects.toMatchObject({
        code: 'DELTA_INVALID_DELETION_VECTOR',
      });
      await expect(
        loadDeletionVector(store, { ...descriptor, pathOrInlineDv: `zz${z85Encode(uuid)}` }),
      ).rejects.toMatchObject({
        code: 'DELTA_DELETION_VECTOR_MISSING',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
