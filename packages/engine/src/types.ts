import { LakeboxError } from '@lakebox/common';
import { isGroup, isOp, isWord, splitCommas, type Node } from './tree.js';

const SIMPLE: Record<string, string> = {
  STRING: 'VARCHAR',
  VARCHAR: 'VARCHAR',
  CHAR: 'VARCHAR',
  TEXT: 'VARCHAR',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  LONG: 'BIGINT',
  BIGINT: 'BIGINT',
  SHORT: 'SMALLINT',
  SMALLINT: 'SMALLINT',
  BYTE: 'TINYINT',
  TINYINT: 'TINYINT',
  FLOAT: 'FLOAT',
  REAL: 'FLOAT',
  DOUBLE: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP',
  BINARY: 'BLOB',
  VOID: 'INTEGER',
  INTERVAL: 'INTERVAL',
  VARIANT: 'JSON',
};

/**
 * Translate a Spark type written as nodes (`DECIMAL(10,2)`, `ARRAY<STRING>`,
 * `STRUCT<a: INT, b STRING>`, `MAP<STRING, INT>`) into a DuckDB type. Returns the DuckDB type and
 * the number of nodes consumed.
 */
export function translateType(nodes: Node[], start = 0): { sql: string; used: number } {
  let i = start;
  const t = nodes[i];
  if (!t || (t.kind !== 'ident' && t.kind !== 'qident')) {
    throw new LakeboxError('PARSE_SYNTAX_ERROR', 'Expected a data type', { sqlState: '42601' });
  }
  const name = t.value.toUpperCase();
  i++;
  if (name === 'DECIMAL' || name === 'DEC' || name === 'NUMERIC') {
    const g = nodes[i];
    if (isGroup(g)) {
      const parts = splitCommas(g.items).map((p) => p.map((x) => (x.kind === 'group' ? '' : x.value)).join(''));
      return { sql: `DECIMAL(${parts[0]},${parts[1] ?? '0'})`, used: i + 1 - start };
    }
    return { sql: 'DECIMAL(10,0)', used: i - start };
  }
  if (name === 'VARCHAR' || name === 'CHAR') {
    if (isGroup(nodes[i])) i++;
    return { sql: 'VARCHAR', used: i - start };
  }
  if (name === 'ARRAY' || name === 'MAP' || name === 'STRUCT') {
    if (!isOp(nodes[i], '<'))
      throw new LakeboxError('PARSE_SYNTAX_ERROR', `${name} needs <...>`, { sqlState: '42601' });
    i++;
    // gather until matching '>' (with nesting); '>>' closes two levels
    const inner: Node[] = [];
    let depth = 1;
    for (; i < nodes.length; i++) {
      const n = nodes[i];
      if (isOp(n, '<')) depth++;
      if (isOp(n, '>')) depth--;
      if (isOp(n, '>>')) depth -= 2;
      if (depth <= 0) {
        if (depth < 0) {
          // '>>' closing this and the outer level: leave a '>' for the caller
          nodes[i] = { ...(n as any), value: '>', raw: '>' };
        } else i++;
        break;
      }
      inner.push(n);
    }
    if (depth === -1) inner.push({ ...(nodes[i] as any), value: '>', raw: '>' });
    const parts = splitAngle(inner);
    if (name === 'ARRAY') return { sql: `${translateType(parts[0]).sql}[]`, used: i - start };
    if (name === 'MAP') {
      return { sql: `MAP(${translateType(parts[0]).sql}, ${translateType(parts[1]).sql})`, used: i - start };
    }
    const fields = parts.map((p) => {
      const fname = p[0];
      const rest = isOp(p[1], ':') ? 2 : 1;
      const ft = translateType(p, rest);
      return `"${String(fname && fname.kind !== 'group' ? fname.value : '').replaceAll('"', '""')}" ${ft.sql}`;
    });
    return { sql: `STRUCT(${fields.join(', ')})`, used: i - start };
  }
  const simple = SIMPLE[name];
  if (!simple)
    throw new LakeboxError('UNSUPPORTED_DATATYPE', `Unsupported data type "${t.value}"`, { sqlState: '0A000' });
  // INTERVAL DAY TO SECOND etc.
  if (name === 'INTERVAL') while (isWord(nodes[i], 'YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'TO')) i++;
  return { sql: simple, used: i - start };
}

/** Split a type argument list at commas that are not nested in <> . */
function splitAngle(nodes: Node[]): Node[][] {
  const out: Node[][] = [];
  let cur: Node[] = [];
  let depth = 0;
  for (const n of nodes) {
    if (isOp(n, '<')) depth++;
    if (isOp(n, '>')) depth--;
    if (isOp(n, ',') && depth === 0) {
      out.push(cur);
      cur = [];
      continue;
    }
    cur.push(n);
  }
  out.push(cur);
  return out;
}

/** Render a DuckDB type (as reported by a result) with Spark's type name. */
export function sparkTypeName(duck: string): string {
  const t = duck.trim();
  const u = t.toUpperCase();
  if (u.endsWith('[]')) return `array<${sparkTypeName(t.slice(0, -2))}>`;
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(u);
  if (dec) return `decimal(${dec[1]},${dec[2]})`;
  if (u.startsWith('MAP(')) {
    const inner = t.slice(4, -1);
    const [k, v] = splitTop(inner);
    return `map<${sparkTypeName(k)},${sparkTypeName(v)}>`;
  }
  if (u.startsWith('STRUCT(')) {
    const inner = t.slice(7, -1);
    return `struct<${splitTop(inner)
      .map((f) => {
        const m = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/.exec(f.trim());
        if (!m) return f;
        const name = m[1].startsWith('"') ? m[1].slice(1, -1).replaceAll('""', '"') : m[1];
        return `${name}:${sparkTypeName(m[2])}`;
      })
      .join(',')}>`;
  }
  const map: Record<string, string> = {
    VARCHAR: 'string',
    INTEGER: 'int',
    BIGINT: 'bigint',
    SMALLINT: 'smallint',
    TINYINT: 'tinyint',
    HUGEINT: 'decimal(38,0)',
    UBIGINT: 'decimal(20,0)',
    UINTEGER: 'bigint',
    USMALLINT: 'int',
    UTINYINT: 'smallint',
    FLOAT: 'float',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
    TIMESTAMP_S: 'timestamp',
    TIMESTAMP_MS: 'timestamp',
    TIMESTAMP_NS: 'timestamp',
    BLOB: 'binary',
    INTERVAL: 'interval',
    JSON: 'string',
    UUID: 'string',
    '"NULL"': 'void',
    NULL: 'void',
  };
  return map[u] ?? t.toLowerCase();
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let inQ = false;
  for (const c of s) {
    if (c === '"') inQ = !inQ;
    if (!inQ && c === '(') depth++;
    if (!inQ && c === ')') depth--;
    if (!inQ && c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const DELTA_SIMPLE: Record<string, string> = {
  STRING: 'string',
  VARCHAR: 'string',
  CHAR: 'string',
  TEXT: 'string',
  INT: 'integer',
  INTEGER: 'integer',
  LONG: 'long',
  BIGINT: 'long',
  SHORT: 'short',
  SMALLINT: 'short',
  BYTE: 'byte',
  TINYINT: 'byte',
  FLOAT: 'float',
  REAL: 'float',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_LTZ: 'timestamp',
  TIMESTAMP_NTZ: 'timestamp_ntz',
  BINARY: 'binary',
};

export type DeltaDataType =
  | string
  | { type: 'array'; elementType: DeltaDataType; containsNull: boolean }
  | { type: 'map'; keyType: DeltaDataType; valueType: DeltaDataType; valueContainsNull: boolean }
  | {
      type: 'struct';
      fields: { name: string; type: DeltaDataType; nullable: boolean; metadata: Record<string, unknown> }[];
    };

/** Parse a Spark type (as nodes) into a Delta schema type. */
export function parseDeltaType(nodes: Node[], start = 0): { type: DeltaDataType; used: number } {
  const t = nodes[start];
  if (!t || (t.kind !== 'ident' && t.kind !== 'qident'))
    throw new LakeboxError('PARSE_SYNTAX_ERROR', 'Expected a data type', { sqlState: '42601' });
  const name = t.value.toUpperCase();
  let i = start + 1;
  if (name === 'DECIMAL' || name === 'DEC' || name === 'NUMERIC') {
    const g = nodes[i];
    if (isGroup(g)) {
      const parts = splitCommas(g.items).map((p) => p.map((x) => (x.kind === 'group' ? '' : x.value)).join(''));
      return { type: `decimal(${parts[0]},${parts[1] ?? '0'})`, used: i + 1 - start };
    }
    return { type: 'decimal(10,0)', used: i - start };
  }
  if ((name === 'VARCHAR' || name === 'CHAR') && isGroup(nodes[i])) return { type: 'string', used: i + 1 - start };
  if (name === 'ARRAY' || name === 'MAP' || name === 'STRUCT') {
    if (!isOp(nodes[i], '<'))
      throw new LakeboxError('PARSE_SYNTAX_ERROR', `${name} needs <...>`, { sqlState: '42601' });
    // reuse the DuckDB translation's bracket matching by collecting the inner nodes
    const inner: Node[] = [];
    let depth = 1;
    i++;
    for (; i < nodes.length; i++) {
      const n = nodes[i];
      if (isOp(n, '<')) depth++;
      if (isOp(n, '>')) depth--;
      if (isOp(n, '>>')) depth -= 2;
      if (depth <= 0) break;
      inner.push(n);
    }
    if (depth === -1) {
      inner.push({ ...(nodes[i] as any), value: '>', raw: '>' });
      nodes[i] = { ...(nodes[i] as any), value: '>', raw: '>' };
    } else i++;
    const parts = splitAngle(inner);
    if (name === 'ARRAY')
      return {
        type: { type: 'array', elementType: parseDeltaType(parts[0]).type, containsNull: true },
        used: i - start,
      };
    if (name === 'MAP') {
      return {
        type: {
          type: 'map',
          keyType: parseDeltaType(parts[0]).type,
          valueType: parseDeltaType(parts[1]).type,
          valueContainsNull: true,
        },
        used: i - start,
      };
    }
    return {
      type: {
        type: 'struct',
        fields: parts.map((p) => {
          const fname = p[0] && p[0].kind !== 'group' ? p[0].value : '';
          const rest = isOp(p[1], ':') ? 2 : 1;
          return { name: fname, type: parseDeltaType(p, rest).type, nullable: true, metadata: {} };
        }),
      },
      used: i - start,
    };
  }
  const simple = DELTA_SIMPLE[name];
  if (!simple)
    throw new LakeboxError('UNSUPPORTED_DATATYPE', `Unsupported data type "${t.value}"`, { sqlState: '0A000' });
  return { type: simple, used: i - start };
}
