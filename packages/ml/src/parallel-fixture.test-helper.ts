// Functions run by parallel.test.ts inside worker threads.
import { threadId as tid } from 'node:worker_threads';
import { LakeboxError } from '@lakebox/common';

export function square(shared: Float64Array, i: number): number {
  shared[i] = i * i;
  return i * i;
}
export function fail(): never {
  throw new LakeboxError('ML_INVALID_DATA', 'bad input in a worker');
}
export async function threadId(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  return tid;
}
