import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { WorkerPool, mapLimit } from './parallel.js';

const fixture = new URL('./parallel-fixture.test-helper.ts', import.meta.url).href;

describe('WorkerPool', () => {
  it('runs TypeScript functions in worker threads, shares SharedArrayBuffers and forwards LakeboxErrors', async () => {
    const pool = new WorkerPool(2);
    try {
      const sab = new Float64Array(new SharedArrayBuffer(8 * 4));
      const results = await Promise.all([0, 1, 2, 3].map((i) => pool.run<number>(fixture, 'square', [sab, i])));
      expect(results).toEqual([0, 1, 4, 9]);
      expect(Array.from(sab)).toEqual([0, 1, 4, 9]);
      await expect(pool.run(fixture, 'fail', [])).rejects.toSatisfy((e: unknown) =>
        isLakeboxError(e, 'ML_INVALID_DATA'),
      );
      const threads = new Set(await Promise.all([1, 2, 3, 4].map(() => pool.run<number>(fixture, 'threadId', []))));
      expect(threads.size).toBe(2);
    } finally {
      await pool.close();
    }
  });
  it('mapLimit keeps order and the limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2], 2, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual([10, 2, 6, 4]);
    expect(peak).toBe(2);
  });
});
