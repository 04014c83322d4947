export { toOnnx, onnxOutputNames, type OnnxExportOptions } from './onnx.js';
export { linearToOnnx } from './onnx-linear.js';
export { writeMlflowModel, MLFLOW_DEFAULTS, type MlflowWriteOptions } from './mlflow.js';
