import { LakeboxError } from '@lakebox/common';

/**
 * Column-major data for @lakebox/ml.
 *
 * - `numeric`: Float64Array, NaN marks a missing value.
 * - `categorical`: Int32Array codes into `levels`; code -1 marks a missing value.
 * - `string`: plain strings, null marks a missing value (input to StringIndexer, FeatureHasher).
 * - `vector`: a fixed-width vector per row stored row-major (`values[i * dim + j]`), the output of
 *   VectorAssembler and the usual `featuresCol` of an estimator (as in Spark MLlib).
 */
export type Column = NumericColumn | CategoricalColumn | StringColumn | VectorColumn;

export interface NumericColumn {
  readonly kind: 'numeric';
  readonly values: Float64Array;
}
export interface CategoricalColumn {
  readonly kind: 'categorical';
  readonly codes: Int32Array;
  readonly levels: readonly string[];
}
export interface StringColumn {
  readonly kind: 'string';
  readonly values: readonly (string | null)[];
}
export interface VectorColumn {
  readonly kind: 'vector';
  readonly dim: number;
  readonly values: Float64Array;
}

export type ColumnKind = Column['kind'];

export function numericColumn(values: Float64Array | ArrayLike<number>): NumericColumn {
  return { kind: 'numeric', values: values instanceof Float64Array ? values : Float64Array.from(values) };
}
export function categoricalColumn(codes: Int32Array | ArrayLike<number>, levels: readonly string[]): CategoricalColumn {
  return { kind: 'categorical', codes: codes instanceof Int32Array ? codes : Int32Array.from(codes), levels };
}
export function stringColumn(values: readonly (string | null)[]): StringColumn {
  return { kind: 'string', values };
}
export function vectorColumn(values: Float64Array, dim: number): VectorColumn {
  if (dim <= 0 || values.length % dim !== 0) {
    throw new LakeboxError(
      'ML_INVALID_DATA',
      `vector column of ${values.length} values is not a multiple of dim ${dim}`,
    );
  }
  return { kind: 'vector', dim, values };
}

export function columnLength(c: Column): number {
  switch (c.kind) {
    case 'numeric':
      return c.values.length;
    case 'categorical':
      return c.codes.length;
    case 'string':
      return c.values.length;
    case 'vector':
      return c.values.length / c.dim;
  }
}

/** Rows of `c` at `idx`, in that order. */
export function takeColumn(c: Column, idx: ArrayLike<number>): Column {
  const n = idx.length;
  switch (c.kind) {
    case 'numeric': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = c.values[idx[i]];
      return { kind: 'numeric', values: out };
    }
    case 'categorical': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = c.codes[idx[i]];
      return { kind: 'categorical', codes: out, levels: c.levels };
    }
    case 'string': {
      const out: (string | null)[] = new Array<string | null>(n);
      for (let i = 0; i < n; i++) out[i] = c.values[idx[i]];
      return { kind: 'string', values: out };
    }
    case 'vector': {
      const d = c.dim;
      const out = new Float64Array(n * d);
      for (let i = 0; i < n; i++) out.set(c.values.subarray(idx[i] * d, idx[i] * d + d), i * d);
      return { kind: 'vector', dim: d, values: out };
    }
  }
}

export type RowValue = number | string | boolean | null | undefined | bigint | readonly number[] | Float64Array;

export interface FromRowsOptions {
  /** Force a kind per column; otherwise inferred (numbers/booleans/null: numeric, strings: string). */
  kinds?: Record<string, 'numeric' | 'categorical' | 'string'>;
}

/**
 * An immutable, column-major table. All operations return new frames that share untouched columns.
 */
export class Frame {
  readonly numRows: number;
  private readonly cols: ReadonlyMap<string, Column>;

  constructor(columns: ReadonlyMap<string, Column> | Record<string, Column>, numRows?: number) {
    const map = columns instanceof Map ? new Map(columns) : new Map(Object.entries(columns as Record<string, Column>));
    let n = numRows;
    for (const [name, c] of map) {
      const len = columnLength(c);
      if (n === undefined) n = len;
      else if (len !== n) {
        throw new LakeboxError('ML_INVALID_DATA', `column '${name}' has ${len} rows, expected ${n}`);
      }
    }
    this.cols = map;
    this.numRows = n ?? 0;
  }

  /** Build from plain columns: Float64Array / number[] become numeric, string[] become string columns. */
  static fromColumns(
    columns: Record<string, Column | Float64Array | readonly number[] | readonly (string | null)[]>,
  ): Frame {
    const map = new Map<string, Column>();
    for (const [name, v] of Object.entries(columns)) {
      if (v instanceof Float64Array) map.set(name, numericColumn(v));
      else if (Array.isArray(v)) {
        const arr = v as readonly unknown[];
        if (arr.some((x) => typeof x === 'string')) map.set(name, stringColumn(arr as (string | null)[]));
        else
          map.set(
            name,
            numericColumn(Float64Array.from(arr, (x) => (x === null || x === undefined ? NaN : Number(x)))),
          );
      } else map.set(name, v as Column);
    }
    return new Frame(map);
  }

  /** Build from row objects. Column order follows first appearance; absent keys are missing values. */
  static fromRows(rows: readonly Record<string, RowValue>[], opts: FromRowsOptions = {}): Frame {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      for (const k of Object.keys(r)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    const n = rows.length;
    const map = new Map<string, Column>();
    for (const name of names) {
      let kind = opts.kinds?.[name];
      let isVector = false;
      if (kind === undefined) {
        kind = 'numeric';
        for (const r of rows) {
          const v = r[name];
          if (typeof v === 'string') {
            kind = 'string';
            break;
          }
          if (Array.isArray(v) || v instanceof Float64Array) {
            isVector = true;
            break;
          }
        }
      }
      if (isVector) {
        let dim = -1;
        for (const r of rows) {
          const v = r[name] as readonly number[] | Float64Array | null | undefined;
          if (v === null || v === undefined) continue;
          if (dim === -1) dim = v.length;
          else if (v.length !== dim) {
            throw new LakeboxError(
              'ML_INVALID_DATA',
              `vector column '${name}' has rows of lengths ${dim} and ${v.length}`,
            );
          }
        }
        if (dim <= 0) throw new LakeboxError('ML_INVALID_DATA', `vector column '${name}' has no non-empty values`);
        const out = new Float64Array(n * dim).fill(NaN);
        rows.forEach((r, i) => {
          const v = r[name] as readonly number[] | Float64Array | null | undefined;
          if (v) for (let j = 0; j < dim; j++) out[i * dim + j] = Number(v[j]);
        });
        map.set(name, { kind: 'vector', dim, values: out });
      } else if (kind === 'numeric') {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = toNumber(rows[i][name], name);
        map.set(name, { kind: 'numeric', values: out });
      } else {
        const vals = rows.map((r) => {
          const v = r[name];
          return v === null || v === undefined ? null : String(v);
        });
        map.set(name, kind === 'string' ? stringColumn(vals) : categoricalFromStrings(vals));
      }
    }
    return new Frame(map, n);
  }

  get columnNames(): string[] {
    return [...this.cols.keys()];
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  column(name: string): Column {
    const c = this.cols.get(name);
    if (!c) {
      throw new LakeboxError(
        'UNRESOLVED_COLUMN',
        `column '${name}' does not exist; available: ${this.columnNames.join(', ')}`,
        {
          sqlState: '42703',
        },
      );
    }
    return c;
  }

  /** The Float64Array of a numeric column (categorical codes are converted, -1 to NaN). */
  numeric(name: string): Float64Array {
    const c = this.column(name);
    if (c.kind === 'numeric') return c.values;
    if (c.kind === 'categorical') return Float64Array.from(c.codes, (x) => (x < 0 ? NaN : x));
    throw new LakeboxError('ML_INVALID_COLUMN_TYPE', `column '${name}' is ${c.kind}, a numeric column is required`);
  }

  /** A vector column, or a single numeric column seen as a 1-wide vector. */
  vector(name: string): VectorColumn {
    const c = this.column(name);
    if (c.kind === 'vector') return c;
    if (c.kind === 'numeric') return { kind: 'vector', dim: 1, values: c.values };
    throw new LakeboxError('ML_INVALID_COLUMN_TYPE', `column '${name}' is ${c.kind}, a vector column is required`);
  }

  withColumn(name: string, c: Column): Frame {
    if (columnLength(c) !== this.numRows && this.cols.size > 0) {
      throw new LakeboxError(
        'ML_INVALID_DATA',
        `column '${name}' has ${columnLength(c)} rows, frame has ${this.numRows}`,
      );
    }
    const map = new Map(this.cols);
    map.set(name, c);
    return new Frame(map, this.cols.size > 0 ? this.numRows : columnLength(c));
  }

  select(names: readonly string[]): Frame {
    const map = new Map<string, Column>();
    for (const n of names) map.set(n, this.column(n));
    return new Frame(map, this.numRows);
  }

  drop(names: readonly string[]): Frame {
    const map = new Map(this.cols);
    for (const n of names) map.delete(n);
    return new Frame(map, this.numRows);
  }

  /** Rows at the given indices, in that order. */
  take(idx: ArrayLike<number>): Frame {
    const map = new Map<string, Column>();
    for (const [n, c] of this.cols) map.set(n, takeColumn(c, idx));
    return new Frame(map, idx.length);
  }

  /** Rows where `mask[i]` is truthy. */
  filter(mask: ArrayLike<number | boolean>): Frame {
    const idx: number[] = [];
    for (let i = 0; i < this.numRows; i++) if (mask[i]) idx.push(i);
    return this.take(idx);
  }

  slice(start: number, end: number = this.numRows): Frame {
    const s = Math.max(0, start);
    const e = Math.min(this.numRows, end);
    const idx = new Int32Array(Math.max(0, e - s));
    for (let i = 0; i < idx.length; i++) idx[i] = s + i;
    return this.take(idx);
  }

  /** Row objects (numeric NaN and categorical -1 become null; vectors become number[]). */
  toRows(): Record<string, number | string | null | number[]>[] {
    const out: Record<string, number | string | null | number[]>[] = [];
    for (let i = 0; i < this.numRows; i++) {
      const row: Record<string, number | string | null | number[]> = {};
      for (const [n, c] of this.cols) {
        switch (c.kind) {
          case 'numeric':
            row[n] = Number.isNaN(c.values[i]) ? null : c.values[i];
            break;
          case 'categorical':
            row[n] = c.codes[i] < 0 ? null : (c.levels[c.codes[i]] ?? null);
            break;
          case 'string':
            row[n] = c.values[i];
            break;
          case 'vector':
            row[n] = Array.from(c.values.subarray(i * c.dim, (i + 1) * c.dim));
            break;
        }
      }
      out.push(row);
    }
    return out;
  }
}

function toNumber(v: RowValue, name: string): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const x = Number(v);
    if (v.trim() === '' || Number.isNaN(x)) {
      throw new LakeboxError('ML_INVALID_DATA', `column '${name}' is numeric but has the value '${v}'`);
    }
    return x;
  }
  throw new LakeboxError('ML_INVALID_DATA', `column '${name}' is numeric but has a non-scalar value`);
}

/** Encode strings as a categorical column; levels in order of first appearance. */
export function categoricalFromStrings(values: readonly (string | null)[]): CategoricalColumn {
  const levels: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = levels.length;
      levels.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { kind: 'categorical', codes, levels };
}

/**
 * Dense feature matrix from a vector column or from a list of numeric / categorical columns.
 * `rowMajor` is n x d (`x[i * d + j]`).
 */
export function featureMatrix(
  frame: Frame,
  cols: string | readonly string[],
): { x: Float64Array; n: number; d: number } {
  const n = frame.numRows;
  if (typeof cols === 'string') {
    const v = frame.vector(cols);
    return { x: v.values, n, d: v.dim };
  }
  const d = cols.length;
  const x = new Float64Array(n * d);
  cols.forEach((c, j) => {
    const v = frame.numeric(c);
    for (let i = 0; i < n; i++) x[i * d + j] = v[i];
  });
  return { x, n, d };
}

/** A structured-clone-friendly form of a frame (typed arrays as they are: SharedArrayBuffers stay shared). */
export interface FrameData {
  numRows: number;
  columns: [string, Column][];
}

export function frameToData(frame: Frame): FrameData {
  return { numRows: frame.numRows, columns: frame.columnNames.map((n) => [n, frame.column(n)]) };
}

export function frameFromData(data: FrameData): Frame {
  return new Frame(new Map(data.columns), data.numRows);
}

function sharedCopy<T extends Float64Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** The same frame with numeric, categorical and vector data in SharedArrayBuffers (for worker threads). */
export function shareFrame(frame: Frame): Frame {
  const cols = new Map<string, Column>();
  for (const n of frame.columnNames) {
    const c = frame.column(n);
    if (c.kind === 'numeric') cols.set(n, { kind: 'numeric', values: sharedCopy(c.values) });
    else if (c.kind === 'vector') cols.set(n, { kind: 'vector', dim: c.dim, values: sharedCopy(c.values) });
    else if (c.kind === 'categorical')
      cols.set(n, { kind: 'categorical', codes: sharedCopy(c.codes), levels: c.levels });
    else cols.set(n, c);
  }
  return new Frame(cols, frame.numRows);
}
