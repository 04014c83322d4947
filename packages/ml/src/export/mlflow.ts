import { mkdir, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LakeboxError } from '@lakebox/common';
import type { TreeEnsembleModel } from '../tree/ensemble.js';
import { toOnnx } from './onnx.js';

/**
 * Writes an MLflow model directory for a tree ensemble, in the layout `mlflow.onnx.save_model`
 * produces, so that `mlflow.pyfunc.load_model(dir)` (and `mlflow.onnx.load_model`) load it:
 * - `MLmodel` with the `onnx` and `python_function` (loader_module mlflow.onnx) flavors, plus a
 *   `lakebox` flavor pointing at the native JSON model, the signature and the input example info;
 * - `model.onnx` (see toOnnx), `lakebox_model.json`;
 * - `input_example.json` and `serving_input_example.json` (when an example is given);
 * - `requirements.txt`, `python_env.yaml`, `conda.yaml` for the Python side.
 */
export interface MlflowWriteOptions {
  /** Example rows (numFeatures values each; NaN / null for missing). */
  inputExample?: readonly (readonly (number | null)[])[];
  /** Versions written into MLmodel and the environment files. */
  mlflowVersion?: string;
  onnxVersion?: string;
  onnxruntimeVersion?: string;
  numpyVersion?: string;
  pythonVersion?: string;
}

export const MLFLOW_DEFAULTS = {
  mlflowVersion: '3.17.2',
  onnxVersion: '1.23.2',
  onnxruntimeVersion: '1.32.0',
  numpyVersion: '2.4.6',
  pythonVersion: '3.11.7',
};

function q(s: string): string {
  // single-quoted YAML scalar
  return `'${s.replace(/'/g, "''")}'`;
}

export async function writeMlflowModel(
  model: TreeEnsembleModel,
  dir: string,
  opts: MlflowWriteOptions = {},
): Promise<void> {
  const v = { ...MLFLOW_DEFAULTS, ...opts };
  const s = model.spec;
  const F = s.numFeatures;
  const onnx = toOnnx(model);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), onnx);
  await writeFile(join(dir, 'lakebox_model.json'), model.save());

  const inputs = JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1, F] } }]);
  const outputs =
    s.task === 'regression'
      ? JSON.stringify([{ name: 'variable', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 1] } }])
      : JSON.stringify([
          { name: 'label', type: 'tensor', 'tensor-spec': { dtype: 'float64', shape: [-1] } },
          { name: 'probabilities', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, s.classes.length] } },
        ]);
  const lines = [
    'flavors:',
    '  lakebox:',
    '    data: lakebox_model.json',
    `    format: ${s.algorithm === 'gbt' ? 'gbt' : 'forest'}`,
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    '    onnx_session_options: null',
    `    onnx_version: ${v.onnxVersion}`,
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    '    data: model.onnx',
    '    env:',
    '      conda: conda.yaml',
    '      virtualenv: python_env.yaml',
    '    loader_module: mlflow.onnx',
    `    python_version: ${v.pythonVersion}`,
    'is_signature_from_type_hint: false',
    `mlflow_version: ${v.mlflowVersion}`,
    'model_id: null',
    `model_size_bytes: ${onnx.length}`,
    `model_uuid: ${randomUUID().replace(/-/g, '')}`,
    'prompts: null',
  ];
  if (opts.inputExample) {
    const rows = opts.inputExample.map((r) => {
      if (r.length !== F) {
        throw new LakeboxError('ML_SCHEMA_MISMATCH', `input example row has ${r.length} values, the model ${F}`);
      }
      return r.map((x) => (x === null || Number.isNaN(x) ? null : x));
    });
    await writeFile(join(dir, 'input_example.json'), JSON.stringify(rows));
    await writeFile(join(dir, 'serving_input_example.json'), JSON.stringify({ inputs: rows }, null, 2));
    lines.push(
      'saved_input_example_info:',
      '  artifact_path: input_example.json',
      '  serving_input_path: serving_input_example.json',
      '  type: ndarray',
    );
  }
  lines.push(
    'signature:',
    `  inputs: ${q(inputs)}`,
    `  outputs: ${q(outputs)}`,
    '  params: null',
    'type_hint_from_example: false',
    `utc_time_created: '${new Date().toISOString().replace('T', ' ').replace('Z', '')}'`,
    '',
  );
  await writeFile(join(dir, 'MLmodel'), lines.join('\n'));
  const reqs = [
    `mlflow==${v.mlflowVersion}`,
    `numpy==${v.numpyVersion}`,
    `onnx==${v.onnxVersion}`,
    `onnxruntime==${v.onnxruntimeVersion}`,
  ];
  await writeFile(join(dir, 'requirements.txt'), reqs.join('\n') + '\n');
  await writeFile(
    join(dir, 'python_env.yaml'),
    [
      `python: ${v.pythonVersion}`,
      'build_dependencies:',
      '- pip',
      '- setuptools',
      '- wheel',
      'dependencies:',
      '- -r requirements.txt',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'conda.yaml'),
    [
      'channels:',
      '- conda-forge',
      'dependencies:',
      `- python=${v.pythonVersion}`,
      '- pip',
      '- pip:',
      ...reqs.map((r) => `  - ${r}`),
      'name: mlflow-env',
      '',
    ].join('\n'),
  );
}
