/**
 * Scan predicates and file pruning: partition pruning (exact, on partition values) and data
 * skipping on per-file statistics (min/max/nullCount). Pruning is conservative: a file is dropped
 * only when no row in it can satisfy the predicate.
 */
import { LakeboxError } from '@lakebox/common';
import type { Add } from './actions.js';
import { physicalName, physicalPath } from './column-mapping.js';
import { sqlIdent, sqlString } from './duckdb.js';
import { parseTimestampValue } from './partition-values.js';
import type { DataType, StructField } from './schema.js';
import type { Snapshot } from './snapshot.js';

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type Predicate =
  | { op: 'and' | 'or'; args: Predicate[] }
  | { op: 'not'; arg: Predicate }
  | { op: ComparisonOp; column: string; value: unknown }
  | { op: 'in'; column: string; values: unknown[] }
  | { op: 'isNull' | 'isNotNull'; column: string };

/** A comparable form of a value of Delta type `t`, or undefined when it cannot be compared safely. */
type Cmp = number | bigint | string;

function typeName(t: DataType): string {
  return typeof t === 'string' ? t : t.type;
}

function toComparable(v: unknown, t: DataType, timeZone?: string): Cmp | undefined {
  if (v === null || v === undefined) return undefined;
  const tn = typeName(t);
  try {
    switch (tn) {
      case 'byte':
      case 'short':
      case 'integer':
      case 'long': {
        if (typeof v === 'bigint') return v;
        if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
        if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim());
        return undefined;
      }
      case 'float':
      case 'double': {
        const n =
          typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : NaN;
        return Number.isNaN(n) ? undefined : n;
      }
      case 'string':
        return typeof v === 'string' ? v : undefined;
      case 'boolean':
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        return typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() : undefined;
      case 'date': {
        if (v instanceof Date) return v.toISOString().slice(0, 10);
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
      }
      case 'timestamp':
      case 'timestamp_ntz': {
        if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
        if (typeof v === 'string') return parseTimestampValue(v, tn === 'timestamp' ? timeZone : undefined);
        return undefined;
      }
      default:
        if (/^decimal/.test(tn)) {
          const n = typeof v === 'number' ? v : typeof v === 'string' || typeof v === 'bigint' ? Number(v) : NaN;
          return Number.isNaN(n) ? undefined : n;
        }
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function cmp(a: Cmp, b: Cmp): number {
  if (typeof a === 'string' || typeof b === 'string') {
    // UTF-8 byte order (= code point order), as Parquet statistics use; JS '<' compares UTF-16 units.
    return Math.sign(Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8')));
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

interface Stats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
  tightBounds?: boolean;
}

function dig(o: Record<string, unknown> | undefined, path: string[]): unknown {
  let cur: unknown = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Column facts for one file: exact (partition) value, or bounds from statistics. */
type Facts =
  | { kind: 'exact'; value: Cmp | null }
  | { kind: 'range'; min?: Cmp; max?: Cmp; nullCount?: number; numRecords?: number }
  | { kind: 'unknown' };

const NEGATE: Record<ComparisonOp, ComparisonOp> = { '=': '!=', '!=': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' };

/** Push NOT down to the leaves (SQL three-valued logic keeps NOT(a op b) == a (negated op) b). */
function pushNot(p: Predicate, negate: boolean): Predicate | undefined {
  switch (p.op) {
    case 'and':
    case 'or': {
      const args = p.args.map((a) => pushNot(a, negate));
      const op = negate ? (p.op === 'and' ? 'or' : 'and') : p.op;
      if (args.some((a) => a === undefined)) {
        // Unknown sub-predicates cannot prune; keep the ones we understand only under AND.
        if (op === 'or') return undefined;
        return { op, args: args.filter((a): a is Predicate => a !== undefined) };
      }
      return { op, args: args as Predicate[] };
    }
    case 'not':
      return pushNot(p.arg, !negate);
    case 'isNull':
      return negate ? { op: 'isNotNull', column: p.column } : p;
    case 'isNotNull':
      return negate ? { op: 'isNull', column: p.column } : p;
    case 'in':
      return negate ? undefined : p;
    default:
      return negate ? { op: NEGATE[p.op], column: p.column, value: p.value } : p;
  }
}

/**
 * A column reference as a path: a top-level column whose name contains dots is taken whole;
 * otherwise dots separate nested struct fields (`a.b`).
 */
export function columnPath(column: string, fields?: StructField[]): string[] {
  if (!column.includes('.')) return [column];
  if (fields?.some((f) => f.name === column || f.name.toLowerCase() === column.toLowerCase())) return [column];
  return column.split('.');
}

/** Check a predicate's shape and columns against the snapshot's schema. */
export function validatePredicate(p: Predicate, fields: StructField[]): void {
  const check = (q: Predicate): void => {
    if (q === null || typeof q !== 'object')
      throw new LakeboxError('INVALID_PREDICATE', 'a predicate must be an object');
    switch (q.op) {
      case 'and':
      case 'or':
        if (!Array.isArray(q.args)) throw new LakeboxError('INVALID_PREDICATE', `'${q.op}' needs an args array`);
        q.args.forEach(check);
        return;
      case 'not':
        check(q.arg);
        return;
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case 'in':
      case 'isNull':
      case 'isNotNull':
        if (!physicalPath(fields, columnPath(q.column, fields), 'none')) {
          throw new LakeboxError(
            'UNRESOLVED_COLUMN',
            `column '${q.column}' does not exist; columns: ${fields.map((f) => f.name).join(', ')}`,
            {
              details: { column: q.column },
            },
          );
        }
        if (q.op === 'in' && !Array.isArray(q.values))
          throw new LakeboxError('INVALID_PREDICATE', `'in' needs a values array`);
        return;
      default:
        throw new LakeboxError(
          'INVALID_PREDICATE',
          `unknown predicate operator '${String((q as { op: unknown }).op)}'`,
        );
    }
  };
  check(p);
}

/** May any row of the file satisfy the (NOT-free) predicate? */
interface Ctx {
  facts(column: string): Facts;
  conv(column: string, v: unknown): Cmp | undefined;
}

function mayMatch(p: Predicate, ctx: Ctx): boolean {
  const facts = (c: string): Facts => ctx.facts(c);
  switch (p.op) {
    case 'and':
      return p.args.every((a) => mayMatch(a, ctx));
    case 'or':
      return p.args.some((a) => mayMatch(a, ctx));
    case 'not':
      return true;
    case 'isNull': {
      const f = facts(p.column);
      if (f.kind === 'exact') return f.value === null;
      if (f.kind === 'range') return f.nullCount === undefined || f.nullCount > 0;
      return true;
    }
    case 'isNotNull': {
      const f = facts(p.column);
      if (f.kind === 'exact') return f.value !== null;
      if (f.kind === 'range')
        return f.nullCount === undefined || f.numRecords === undefined || f.nullCount < f.numRecords;
      return true;
    }
    case 'in':
      return p.values.some((v) => mayMatch({ op: '=', column: p.column, value: v }, ctx));
    default: {
      const f = facts(p.column);
      if (f.kind === 'unknown') return true;
      if (p.value === null || p.value === undefined) return false; // comparison with NULL is never true
      if (f.kind === 'exact') {
        if (f.value === null) return false;
        const v = ctx.conv(p.column, p.value);
        if (v === undefined) return true;
        const c = cmp(f.value, v);
        switch (p.op) {
          case '=':
            return c === 0;
          case '!=':
            return c !== 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          case '>=':
            return c >= 0;
        }
      }
      // range
      if (f.nullCount !== undefined && f.numRecords !== undefined && f.nullCount >= f.numRecords && f.numRecords > 0)
        return false; // all null
      const v = ctx.conv(p.column, p.value);
      if (v === undefined) return true;
      const { min, max } = f;
      switch (p.op) {
        case '=':
          return !((min !== undefined && cmp(v, min) < 0) || (max !== undefined && cmp(v, max) > 0));
        case '!=':
          return !(
            min !== undefined &&
            max !== undefined &&
            cmp(min, v) === 0 &&
            cmp(max, v) === 0 &&
            f.nullCount === 0
          );
        case '<':
          return min === undefined || cmp(min, v) < 0;
        case '<=':
          return min === undefined || cmp(min, v) <= 0;
        case '>':
          return max === undefined || cmp(max, v) > 0;
        case '>=':
          return max === undefined || cmp(max, v) >= 0;
      }
    }
  }
  return true;
}

const STRING_STATS_PREFIX = 32;

/**
 * The files of the snapshot that may contain rows matching `predicate` (all files when absent).
 * `timeZone` reads zone-less timestamp partition values (default UTC), as `scanSql` does.
 */
export function pruneFiles(snapshot: Snapshot, predicate?: Predicate, opts: { timeZone?: string } = {}): Add[] {
  const files = snapshot.activeFiles();
  if (!predicate) return files;
  validatePredicate(predicate, snapshot.schema.fields);
  const p = pushNot(predicate, false);
  if (!p) return files;
  const mode = snapshot.columnMappingMode;
  const fields = snapshot.schema.fields;
  const partCols = new Set(snapshot.partitionColumns);
  const colInfo = new Map<string, { type: DataType; partitionKey?: string; statsPath?: string[] } | undefined>();
  const info = (column: string): { type: DataType; partitionKey?: string; statsPath?: string[] } | undefined => {
    if (colInfo.has(column)) return colInfo.get(column);
    const logical = columnPath(column, fields);
    const resolved = physicalPath(fields, logical, mode);
    let r: { type: DataType; partitionKey?: string; statsPath?: string[] } | undefined;
    if (resolved) {
      const top =
        fields.find((f) => f.name === logical[0]) ??
        fields.find((f) => f.name.toLowerCase() === logical[0]!.toLowerCase());
      if (logical.length === 1 && top && partCols.has(top.name))
        r = { type: resolved.type, partitionKey: physicalName(top, mode) };
      else r = { type: resolved.type, statsPath: resolved.path };
    }
    colInfo.set(column, r);
    return r;
  };
  return files.filter((file) => {
    let stats: Stats | undefined;
    let statsParsed = false;
    const getStats = (): Stats | undefined => {
      if (!statsParsed) {
        statsParsed = true;
        try {
          stats = file.stats ? (JSON.parse(file.stats) as Stats) : undefined;
        } catch {
          stats = undefined;
        }
      }
      return stats;
    };
    const facts = (column: string): Facts => {
      const ci = info(column);
      if (!ci) return { kind: 'unknown' };
      if (ci.partitionKey !== undefined) {
        const pv = file.partitionValues ?? {};
        const logicalName = column;
        const raw = ci.partitionKey in pv ? pv[ci.partitionKey] : pv[logicalName];
        if (raw === null || raw === undefined || raw === '') return { kind: 'exact', value: null };
        // Partition timestamps without a zone are read in opts.timeZone (as the scan does).
        const c = toComparable(raw, ci.type, opts.timeZone);
        return c === undefined ? { kind: 'unknown' } : { kind: 'exact', value: c };
      }
      const s = getStats();
      if (!s || !ci.statsPath) return { kind: 'unknown' };
      const tn = typeName(ci.type);
      const nc = dig(s.nullCount, ci.statsPath);
      const out: Facts = { kind: 'range' };
      if (typeof nc === 'number') out.nullCount = nc;
      if (typeof s.numRecords === 'number') out.numRecords = s.numRecords;
      if (s.numRecords === undefined) delete out.nullCount; // nullCount alone cannot prove anything
      const min = toComparable(dig(s.minValues, ci.statsPath), ci.type);
      let max = toComparable(dig(s.maxValues, ci.statsPath), ci.type);
      // Timestamps in stats are truncated to milliseconds: the true max may be up to 999us larger.
      if (max !== undefined && (tn === 'timestamp' || tn === 'timestamp_ntz') && typeof max === 'bigint') max += 999n;
      // Strings may be truncated to a prefix: a long max is not an upper bound.
      if (max !== undefined && tn === 'string' && typeof max === 'string' && [...max].length >= STRING_STATS_PREFIX)
        max = undefined;
      if (min !== undefined) out.min = min;
      if (max !== undefined) out.max = max;
      return out;
    };
    const conv = (c: string, v: unknown): Cmp | undefined => {
      const ci = info(c);
      return ci ? toComparable(v, ci.type) : undefined;
    };
    return mayMatch(p, { facts, conv });
  });
}

/** A SQL literal for a predicate value. */
export function valueSql(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return "'NaN'::DOUBLE";
    if (!Number.isFinite(v)) return v > 0 ? "'Infinity'::DOUBLE" : "'-Infinity'::DOUBLE";
    return String(v);
  }
  if (typeof v === 'bigint') return `${v}::HUGEINT`;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return `CAST(${sqlString(v.toISOString())} AS TIMESTAMPTZ)`;
  if (v instanceof Uint8Array) return `from_hex(${sqlString(Buffer.from(v).toString('hex'))})`;
  return sqlString(String(v));
}

/**
 * The predicate as a DuckDB boolean expression over logical column names. With the table's
 * `fields`, a top-level column whose name contains dots is quoted whole.
 */
export function predicateSql(p: Predicate, fields?: StructField[]): string {
  const col = (c: string): string =>
    columnPath(c, fields)
      .map((x) => sqlIdent(x))
      .join('.');
  const sub = (q: Predicate): string => predicateSql(q, fields);
  switch (p.op) {
    case 'and':
      return p.args.length === 0 ? 'TRUE' : `(${p.args.map(sub).join(' AND ')})`;
    case 'or':
      return p.args.length === 0 ? 'FALSE' : `(${p.args.map(sub).join(' OR ')})`;
    case 'not':
      return `(NOT ${sub(p.arg)})`;
    case 'isNull':
      return `(${col(p.column)} IS NULL)`;
    case 'isNotNull':
      return `(${col(p.column)} IS NOT NULL)`;
    case 'in':
      return p.values.length === 0 ? 'FALSE' : `(${col(p.column)} IN (${p.values.map(valueSql).join(', ')}))`;
    default:
      return `(${col(p.column)} ${p.op === '!=' ? '<>' : p.op} ${valueSql(p.value)})`;
  }
}
