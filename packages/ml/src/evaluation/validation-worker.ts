// Runs inside worker threads (parallel-worker.mjs): one fit + evaluation of a validation task.
import '../index.js'; // registers every estimator and model kind
import { estimatorFromSpec, type EstimatorSpec } from '../core.js';
import { frameFromData, type FrameData } from '../data/frame.js';
import { evaluatorFromSpec } from './evaluators.js';

export async function fitEvaluate(
  spec: EstimatorSpec,
  evalSpec: { kind: string; params: Record<string, unknown> },
  data: FrameData,
  train: Int32Array,
  test: Int32Array,
): Promise<number> {
  const frame = frameFromData(data);
  const model = await estimatorFromSpec(spec).fit(frame.take(train));
  return evaluatorFromSpec(evalSpec).evaluate(model.transform(frame.take(test)));
}
