import { LakeboxError, VERSION } from '@lakebox/common';
import type { TreeEnsembleModel } from '../tree/ensemble.js';
import { ProtoWriter } from './protobuf.js';

/**
 * ONNX export of a tree ensemble. The trees become one ai.onnx.ml TreeEnsembleRegressor (ml opset
 * 3, thresholds and leaf weights as double tensors, so splits are exactly the model's); the output
 * transform uses standard ONNX ops:
 * - regression: output `variable` [N, 1]
 * - binary GBT: margin -> Sigmoid -> `probabilities` [N, 2] = [1 - p, p]
 * - multiclass GBT: margins -> Softmax -> `probabilities` [N, K]
 * - forest classification: averaged leaf class distributions -> `probabilities` [N, K]
 * and for classifiers `label` [N] (the class value, double) = classes[argmax(probabilities)].
 * The input is `input`: tensor(double) [N, numFeatures], NaN for missing values.
 */
export interface OnnxExportOptions {
  /** Graph / model name. */
  name?: string;
  /** Input tensor name (default `input`). */
  inputName?: string;
}

export const T_FLOAT = 1;
export const T_INT64 = 7;
export const T_DOUBLE = 11;
const A_FLOAT = 1;
const A_INT = 2;
const A_STRING = 3;
const A_TENSOR = 4;
const A_INTS = 7;
const A_STRINGS = 8;

export type Attr =
  | { name: string; kind: 'int'; v: number }
  | { name: string; kind: 'float'; v: number }
  | { name: string; kind: 'string'; v: string }
  | { name: string; kind: 'ints'; v: ArrayLike<number> }
  | { name: string; kind: 'strings'; v: string[] }
  | { name: string; kind: 'tensor'; v: ProtoWriter };

export function tensor(name: string, dataType: number, dims: number[], values: ArrayLike<number>): ProtoWriter {
  const t = new ProtoWriter();
  t.packedInts(1, dims);
  t.int(2, dataType);
  if (dataType === T_DOUBLE) t.packedDoubles(10, values);
  else if (dataType === T_FLOAT) t.packedFloats(4, values);
  else t.packedInts(7, values);
  if (name) t.string(8, name);
  return t;
}

function attribute(a: Attr): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  switch (a.kind) {
    case 'int':
      w.int(3, a.v).int(20, A_INT);
      break;
    case 'float':
      w.float(2, a.v).int(20, A_FLOAT);
      break;
    case 'string':
      w.string(4, a.v).int(20, A_STRING);
      break;
    case 'ints':
      w.packedInts(8, a.v).int(20, A_INTS);
      break;
    case 'strings':
      for (const s of a.v) w.string(9, s);
      w.int(20, A_STRINGS);
      break;
    case 'tensor':
      w.message(5, a.v).int(20, A_TENSOR);
      break;
  }
  return w;
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Attr[] = [],
  domain = '',
): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name);
  w.string(4, opType);
  for (const a of attrs) w.message(5, attribute(a));
  if (domain) w.string(7, domain);
  return w;
}

export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tt = new ProtoWriter().int(1, elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tt);
  return new ProtoWriter().string(1, name).message(2, type);
}

export interface OnnxOutputs {
  /** Output names in graph order. */
  outputs: string[];
}

/** The ONNX model (ModelProto bytes) for a fitted tree ensemble. */
export function toOnnx(model: TreeEnsembleModel, opts: OnnxExportOptions = {}): Uint8Array {
  const s = model.spec;
  const F = s.numFeatures;
  const C = s.numChannels;
  const inputName = opts.inputName ?? 'input';
  if (s.trees.length === 0) throw new LakeboxError('ML_INVALID_MODEL', 'cannot export a model without trees');
  if (s.trees.some((t) => t.leftCategories?.some((c) => c !== null))) {
    // TreeEnsembleRegressor has no set-membership node; a chain of BRANCH_EQ nodes per split would
    // be needed (not done yet)
    throw new LakeboxError(
      'ML_UNSUPPORTED_OPERATION',
      'ONNX export of trees with categorical splits (categoricalFeatures) is not supported; train without categoricalFeatures (e.g. one-hot encode) to export',
    );
  }

  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missingTrue: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tIds: number[] = [];
  const tWeights: number[] = [];
  const forest = s.algorithm === 'forest';
  s.trees.forEach((t, ti) => {
    const K = t.numOutputs;
    for (let i = 0; i < t.feature.length; i++) {
      treeIds.push(ti);
      nodeIds.push(i);
      if (t.feature[i] >= 0) {
        featureIds.push(t.feature[i]);
        modes.push('BRANCH_LEQ');
        values.push(t.threshold[i]);
        trueIds.push(t.left[i]);
        falseIds.push(t.right[i]);
        missingTrue.push(t.defaultLeft[i]);
      } else {
        featureIds.push(0);
        modes.push('LEAF');
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        const ch = s.treeChannel[ti];
        for (let c = 0; c < K; c++) {
          tTree.push(ti);
          tNode.push(i);
          tIds.push(ch >= 0 ? ch : c);
          tWeights.push(t.value[i * K + c]);
        }
      }
    }
  });
  const ensemble = node(
    'TreeEnsembleRegressor',
    [inputName],
    ['scores'],
    'trees',
    [
      { name: 'n_targets', kind: 'int', v: C },
      { name: 'aggregate_function', kind: 'string', v: forest ? 'AVERAGE' : 'SUM' },
      { name: 'post_transform', kind: 'string', v: 'NONE' },
      { name: 'base_values_as_tensor', kind: 'tensor', v: tensor('', T_DOUBLE, [C], s.baseScore) },
      { name: 'nodes_treeids', kind: 'ints', v: treeIds },
      { name: 'nodes_nodeids', kind: 'ints', v: nodeIds },
      { name: 'nodes_featureids', kind: 'ints', v: featureIds },
      { name: 'nodes_modes', kind: 'strings', v: modes },
      { name: 'nodes_values_as_tensor', kind: 'tensor', v: tensor('', T_DOUBLE, [values.length], values) },
      { name: 'nodes_truenodeids', kind: 'ints', v: trueIds },
      { name: 'nodes_falsenodeids', kind: 'ints', v: falseIds },
      { name: 'nodes_missing_value_tracks_true', kind: 'ints', v: missingTrue },
      { name: 'target_treeids', kind: 'ints', v: tTree },
      { name: 'target_nodeids', kind: 'ints', v: tNode },
      { name: 'target_ids', kind: 'ints', v: tIds },
      { name: 'target_weights_as_tensor', kind: 'tensor', v: tensor('', T_DOUBLE, [tWeights.length], tWeights) },
    ],
    'ai.onnx.ml',
  );
  const nodes: ProtoWriter[] = [ensemble];
  const inits: ProtoWriter[] = [];
  const outputs: ProtoWriter[] = [];
  if (s.task === 'regression') {
    nodes.push(node('Identity', ['scores'], ['variable'], 'out'));
    outputs.push(valueInfo('variable', T_FLOAT, ['N', 1]));
  } else {
    const K = s.classes.length;
    if (forest) nodes.push(node('Identity', ['scores'], ['probabilities'], 'proba'));
    else if (s.task === 'binary') {
      inits.push(tensor('one', T_FLOAT, [], [1]));
      nodes.push(node('Sigmoid', ['scores'], ['p1'], 'sigmoid'));
      nodes.push(node('Sub', ['one', 'p1'], ['p0'], 'complement'));
      nodes.push(node('Concat', ['p0', 'p1'], ['probabilities'], 'proba', [{ name: 'axis', kind: 'int', v: 1 }]));
    } else {
      nodes.push(node('Softmax', ['scores'], ['probabilities'], 'softmax', [{ name: 'axis', kind: 'int', v: 1 }]));
    }
    inits.push(tensor('classes', T_DOUBLE, [K], s.classes));
    nodes.push(
      node('ArgMax', ['probabilities'], ['best'], 'argmax', [
        { name: 'axis', kind: 'int', v: 1 },
        { name: 'keepdims', kind: 'int', v: 0 },
      ]),
    );
    nodes.push(node('Gather', ['classes', 'best'], ['label'], 'label'));
    outputs.push(valueInfo('label', T_DOUBLE, ['N']));
    outputs.push(valueInfo('probabilities', T_FLOAT, ['N', K]));
  }
  return modelProto(
    nodes,
    inits,
    valueInfo(inputName, T_DOUBLE, ['N', F]),
    outputs,
    opts.name ?? 'lakebox_tree_ensemble',
  );
}

/** ModelProto bytes of a one-input graph (ONNX opset 17, ai.onnx.ml opset 3). */
export function modelProto(
  nodes: ProtoWriter[],
  inits: ProtoWriter[],
  input: ProtoWriter,
  outputs: ProtoWriter[],
  name: string,
): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of nodes) graph.message(1, n);
  graph.string(2, name);
  for (const i of inits) graph.message(5, i);
  graph.message(11, input);
  for (const o of outputs) graph.message(12, o);

  const m = new ProtoWriter();
  m.int(1, 8); // ir_version
  m.string(2, 'lakebox');
  m.string(3, VERSION);
  m.message(7, graph);
  m.message(8, new ProtoWriter().string(1, '').int(2, 17));
  m.message(8, new ProtoWriter().string(1, 'ai.onnx.ml').int(2, 3));
  return m.finish();
}

/** Names of the outputs toOnnx gives a model. */
export function onnxOutputNames(model: TreeEnsembleModel): string[] {
  return model.spec.task === 'regression' ? ['variable'] : ['label', 'probabilities'];
}
