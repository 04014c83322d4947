import {
  Binary,
  Decimal,
  Bool,
  DateDay,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  Map_,
  Field,
  Struct,
  Null,
  TimestampMicrosecond,
  Utf8,
  type DataType as ArrowType,
} from 'apache-arrow';

/** Split a Spark type's parameter list at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '<' || c === '(') depth++;
    if (c === '>' || c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The Spark Connect `DataType` message (proto-loader object form) for a Spark type name. */
export function dataTypeProto(t: string): Record<string, unknown> {
  const s = t.trim().toLowerCase();
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(s);
  if (dec) return { decimal: { precision: Number(dec[1]), scale: Number(dec[2]) } };
  if (s.startsWith('array<'))
    return { array: { element_type: dataTypeProto(t.trim().slice(6, -1)), contains_null: true } };
  if (s.startsWith('map<')) {
    const [k, v] = splitTop(t.trim().slice(4, -1));
    return { map: { key_type: dataTypeProto(k!), value_type: dataTypeProto(v!), value_contains_null: true } };
  }
  if (s.startsWith('struct<')) {
    const fields = splitTop(t.trim().slice(7, -1)).map((f) => {
      const i = f.indexOf(':');
      return { name: f.slice(0, i).replace(/^`|`$/g, ''), data_type: dataTypeProto(f.slice(i + 1)), nullable: true };
    });
    return { struct: { fields } };
  }
  const simple: Record<string, string> = {
    boolean: 'boolean',
    tinyint: 'byte',
    smallint: 'short',
    int: 'integer',
    bigint: 'long',
    float: 'float',
    double: 'double',
    string: 'string',
    binary: 'binary',
    date: 'date',
    timestamp: 'timestamp',
    timestamp_ntz: 'timestamp_ntz',
    void: 'null',
  };
  return { [simple[s] ?? 'string']: {} };
}

/** A Spark `StructType` proto for result columns. */
export function schemaProto(columns: { name: string; type: string }[]): Record<string, unknown> {
  return {
    struct: {
      fields: columns.map((c) => ({ name: clientName(c.name), data_type: dataTypeProto(c.type), nullable: true })),
    },
  };
}

/** Whether a nested type travels as Arrow list/struct/map (else as a JSON string). */
export function nestedOnWire(t: string): boolean {
  return /^(array|map|struct)</.test(t) && !/decimal|binary|interval|void/.test(t);
}

/** Parse `array<..>`, `map<..,..>`, `struct<a:..,b:..>` into their parts. */
export function nestedParts(
  t: string,
):
  | { kind: 'array'; element: string }
  | { kind: 'map'; key: string; value: string }
  | { kind: 'struct'; fields: [string, string][] } {
  if (t.startsWith('array<')) return { kind: 'array', element: t.slice(6, -1) };
  if (t.startsWith('map<')) {
    const [k, v] = splitTop(t.slice(4, -1));
    return { kind: 'map', key: k!, value: v! };
  }
  const fields = splitTop(t.slice(7, -1)).map((f) => {
    let i = 0;
    let name: string;
    if (f.startsWith('`')) {
      i = 1;
      while (i < f.length && !(f[i] === '`' && f[i + 1] !== '`')) i += f[i] === '`' ? 2 : 1;
      name = f.slice(1, i).replaceAll('``', '`');
      i++;
    } else {
      i = f.indexOf(':');
      name = f.slice(0, i);
    }
    return [name, f.slice(f.indexOf(':', i) + 1)] as [string, string];
  });
  return { kind: 'struct', fields };
}

/** Arrow type used on the wire for a Spark type name. */
export function arrowTypeOf(t: string): ArrowType {
  if (nestedOnWire(t)) {
    const p = nestedParts(t);
    if (p.kind === 'array') return new List(new Field('element', arrowTypeOf(p.element), true));
    if (p.kind === 'map')
      return new Map_(
        new Field(
          'entries',
          new Struct<any>([
            new Field('key', arrowTypeOf(p.key), false),
            new Field('value', arrowTypeOf(p.value), true),
          ]),
          false,
        ),
      );
    return new Struct(p.fields.map(([n, ft]) => new Field(n, arrowTypeOf(ft), true)));
  }
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (dec) return new Decimal(Number(dec[2]), Number(dec[1]), 128);
  switch (t) {
    case 'boolean':
      return new Bool();
    case 'tinyint':
      return new Int8();
    case 'smallint':
      return new Int16();
    case 'int':
      return new Int32();
    case 'bigint':
      return new Int64();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new TimestampMicrosecond('UTC');
    case 'timestamp_ntz':
      return new TimestampMicrosecond();
    case 'binary':
      return new Binary();
    case 'void':
      return new Null();
    default:
      return new Utf8();
  }
}

/** The Spark type name that the wire type actually carries (what the client will see). */
export function wireSparkType(t: string): string {
  if (nestedOnWire(t)) return t;
  const a = arrowTypeOf(t);
  return a instanceof Utf8 && t !== 'string' ? 'string' : t;
}

/** Spark SQL type name for an Arrow type received from a client (createDataFrame). */
export function sparkTypeOfArrow(a: ArrowType): string {
  const s = a.toString();
  if (/^Int8$/.test(s)) return 'tinyint';
  if (/^Int16$/.test(s)) return 'smallint';
  if (/^Int32$/.test(s)) return 'int';
  if (/^Int64$/.test(s)) return 'bigint';
  if (/^Uint/.test(s)) return 'bigint';
  if (/^Float16$|^Float32$/.test(s)) return 'float';
  if (/^Float64$/.test(s)) return 'double';
  if (/^Bool$/.test(s)) return 'boolean';
  if (/^(Large)?Utf8$/.test(s)) return 'string';
  if (/^(Large)?Binary$/.test(s)) return 'binary';
  if (/^Date/.test(s)) return 'date';
  if (/^Timestamp/.test(s)) return (a as any).timezone ? 'timestamp' : 'timestamp_ntz';
  if (/^Decimal/.test(s)) return `decimal(${(a as any).precision},${(a as any).scale})`;
  if (/^Null$/.test(s)) return 'void';
  if (/^List/.test(s)) return `array<${sparkTypeOfArrow((a as any).children[0].type)}>`;
  if (/^Struct/.test(s))
    return `struct<${(a as any).children.map((f: any) => `\`${f.name}\`:${sparkTypeOfArrow(f.type)}`).join(',')}>`;
  if (/^Map/.test(s)) {
    const kv = (a as any).children[0].type.children;
    return `map<${sparkTypeOfArrow(kv[0].type)},${sparkTypeOfArrow(kv[1].type)}>`;
  }
  return 'string';
}

/** Marks a repeated output name in a select list (see plan.ts RelationCompiler.exprs, clientName). */
export const DUPLICATE_MARK = '__lbx_dup_';

/** A result column's name as the client sees it (a repeated name loses its marker). */
export function clientName(name: string): string {
  const i = name.lastIndexOf(DUPLICATE_MARK);
  return i > 0 && /^\d+$/.test(name.slice(i + DUPLICATE_MARK.length)) ? name.slice(0, i) : name;
}
