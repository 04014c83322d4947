import { LakeboxError } from '@lakebox/common';

// Request field readers: MLflow's error codes and messages for missing or mistyped fields.

export type Args = Record<string, unknown>;

export const invalidParam = (message: string): LakeboxError =>
  new LakeboxError('INVALID_PARAMETER_VALUE', message, { httpStatus: 400 });
export const notFound = (message: string): LakeboxError =>
  new LakeboxError('RESOURCE_DOES_NOT_EXIST', message, { httpStatus: 404 });
export const alreadyExists = (message: string): LakeboxError =>
  new LakeboxError('RESOURCE_ALREADY_EXISTS', message, { httpStatus: 400 });

/** The request body's text, kept beside the parsed fields (for numbers as the client wrote them). */
export const RAW_BODY = Symbol('lakebox.mlflow.rawBody');

/** A number field as written in the request (`9.0` stays `9.0`, as MLflow's messages show it). */
function numberText(a: Args, field: string, v: number): string {
  const raw = (a as { [RAW_BODY]?: string })[RAW_BODY];
  if (raw) {
    const esc = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = new RegExp(`"${esc}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`).exec(raw);
    if (m && Number(m[1]) === v) return m[1]!;
  }
  return String(v);
}

/** Fields MLflow refuses as JSON numbers (ids and names are strings in its protocol). */
const STRING_ONLY = new Set(['run_id', 'run_uuid', 'key', 'name', 'artifact_location', 'metric_key']);
function checkNotNumber(a: Args, v: unknown, field: string, strict = STRING_ONLY.has(field)): void {
  if (typeof v === 'number' && strict)
    throw invalidParam(`Invalid value ${numberText(a, field, v)} for parameter '${field}' supplied: expected a string`);
}

/** A string field that must not arrive as a number (e.g. a run tag's value). */
export function optStrict(a: Args, field: string): string | undefined {
  checkNotNumber(a, a[field], field, true);
  return optStr(a, field);
}

export function reqStr(a: Args, field: string): string {
  const v = a[field];
  if (v === undefined || v === null || v === '')
    throw invalidParam(
      `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`,
    );
  checkNotNumber(a, v, field);
  if (typeof v !== 'string' && typeof v !== 'number')
    throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected a string`);
  return String(v);
}

export function optStr(a: Args, field: string): string | undefined {
  const v = a[field];
  if (v === undefined || v === null) return undefined;
  checkNotNumber(a, v, field);
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
    throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected a string`);
  return String(v);
}

/** int64 fields arrive as JSON numbers or (protobuf JSON) decimal strings. */
export function optInt(a: Args, field: string): number | undefined {
  const v = a[field];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n))
    throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected an integer`);
  return n;
}

export function reqInt(a: Args, field: string): number {
  const n = optInt(a, field);
  if (n === undefined)
    throw invalidParam(
      `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`,
    );
  return n;
}

/** double fields: numbers, or "NaN" / "Infinity" / "-Infinity" as protobuf JSON writes them. */
export function reqDouble(a: Args, field: string): number {
  const v = a[field];
  if (v === undefined || v === null)
    throw invalidParam(
      `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`,
    );
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'NaN') return NaN;
    if (t === 'Infinity' || t === 'inf') return Infinity;
    if (t === '-Infinity' || t === '-inf') return -Infinity;
    if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  }
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected a number`);
}

export function optBool(a: Args, field: string): boolean | undefined {
  const v = a[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected a boolean`);
}

export function optArray(a: Args, field: string): unknown[] {
  const v = a[field];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && !(RAW_BODY in a)) return [v]; // a single repeated query parameter
  throw invalidParam(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: expected a list`);
}

export function strArray(a: Args, field: string): string[] {
  return optArray(a, field).map((x) => {
    if (typeof x !== 'string' && typeof x !== 'number')
      throw invalidParam(`Invalid value ${JSON.stringify(x)} in '${field}': expected strings`);
    return String(x);
  });
}

export function objArray(a: Args, field: string): Args[] {
  return optArray(a, field).map((x) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x))
      throw invalidParam(`Invalid value ${JSON.stringify(x)} in '${field}': expected objects`);
    return x as Args;
  });
}

export const MAX_KEY = 250;
export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_VALUE = 8000;
export const MAX_EXPERIMENT_TAG_VALUE = 5000;

export function checkKey(key: string, what: string): void {
  if (key.length > MAX_KEY)
    throw invalidParam(
      `${what} '${key.slice(0, 40)}...' had length ${key.length}, which exceeded length limit of ${MAX_KEY}`,
    );
  if (!/^[\w\-./ :]+$/u.test(key) || key.split('/').includes('..') || key.startsWith('/'))
    throw invalidParam(
      `Invalid ${what.toLowerCase()} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
}

export function checkValue(value: string, limit: number, what: string, key: string): void {
  if (value.length > limit)
    throw invalidParam(`'${what}' value '${key}' had length ${value.length}, which exceeded length limit of ${limit}`);
}

export function keyValues(a: Args, field: string): Array<{ key: string; value: string }> {
  return objArray(a, field).map((t) => ({ key: reqStr(t, 'key'), value: optStr(t, 'value') ?? '' }));
}
