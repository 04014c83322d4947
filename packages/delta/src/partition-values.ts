/**
 * Partition values (PROTOCOL.md, "Partition Value Serialization"): every value is stored as a
 * string (null for NULL; an empty string also means NULL). Helpers to serialise a value for a
 * writer, parse one back to a JS value, render it as a DuckDB literal, and map Delta types to
 * DuckDB types.
 */
import { LakeboxError } from '@lakebox/common';
import { sqlString } from './duckdb.js';
import { isArray, isMap, isStruct, type DataType } from './schema.js';

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** The DuckDB type of a Delta type. */
export function duckdbType(t: DataType): string {
  if (isStruct(t)) {
    return `STRUCT(${t.fields.map((f) => `"${f.name.replaceAll('"', '""')}" ${duckdbType(f.type)}`).join(', ')})`;
  }
  if (isArray(t)) return `${duckdbType(t.elementType)}[]`;
  if (isMap(t)) return `MAP(${duckdbType(t.keyType)}, ${duckdbType(t.valueType)})`;
  const s = String(t);
  const m = DECIMAL_RE.exec(s);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  switch (s) {
    case 'string':
      return 'VARCHAR';
    case 'long':
      return 'BIGINT';
    case 'integer':
      return 'INTEGER';
    case 'short':
      return 'SMALLINT';
    case 'byte':
      return 'TINYINT';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'binary':
      return 'BLOB';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'timestamp_ntz':
      return 'TIMESTAMP';
    case 'decimal':
      return 'DECIMAL(10,0)';
    case 'void':
      return 'INTEGER';
    default:
      throw new LakeboxError('DELTA_UNSUPPORTED_DATA_TYPE', `unsupported Delta data type: ${JSON.stringify(t)}`);
  }
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset (ms) of `timeZone` from UTC at the instant `utcMs`. */
function zoneOffsetMs(timeZone: string, utcMs: number): number {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown time zone '${timeZone}'`);
    }
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(utcMs));
  const get = (t: string): number => Number(parts.find((x) => x.type === t)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** The instant (epoch micros) of wall-clock micros `wallMicros` in `timeZone`. */
export function zonedToUtcMicros(wallMicros: bigint, timeZone: string): bigint {
  if (/^(utc|etc\/utc|z|gmt)$/i.test(timeZone)) return wallMicros;
  const wallMs = Number(wallMicros / 1000n);
  const guess = wallMs - zoneOffsetMs(timeZone, wallMs);
  const offset = zoneOffsetMs(timeZone, guess);
  return wallMicros - BigInt(offset) * 1000n;
}

/**
 * Epoch microseconds of a timestamp partition value. Values without a zone are wall-clock times
 * of the writer's zone (not recorded in the log): they are read in `timeZone`, UTC by default.
 */
export function parseTimestampValue(raw: string, timeZone?: string): bigint {
  const m =
    /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      raw.trim(),
    );
  if (!m) throw new LakeboxError('DELTA_INVALID_PARTITION_VALUE', `invalid timestamp partition value '${raw}'`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const frac = (m[7] ?? '').padEnd(6, '0').slice(0, 6);
  let micros = BigInt(ms) * 1000n + BigInt(frac || '0');
  const z = m[8];
  if (z && z.toUpperCase() !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    micros -= BigInt(sign * minutes * 60) * 1_000_000n;
  } else if (!z && timeZone) {
    micros = zonedToUtcMicros(micros, timeZone);
  }
  return micros;
}

/** Format epoch microseconds as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC). */
export function formatMicros(micros: bigint): string {
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()))
    throw new LakeboxError('DELTA_INVALID_PARTITION_VALUE', `timestamp out of range: ${micros}`);
  const us = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${String(us).padStart(6, '0')}`;
}

function typeName(t: DataType): string {
  return typeof t === 'string' ? t : t.type;
}

/**
 * Serialise a value for `add.partitionValues` following the protocol. Accepts JS values
 * (string, number, bigint, boolean, Date, Uint8Array) or already-serialised strings.
 * Timestamps are written as ISO-8601 in UTC (`1970-01-01T00:00:00.000000Z`), as the protocol recommends.
 */
export function serializePartitionValue(value: unknown, type: DataType): string | null {
  if (value === null || value === undefined) return null;
  const t = typeName(type);
  if (t === 'string') {
    const s = String(value);
    return s === '' ? null : s;
  }
  if (t === 'binary') {
    if (value instanceof Uint8Array) return value.length === 0 ? null : String.fromCharCode(...value);
    return String(value) === '' ? null : String(value);
  }
  if (t === 'boolean') {
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    const s = String(value).toLowerCase();
    if (s !== 'true' && s !== 'false')
      throw new LakeboxError('DELTA_INVALID_PARTITION_VALUE', `invalid boolean partition value '${String(value)}'`);
    return s;
  }
  if (t === 'date') {
    if (value instanceof Date)
      return `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
    const s = String(value);
    if (!/^-?\d{4,}-\d{2}-\d{2}$/.test(s))
      throw new LakeboxError('DELTA_INVALID_PARTITION_VALUE', `invalid date partition value '${s}'`);
    return s;
  }
  if (t === 'timestamp' || t === 'timestamp_ntz') {
    let micros: bigint;
    if (value instanceof Date) micros = BigInt(value.getTime()) * 1000n;
    else if (typeof value === 'bigint') micros = value;
    else if (typeof value === 'number') micros = BigInt(Math.round(value * 1000));
    else micros = parseTimestampValue(String(value));
    const s = formatMicros(micros);
    return t === 'timestamp' ? `${s.replace(' ', 'T')}Z` : s;
  }
  if (t === 'float' || t === 'double') {
    const n = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(n)) return 'NaN';
    if (n === Infinity) return 'Infinity';
    if (n === -Infinity) return '-Infinity';
    return String(value);
  }
  // integral and decimal types: the number's string form
  const s = String(value);
  if (s === '') return null;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    throw new LakeboxError('DELTA_INVALID_PARTITION_VALUE', `invalid ${t} partition value '${s}'`);
  }
  return s;
}

/** Parse a serialised partition value into a JS value (bigint for long, Date for timestamps, Uint8Array for binary). */
export function parsePartitionValue(raw: string | null | undefined, type: DataType, timeZone?: string): unknown {
  if (raw === null || raw === undefined || raw === '') return null;
  const t = typeName(type);
  switch (t) {
    case 'string':
      return raw;
    case 'long':
      return BigInt(raw);
    case 'integer':
    case 'short':
    case 'byte':
    case 'float':
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'binary':
      return Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff);
    case 'date':
      return raw;
    case 'timestamp':
      return new Date(Number(parseTimestampValue(raw, timeZone) / 1000n));
    case 'timestamp_ntz':
      return new Date(Number(parseTimestampValue(raw) / 1000n));
    default:
      return raw; // decimals stay exact as strings
  }
}

/** A human-readable rendering of a serialised partition value (timestamps in UTC ISO form). */
export function formatPartitionValue(raw: string | null | undefined, type: DataType, timeZone?: string): string {
  if (raw === null || raw === undefined || raw === '') return 'NULL';
  const t = typeName(type);
  if (t === 'timestamp') return `${formatMicros(parseTimestampValue(raw, timeZone)).replace(' ', 'T')}Z`;
  if (t === 'timestamp_ntz') return formatMicros(parseTimestampValue(raw));
  if (t === 'binary') return `0x${Buffer.from(Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff)).toString('hex')}`;
  return raw;
}

/** A DuckDB SQL literal (typed) for a serialised partition value. */
export function partitionValueSql(raw: string | null | undefined, type: DataType, timeZone?: string): string {
  const dt = duckdbType(type);
  if (raw === null || raw === undefined || raw === '') return `CAST(NULL AS ${dt})`;
  const t = typeName(type);
  if (t === 'timestamp') {
    return `CAST(${sqlString(`${formatMicros(parseTimestampValue(raw, timeZone))}+00`)} AS TIMESTAMPTZ)`;
  }
  if (t === 'timestamp_ntz') return `CAST(${sqlString(formatMicros(parseTimestampValue(raw)))} AS TIMESTAMP)`;
  if (t === 'binary')
    return `from_hex(${sqlString(Buffer.from(Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff)).toString('hex'))})`;
  if (t === 'string') return sqlString(raw);
  return `CAST(${sqlString(raw)} AS ${dt})`;
}
