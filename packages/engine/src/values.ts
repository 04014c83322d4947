import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBUUIDValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

/**
 * A DuckDB value as JSON-friendly data, formatted the way Spark prints it: dates `2024-01-31`,
 * timestamps `2024-01-31 12:00:00` (fraction only when non-zero), decimals as strings with their
 * scale, big integers beyond 2^53 as strings, maps as objects, binary as base64.
 */
export function toJsonValue(v: DuckDBValue, _t?: DuckDBType): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBDateValue) return v.toString();
  if (
    v instanceof DuckDBTimestampValue ||
    v instanceof DuckDBTimestampTZValue ||
    v instanceof DuckDBTimestampMillisecondsValue ||
    v instanceof DuckDBTimestampSecondsValue ||
    v instanceof DuckDBTimestampNanosecondsValue
  ) {
    return formatTimestamp(v.toString());
  }
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map((x) => toJsonValue(x));
  if (v instanceof DuckDBStructValue) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v.entries)) o[k] = toJsonValue(x);
    return o;
  }
  if (v instanceof DuckDBMapValue) {
    const o: Record<string, unknown> = {};
    for (const e of v.entries) o[String(toJsonValue(e.key))] = toJsonValue(e.value);
    return o;
  }
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes).toString('base64');
  if (v instanceof DuckDBUUIDValue) return v.toString();
  if (v instanceof DuckDBIntervalValue) return v.toString();
  return String(v);
}

function formatTimestamp(s: string): string {
  // DuckDB: 2024-01-31 12:00:00[.123456][+00]
  let out = s.replace(/\+00(:00)?$/, '');
  out = out.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return out;
}
