/**
 * A small pool of worker threads for @lakebox/ml (parallel gradients, parallel trials).
 * Tasks name a module (file URL) and an exported function; arguments and results are
 * structured-cloned, SharedArrayBuffers are shared. Workers are unref'ed: an idle pool never keeps
 * the process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LakeboxError } from '@lakebox/common';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number = defaultParallelism()) {}

  private spawn(): Slot {
    const worker = new Worker(new URL('./parallel-worker.mjs', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, busy: 0 };
    worker.on(
      'message',
      (msg: {
        id: number;
        ok: boolean;
        result?: unknown;
        error?: { message: string; code?: string; details?: Record<string, unknown> };
      }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        slot.busy--;
        if (slot.busy === 0) worker.unref();
        if (msg.ok) p.resolve(msg.result);
        else if (msg.error?.code)
          p.reject(
            new LakeboxError(
              msg.error.code,
              msg.error.message,
              msg.error.details ? { details: msg.error.details } : {},
            ),
          );
        else p.reject(new Error(msg.error?.message ?? 'worker task failed'));
      },
    );
    worker.on('error', (e) => {
      for (const [id, p] of this.pending) {
        if (p.slot === slot) {
          this.pending.delete(id);
          p.reject(e);
        }
      }
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    });
    this.slots.push(slot);
    return slot;
  }

  /** Run `fn` exported by `moduleUrl` in the least busy worker. */
  run<T>(moduleUrl: string, fn: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('WorkerPool is closed'));
    let slot = this.slots.reduce<Slot | undefined>((best, s) => (!best || s.busy < best.busy ? s : best), undefined);
    if (!slot || (slot.busy > 0 && this.slots.length < this.size)) slot = this.spawn();
    const id = this.nextId++;
    slot.busy++;
    slot.worker.ref();
    const s = slot;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, slot: s });
      s.worker.postMessage({ id, module: moduleUrl, fn, args }, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }
}

export function defaultParallelism(): number {
  return Math.max(1, availableParallelism());
}

let shared: WorkerPool | undefined;

/** The process-wide pool (one worker per core). */
export function sharedPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}

/** Run async tasks with at most `limit` in flight; results in task order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(runners);
  return out;
}
