// Worker-thread entry of @lakebox/ml's WorkerPool: loads TypeScript modules through tsx and runs
// the exported function named in each message. Plain .mjs so that Node can start it directly.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

parentPort.on('message', async (msg) => {
  const { id, module, fn, args } = msg;
  try {
    const mod = await import(module);
    if (typeof mod[fn] !== 'function') throw new Error(`${module} has no exported function ${fn}`);
    const result = await mod[fn](...args);
    parentPort.postMessage({ id, ok: true, result });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: err.name, message: err.message, code: err.code, details: err.details },
    });
  }
});
