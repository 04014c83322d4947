/**
 * Per-file statistics (`add.stats`, PROTOCOL.md "Per-file Statistics") built from the column
 * statistics DuckDB returns when it writes a Parquet file (`COPY ... (RETURN_STATS)`), following
 * what Spark's Delta writer records:
 * - min/max for numeric, date, timestamp(_ntz) and string leaf columns; nullCount for every
 *   primitive leaf; nested structs mirrored; nothing for arrays and maps;
 * - only the first `delta.dataSkippingNumIndexedCols` leaf columns (default 32, -1 = all) of the
 *   data schema, or the columns named in `delta.dataSkippingStatsColumns`;
 * - strings cut to a 32-character prefix, with the max padded by a tie-breaker so that it stays an
 *   upper bound (or omitted when no safe bound exists);
 * - timestamps written as ISO-8601 truncated to milliseconds (UTC `Z` for timestamp, no zone for
 *   timestamp_ntz).
 */
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from './schema.js';

export const DEFAULT_NUM_INDEXED_COLS = 32;
export const STRING_PREFIX_LENGTH = 32;

/** One column's statistics as DuckDB reports them (all VARCHAR). */
export interface RawColumnStats {
  min?: string;
  max?: string;
  null_count?: string;
}

/** Parse DuckDB's quoted column path (`"a"."b"`) into its parts. */
export function parseColumnPath(key: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < key.length) {
    if (key[i] === '.') {
      i++;
      continue;
    }
    if (key[i] === '"') {
      let s = '';
      i++;
      while (i < key.length) {
        if (key[i] === '"') {
          if (key[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += key[i];
        i++;
      }
      parts.push(s);
    } else {
      let j = key.indexOf('.', i);
      if (j < 0) j = key.length;
      parts.push(key.slice(i, j));
      i = j;
    }
  }
  return parts;
}

/** The maximum of a string truncated to `prefix` code points, still an upper bound of the input (UTF-8 order); undefined if none is safe. */
export function truncateMaxString(s: string, prefix = STRING_PREFIX_LENGTH): string | undefined {
  const cps = Array.from(s);
  if (cps.length <= prefix) return s;
  for (let i = prefix; i <= 2 * prefix && i < cps.length; i++) {
    const c = cps[i]!.codePointAt(0)!;
    // Any string that starts with cps[0..i) followed by c... sorts below cps[0..i) + a bigger code point.
    if (c < 0x7f) return cps.slice(0, i).join('') + '\u007f';
    if (c < 0x10ffff) return cps.slice(0, i).join('') + String.fromCodePoint(0x10ffff);
  }
  if (cps.length <= 2 * prefix) return s;
  return undefined;
}

export function truncateMinString(s: string, prefix = STRING_PREFIX_LENGTH): string {
  const cps = Array.from(s);
  return cps.length <= prefix ? s : cps.slice(0, prefix).join('');
}

const TS_RE =
  /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?$/;

/** ISO-8601 with milliseconds (floored), as Spark writes timestamp stats; `utc` adds the Z and applies the offset. */
export function formatTimestampStat(raw: string, utc: boolean): string | undefined {
  const m = TS_RE.exec(raw.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const ms = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (Number(y) < 100) {
    const dt = new Date(t);
    dt.setUTCFullYear(Number(y));
    t = dt.getTime();
  }
  if (sign) {
    const off = (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000;
    t += sign === '+' ? -off : off;
  }
  if (!Number.isFinite(t)) return undefined;
  const iso = new Date(t).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return utc ? iso : iso.slice(0, -1);
}

type StatValue = { raw: string } | { str: string };

/** Convert one DuckDB min/max string into a JSON stat value for a Delta type, or undefined to omit it. */
function statValue(type: DataType, v: string | undefined, isMax: boolean): StatValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return /^-?\d+$/.test(v) ? { raw: v } : undefined;
    case 'float':
    case 'double': {
      const n = Number(v);
      return Number.isFinite(n) ? { raw: String(n) } : undefined;
    }
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) ? { str: v } : undefined;
    case 'timestamp':
    case 'timestamp_ntz': {
      const s = formatTimestampStat(v, type === 'timestamp');
      return s === undefined ? undefined : { str: s };
    }
    case 'string': {
      const s = isMax ? truncateMaxString(v) : truncateMinString(v);
      return s === undefined ? undefined : { str: s };
    }
    default:
      if (typeof type === 'string' && type.startsWith('decimal')) {
        return /^-?\d+(\.\d+)?$/.test(v) ? { raw: v } : undefined;
      }
      return undefined;
  }
}

/** JSON object text built by hand so that 64-bit integers and decimals keep every digit. */
type JsonTree = Map<string, JsonTree | StatValue>;

function renderTree(t: JsonTree): string {
  const parts: string[] = [];
  for (const [k, v] of t) {
    let val: string;
    if (v instanceof Map) val = renderTree(v);
    else if ('raw' in v) val = v.raw;
    else val = JSON.stringify(v.str);
    parts.push(`${JSON.stringify(k)}:${val}`);
  }
  return `{${parts.join(',')}}`;
}

export interface StatsOptions {
  /** `delta.dataSkippingNumIndexedCols` (default 32; -1 means all). */
  numIndexedCols?: number;
  /** `delta.dataSkippingStatsColumns`: comma-separated (possibly dotted) column names; overrides numIndexedCols. */
  statsColumns?: string[];
  /** Write `tightBounds: true` (tables with deletion vectors). */
  tightBounds?: boolean;
}

/** Options from a table's configuration. */
export function statsOptionsFromConfig(conf: Record<string, string>): StatsOptions {
  const n = conf['delta.dataSkippingNumIndexedCols'];
  const cols = conf['delta.dataSkippingStatsColumns'];
  return {
    numIndexedCols: n === undefined ? DEFAULT_NUM_INDEXED_COLS : Number(n),
    statsColumns: cols
      ? cols
          .split(',')
          .map((c) => c.trim().replaceAll('`', ''))
          .filter((c) => c)
      : undefined,
    tightBounds: conf['delta.enableDeletionVectors'] === 'true' ? true : undefined,
  };
}

/**
 * Build the stats JSON for one data file.
 * @param schema the file's data schema (physical names, partition columns excluded), in file order
 * @param numRecords rows in the file
 * @param columnStats DuckDB's column statistics, keyed by quoted path
 */
export function buildStats(
  schema: StructType,
  numRecords: number | bigint,
  columnStats: Record<string, RawColumnStats>,
  opts: StatsOptions = {},
): string {
  const byPath = new Map<string, RawColumnStats>();
  for (const [k, v] of Object.entries(columnStats)) byPath.set(parseColumnPath(k).join('\u0000'), v);
  const limit = opts.numIndexedCols ?? DEFAULT_NUM_INDEXED_COLS;
  const wanted = opts.statsColumns?.map((c) => c.toLowerCase());
  let leaves = 0;

  const mins: JsonTree = new Map();
  const maxs: JsonTree = new Map();
  const nulls: JsonTree = new Map();

  const included = (path: string[]): boolean => {
    if (wanted) {
      const dotted = path.join('.').toLowerCase();
      return wanted.some((w) => dotted === w || dotted.startsWith(`${w}.`));
    }
    return limit < 0 || leaves < limit;
  };

  const walk = (fields: StructField[], path: string[], mn: JsonTree, mx: JsonTree, nc: JsonTree): void => {
    for (const f of fields) {
      const p = [...path, f.name];
      if (isStruct(f.type)) {
        const cmn: JsonTree = new Map();
        const cmx: JsonTree = new Map();
        const cnc: JsonTree = new Map();
        walk(f.type.fields, p, cmn, cmx, cnc);
        if (cmn.size) mn.set(f.name, cmn);
        if (cmx.size) mx.set(f.name, cmx);
        if (cnc.size) nc.set(f.name, cnc);
        continue;
      }
      if (!included(p)) {
        leaves++;
        continue;
      }
      leaves++;
      if (isArray(f.type) || isMap(f.type)) continue;
      const s = byPath.get(p.join('\u0000'));
      if (!s) continue;
      if (s.null_count !== undefined && /^\d+$/.test(s.null_count)) nc.set(f.name, { raw: s.null_count });
      const lo = statValue(f.type, s.min, false);
      const hi = statValue(f.type, s.max, true);
      if (lo !== undefined && hi !== undefined) {
        mn.set(f.name, lo);
        mx.set(f.name, hi);
      }
    }
  };
  walk(schema.fields, [], mins, maxs, nulls);

  const parts = [`"numRecords":${String(numRecords)}`];
  parts.push(`"minValues":${renderTree(mins)}`, `"maxValues":${renderTree(maxs)}`, `"nullCount":${renderTree(nulls)}`);
  if (opts.tightBounds) parts.push(`"tightBounds":true`);
  return `{${parts.join(',')}}`;
}
