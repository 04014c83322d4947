/**
 * The shape of @lakebox/ml, after Spark MLlib: stages have typed params with defaults and
 * validation; an Estimator is fit to a Frame and gives a Model; Models and plain Transformers
 * transform a Frame into a new Frame (adding output columns); a Pipeline chains stages.
 * Every stage can be saved to and loaded from a versioned JSON document.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { LakeboxError } from '@lakebox/common';
import type { Frame } from './data/frame.js';

// ---------------------------------------------------------------------------------------------
// Errors

/** Error codes used across @lakebox/ml (all thrown as LakeboxError). */
export const MlErrors = {
  /** A param has the wrong type or is out of its range, or an unknown param was given. */
  INVALID_PARAM: 'ML_INVALID_PARAM',
  /** The training frame has no rows (or no rows left after skipping invalid ones). */
  EMPTY_DATA: 'ML_EMPTY_DATA',
  /** NaN / infinite values where they are not allowed, ragged columns, bad labels. */
  INVALID_DATA: 'ML_INVALID_DATA',
  /** A classifier was given a label column with fewer than two classes. */
  SINGLE_CLASS: 'ML_SINGLE_CLASS',
  /** At transform/predict time the features do not match what the model was fit on. */
  SCHEMA_MISMATCH: 'ML_SCHEMA_MISMATCH',
  /** A column has the wrong kind (e.g. a string column where numbers are needed). */
  INVALID_COLUMN_TYPE: 'ML_INVALID_COLUMN_TYPE',
  /** A category not seen at fit time, with handleInvalid = 'error'. */
  UNSEEN_LABEL: 'ML_UNSEEN_LABEL',
  /** A saved document that is not a stage, of an unknown kind or of a newer format version. */
  INVALID_MODEL_FILE: 'ML_INVALID_MODEL_FILE',
} as const;

export function mlError(code: string, message: string, details?: Record<string, unknown>): LakeboxError {
  return new LakeboxError(code, message, details ? { details } : {});
}

// ---------------------------------------------------------------------------------------------
// Params

export type ParamValue =
  number | string | boolean | null | readonly number[] | readonly string[] | readonly (readonly number[])[];

export interface ParamSpec<T> {
  doc: string;
  default: T;
  /** Return an error message (or false) when the value is invalid; true/undefined when valid. */
  validate?: (v: T) => boolean | string | undefined;
}

export type ParamSpecs<P> = { readonly [K in keyof P]: ParamSpec<P[K]> };

/** Validators for ParamSpec.validate. */
export const V = {
  gt:
    (lo: number) =>
    (v: number): boolean | string =>
      (Number.isFinite(v) && v > lo) || `must be a finite number > ${lo}`,
  gte:
    (lo: number) =>
    (v: number): boolean | string =>
      (Number.isFinite(v) && v >= lo) || `must be a finite number >= ${lo}`,
  inRange:
    (lo: number, hi: number) =>
    (v: number): boolean | string =>
      (Number.isFinite(v) && v >= lo && v <= hi) || `must be in [${lo}, ${hi}]`,
  int:
    (lo: number, hi: number = Number.MAX_SAFE_INTEGER) =>
    (v: number): boolean | string =>
      (Number.isInteger(v) && v >= lo && v <= hi) || `must be an integer in [${lo}, ${hi}]`,
  oneOf:
    <T extends string>(...opts: T[]) =>
    (v: T): boolean | string =>
      opts.includes(v) || `must be one of ${opts.map((o) => `'${o}'`).join(', ')}`,
  nonEmpty: (v: string): boolean | string => v.length > 0 || 'must not be empty',
};

/**
 * Merge `given` over the defaults of `specs`, checking names, types and validators.
 * Throws ML_INVALID_PARAM with the stage and param named.
 */
export function resolveParams<P extends object>(stage: string, specs: ParamSpecs<P>, given: Partial<P> | undefined): P {
  const out: Record<string, unknown> = {};
  const g = (given ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(g)) {
    if (!(k in specs)) {
      throw mlError(
        MlErrors.INVALID_PARAM,
        `${stage} has no param '${k}'; known params: ${Object.keys(specs).join(', ')}`,
      );
    }
  }
  for (const [k, specU] of Object.entries(specs)) {
    const spec = specU as ParamSpec<unknown>;
    const v = g[k] === undefined ? spec.default : g[k];
    if (g[k] !== undefined && spec.default !== null && spec.default !== undefined) {
      const want = Array.isArray(spec.default) ? 'array' : typeof spec.default;
      const got = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
      if (want !== got) {
        throw mlError(
          MlErrors.INVALID_PARAM,
          `${stage} param '${k}' must be ${want}, got ${got} (${JSON.stringify(v)})`,
        );
      }
    }
    if (spec.validate && v !== null && v !== undefined) {
      const r = spec.validate(v);
      if (r === false || typeof r === 'string') {
        throw mlError(
          MlErrors.INVALID_PARAM,
          `${stage} param '${k}' = ${JSON.stringify(v)} is invalid${typeof r === 'string' ? `: ${r}` : ''}`,
        );
      }
    }
    out[k] = v;
  }
  return out as P;
}

/** Param documentation as `name: doc (default: x)` lines (like Spark's explainParams). */
export function explainParams<P extends object>(specs: ParamSpecs<P>, current?: P): string {
  return Object.entries(specs)
    .map(([k, s]) => {
      const spec = s as ParamSpec<unknown>;
      const cur = current ? ` current: ${JSON.stringify((current as Record<string, unknown>)[k])}` : '';
      return `${k}: ${spec.doc} (default: ${JSON.stringify(spec.default)}${cur})`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Stages

let uidCounter = 0;
function newUid(prefix: string): string {
  uidCounter += 1;
  return `${prefix}_${Date.now().toString(36)}${uidCounter.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export abstract class PipelineStage<P extends object = object> {
  /** Registry name of the stage class (also the `kind` in saved documents). */
  abstract readonly kind: string;
  readonly uid: string;
  readonly params: Readonly<P>;

  protected constructor(name: string, specs: ParamSpecs<P>, params: Partial<P> | undefined, uid?: string) {
    this.params = Object.freeze(resolveParams(name, specs, params));
    this.uid = uid ?? newUid(name);
  }
}

/** A stage that maps a Frame to a Frame. */
export abstract class Transformer<P extends object = object> extends PipelineStage<P> {
  abstract transform(frame: Frame): Frame;
  /** The state to save besides params (typed arrays allowed); none by default. */
  saveData(): SavedData {
    return {};
  }
}

/** A fitted Transformer, produced by an Estimator. */
export abstract class Model<P extends object = object> extends Transformer<P> {}

/** A stage that learns a Model from a Frame. */
export abstract class Estimator<P extends object = object, M extends Model = Model> extends PipelineStage<P> {
  abstract fit(frame: Frame): Promise<M>;
  /** A new estimator of the same class with some params replaced (for grids and tuning). */
  copy(extra: Partial<P>): this {
    const Ctor = this.constructor as new (p: Partial<P>) => this;
    return new Ctor({ ...this.params, ...extra });
  }
}

/** A Model that predicts a number per row (class index for classifiers). */
export interface Predictor {
  predict(frame: Frame): Float64Array;
}

/** A classifier model that gives class probabilities (n x numClasses, row-major). */
export interface ProbabilisticClassifier extends Predictor {
  readonly numClasses: number;
  predictProbability(frame: Frame): Float64Array;
}

export function isEstimator(s: PipelineStage): s is Estimator {
  return typeof (s as Estimator).fit === 'function';
}

// ---------------------------------------------------------------------------------------------
// Pipeline

export interface PipelineParams {
  stages: readonly PipelineStage[];
}

/**
 * A sequence of stages. Fitting fits each Estimator on the output of the stages before it and
 * gives a PipelineModel of the fitted transformers.
 */
export class Pipeline extends Estimator<{ stages: readonly PipelineStage[] }, PipelineModel> {
  readonly kind = 'Pipeline';
  constructor(params: Partial<PipelineParams>) {
    super(
      'Pipeline',
      { stages: { doc: 'the stages, in order', default: [] as unknown as readonly PipelineStage[] } },
      params as Partial<{ stages: readonly PipelineStage[] }>,
    );
    for (const s of this.params.stages) {
      if (!(s instanceof Transformer) && !isEstimator(s)) {
        throw mlError(MlErrors.INVALID_PARAM, 'Pipeline stages must be Estimators or Transformers');
      }
    }
  }

  /**
   * A copy with params of inner estimators replaced: keys are `<stage index>.<param>`
   * (e.g. `{'3.regParam': 0.1}`), so grids and tuning can reach into a pipeline.
   */
  override copy(extra: Partial<{ stages: readonly PipelineStage[] }> | Record<string, unknown>): this {
    const stages = [...this.params.stages];
    for (const [key, value] of Object.entries(extra)) {
      if (key === 'stages') continue;
      const m = /^(\d+)\.(.+)$/.exec(key);
      const idx = m ? Number(m[1]) : -1;
      const stage = stages[idx];
      if (!m || !stage || !isEstimator(stage)) {
        throw mlError(MlErrors.INVALID_PARAM, `Pipeline param '${key}' must be '<estimator stage index>.<param>'`);
      }
      stages[idx] = stage.copy({ [m[2]]: value });
    }
    const base = (extra as { stages?: readonly PipelineStage[] }).stages ?? stages;
    return new Pipeline({ stages: base === stages ? stages : base }) as this;
  }

  async fit(frame: Frame): Promise<PipelineModel> {
    const fitted: Transformer[] = [];
    let cur = frame;
    const stages = this.params.stages;
    for (let i = 0; i < stages.length; i++) {
      const s = stages[i];
      const t = isEstimator(s) ? await s.fit(cur) : (s as Transformer);
      fitted.push(t);
      if (i < stages.length - 1) cur = t.transform(cur);
    }
    return new PipelineModel(fitted);
  }
}

export class PipelineModel extends Model<object> {
  readonly kind = 'PipelineModel';
  readonly stages: readonly Transformer[];
  constructor(stages: readonly Transformer[], uid?: string) {
    super('PipelineModel', {}, {}, uid);
    this.stages = stages;
  }
  transform(frame: Frame): Frame {
    let cur = frame;
    for (const s of this.stages) cur = s.transform(cur);
    return cur;
  }
  override saveData(): SavedData {
    return { stages: this.stages.map((s) => saveStage(s)) as unknown as SavedValue };
  }
}

// ---------------------------------------------------------------------------------------------
// Save / load (versioned JSON)

export const STAGE_FORMAT = 'lakebox-ml-stage';
export const STAGE_FORMAT_VERSION = 1;

export type SavedValue =
  | number
  | string
  | boolean
  | null
  | Float64Array
  | Int32Array
  | readonly SavedValue[]
  | { readonly [k: string]: SavedValue };
export type SavedData = Record<string, SavedValue>;

/** The document of a saved stage (JSON; typed arrays are encoded as {"$f64": base64} / {"$i32": base64}). */
export interface SavedStage {
  format: typeof STAGE_FORMAT;
  formatVersion: number;
  kind: string;
  uid: string;
  params: Record<string, unknown>;
  data: Record<string, unknown>;
}

export type StageLoader = (doc: { uid: string; params: Record<string, unknown>; data: SavedData }) => Transformer;

const registry = new Map<string, StageLoader>();

/** Register how to rebuild a Transformer/Model of `kind` from its saved params and data. */
export function registerStage(kind: string, loader: StageLoader): void {
  registry.set(kind, loader);
}

registerStage('PipelineModel', ({ uid, data }) => {
  const stages = (data.stages as unknown as SavedStage[]).map((d) => loadStage(d));
  return new PipelineModel(stages, uid);
});

function encode(v: unknown): unknown {
  if (v instanceof Float64Array) return { $f64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Int32Array) return { $i32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = encode(x);
    return o;
  }
  return v;
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$f64 === 'string') {
      const b = Buffer.from(o.$f64, 'base64');
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    if (typeof o.$i32 === 'string') {
      const b = Buffer.from(o.$i32, 'base64');
      return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    if (typeof o.$num === 'string') return Number(o.$num);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decode(x);
    return out;
  }
  return v;
}

/** The saved document of a fitted Transformer/Model (JSON-serialisable). */
export function saveStage(stage: Transformer): SavedStage {
  if (!registry.has(stage.kind)) {
    throw mlError(MlErrors.INVALID_PARAM, `stage kind '${stage.kind}' is not registered for saving`);
  }
  return {
    format: STAGE_FORMAT,
    formatVersion: STAGE_FORMAT_VERSION,
    kind: stage.kind,
    uid: stage.uid,
    params: encode(stage.params) as Record<string, unknown>,
    data: encode(stage.saveData()) as Record<string, unknown>,
  };
}

/** Rebuild a Transformer/Model from a saved document (object or JSON text). */
export function loadStage(doc: SavedStage | string): Transformer {
  let d: unknown;
  try {
    d = typeof doc === 'string' ? JSON.parse(doc) : doc;
  } catch (e) {
    throw new LakeboxError(MlErrors.INVALID_MODEL_FILE, `not a saved ML stage: ${(e as Error).message}`);
  }
  const o = d as Partial<SavedStage> | null;
  if (!o || typeof o !== 'object' || o.format !== STAGE_FORMAT) {
    throw mlError(MlErrors.INVALID_MODEL_FILE, `not a saved ML stage (format must be '${STAGE_FORMAT}')`);
  }
  if (typeof o.formatVersion !== 'number' || o.formatVersion > STAGE_FORMAT_VERSION) {
    throw mlError(
      MlErrors.INVALID_MODEL_FILE,
      `saved stage has format version ${String(o.formatVersion)}; this library reads up to ${STAGE_FORMAT_VERSION}`,
    );
  }
  const loader = registry.get(String(o.kind));
  if (!loader) throw mlError(MlErrors.INVALID_MODEL_FILE, `unknown stage kind '${String(o.kind)}'`);
  return loader({
    uid: String(o.uid),
    params: decode(o.params ?? {}) as Record<string, unknown>,
    data: decode(o.data ?? {}) as SavedData,
  });
}

export function stageToJSON(stage: Transformer): string {
  return JSON.stringify(saveStage(stage));
}

export async function saveStageToFile(stage: Transformer, path: string): Promise<void> {
  await writeFile(path, stageToJSON(stage));
}

export async function loadStageFromFile(path: string): Promise<Transformer> {
  return loadStage(await readFile(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Estimator specs (kind + params), to rebuild estimators in worker threads

export interface EstimatorSpec {
  kind: string;
  params: Record<string, unknown>;
}

type EstimatorCtor = new (params: Record<string, unknown>) => Estimator;
const estimatorRegistry = new Map<string, EstimatorCtor>();

/** Register an Estimator class so that it can be rebuilt from {kind, params} (parallel tuning). */
export function registerEstimator(kind: string, ctor: unknown): void {
  estimatorRegistry.set(kind, ctor as EstimatorCtor);
}

/** A structured-clone-friendly description of an estimator (Pipeline stages included). */
export function estimatorToSpec(e: Estimator): EstimatorSpec {
  if (!estimatorRegistry.has(e.kind)) {
    throw mlError(MlErrors.INVALID_PARAM, `estimator kind '${e.kind}' is not registered for parallel use`);
  }
  if (e instanceof Pipeline) {
    const stages = e.params.stages.map((s) =>
      isEstimator(s) ? { estimator: estimatorToSpec(s) } : { transformer: saveStage(s as Transformer) },
    );
    return { kind: e.kind, params: { stages } };
  }
  return { kind: e.kind, params: { ...(e.params as Record<string, unknown>) } };
}

export function estimatorFromSpec(spec: EstimatorSpec): Estimator {
  const C = estimatorRegistry.get(spec.kind);
  if (!C) throw mlError(MlErrors.INVALID_PARAM, `unknown estimator kind '${spec.kind}'`);
  if (spec.kind === 'Pipeline') {
    const stages = (spec.params.stages as { estimator?: EstimatorSpec; transformer?: SavedStage }[]).map((s) =>
      s.estimator ? estimatorFromSpec(s.estimator) : loadStage(s.transformer!),
    );
    return new Pipeline({ stages });
  }
  return new C(spec.params);
}

registerEstimator('Pipeline', Pipeline);

// ---------------------------------------------------------------------------------------------
// Input checks shared by estimators

/** Throw ML_EMPTY_DATA when the frame has no rows. */
export function requireRows(frame: Frame, stage: string): void {
  if (frame.numRows === 0) throw mlError(MlErrors.EMPTY_DATA, `${stage}: the training data has no rows`);
}

/** Throw ML_INVALID_DATA naming the first row/feature holding NaN or an infinite value. */
export function requireFinite(x: Float64Array, d: number, stage: string, what: string = 'features'): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const row = Math.floor(i / d);
      throw mlError(
        MlErrors.INVALID_DATA,
        `${stage}: ${what} contain ${Number.isNaN(x[i]) ? 'NaN (missing)' : 'an infinite value'} at row ${row}${d > 1 ? `, feature ${i % d}` : ''}; impute or filter first`,
        { row },
      );
    }
  }
}

/**
 * Class labels must be integers 0..K-1 (as produced by StringIndexer). Returns K.
 * Throws ML_INVALID_DATA for other values and ML_SINGLE_CLASS when only one class is present.
 */
export function classLabels(y: Float64Array, stage: string, minClasses: number = 2): number {
  let max = -1;
  const seen = new Set<number>();
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0) {
      throw mlError(
        MlErrors.INVALID_DATA,
        `${stage}: label at row ${i} is ${v}; labels must be integers 0, 1, ..., K-1 (use StringIndexer)`,
      );
    }
    if (v > max) max = v;
    seen.add(v);
  }
  if (seen.size < minClasses) {
    throw mlError(
      MlErrors.SINGLE_CLASS,
      `${stage}: the label column has ${seen.size} distinct class(es); at least ${minClasses} are needed`,
    );
  }
  return max + 1;
}
