import { LogisticRegressionModel } from '../linear/logistic.js';
import type { LinearRegressionModel } from '../linear/regression.js';
import { T_DOUBLE, T_INT64, modelProto, node, tensor, valueInfo, type OnnxExportOptions } from './onnx.js';
import type { ProtoWriter } from './protobuf.js';

/**
 * ONNX export of a linear model, computed in double precision with standard ONNX operators
 * (MatMul, Add, Sigmoid / Softmax, ArgMax), so that onnxruntime reproduces Lakebox's predictions to
 * ~1e-15. (ai.onnx.ml LinearClassifier / LinearRegressor compute in float32 in onnxruntime, which
 * cannot match to 1e-6.) Input `input`: tensor(double) [N, numFeatures]. Outputs:
 * - LinearRegressionModel: `variable` [N, 1] double;
 * - LogisticRegressionModel: `label` [N] double (the class index, as Lakebox's predict gives it;
 *   binary models apply the model's threshold to P(class 1)) and `probabilities` [N, K] double.
 * A missing value (NaN) makes that row's outputs NaN, as in Lakebox, except the label, which
 * onnxruntime computes from NaN probabilities as class 0 (Lakebox: NaN).
 */
export function linearToOnnx(
  model: LogisticRegressionModel | LinearRegressionModel,
  opts: OnnxExportOptions = {},
): Uint8Array {
  const inputName = opts.inputName ?? 'input';
  const d = model.numFeatures;
  const nodes: ProtoWriter[] = [];
  const inits: ProtoWriter[] = [];
  const outputs: ProtoWriter[] = [];
  let k: number;
  let w: Float64Array;
  let b: Float64Array;
  if (model instanceof LogisticRegressionModel) {
    const data = model.data;
    k = data.multinomial ? data.numClasses : 1;
    // coefficients are class-major (class c at c * d); MatMul wants [d, k]
    w = new Float64Array(d * k);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) w[j * k + c] = data.coefficients[c * d + j];
    b = Float64Array.from(data.intercepts.subarray(0, k));
  } else {
    k = 1;
    w = Float64Array.from(model.coefficients);
    b = Float64Array.of(model.intercept);
  }
  inits.push(tensor('W', T_DOUBLE, [d, k], w));
  inits.push(tensor('B', T_DOUBLE, [k], b));
  nodes.push(node('MatMul', [inputName, 'W'], ['xw'], 'matmul'));
  nodes.push(node('Add', ['xw', 'B'], ['margin'], 'intercept'));
  if (!(model instanceof LogisticRegressionModel)) {
    nodes.push(node('Identity', ['margin'], ['variable'], 'out'));
    outputs.push(valueInfo('variable', T_DOUBLE, ['N', 1]));
  } else if (k === 1) {
    inits.push(tensor('one', T_DOUBLE, [], [1]));
    inits.push(tensor('threshold', T_DOUBLE, [], [model.params.threshold]));
    inits.push(tensor('axis1', T_INT64, [1], [1]));
    nodes.push(node('Sigmoid', ['margin'], ['p1'], 'sigmoid'));
    nodes.push(node('Sub', ['one', 'p1'], ['p0'], 'complement'));
    nodes.push(node('Concat', ['p0', 'p1'], ['probabilities'], 'proba', [{ name: 'axis', kind: 'int', v: 1 }]));
    nodes.push(node('Greater', ['p1', 'threshold'], ['positive'], 'threshold'));
    nodes.push(node('Cast', ['positive'], ['label2d'], 'cast', [{ name: 'to', kind: 'int', v: T_DOUBLE }]));
    nodes.push(node('Squeeze', ['label2d', 'axis1'], ['label'], 'label'));
  } else {
    nodes.push(node('Softmax', ['margin'], ['probabilities'], 'softmax', [{ name: 'axis', kind: 'int', v: 1 }]));
    nodes.push(
      node('ArgMax', ['probabilities'], ['best'], 'argmax', [
        { name: 'axis', kind: 'int', v: 1 },
        { name: 'keepdims', kind: 'int', v: 0 },
      ]),
    );
    nodes.push(node('Cast', ['best'], ['label'], 'label', [{ name: 'to', kind: 'int', v: T_DOUBLE }]));
  }
  if (model instanceof LogisticRegressionModel) {
    outputs.push(valueInfo('label', T_DOUBLE, ['N']));
    outputs.push(valueInfo('probabilities', T_DOUBLE, ['N', model.numClasses]));
  }
  return modelProto(nodes, inits, valueInfo(inputName, T_DOUBLE, ['N', d]), outputs, opts.name ?? 'lakebox_linear');
}
