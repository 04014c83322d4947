export { toOnnx, onnxOutputNames, type OnnxExportOptions } from './onnx.js';
export { writeMlflowModel, MLFLOW_DEFAULTS, type MlflowWriteOptions } from './mlflow.js';
