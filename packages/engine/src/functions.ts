import { LakeboxError } from '@lakebox/common';

/**
 * Spark built-in functions and how each is expressed in DuckDB. `emit` receives the translated
 * argument SQL; a plain string is a rename. `status` feeds docs/compat/sql-functions.md:
 * `supported` (same results as Spark), `different` (runs, but some results differ: `note` says how).
 */
export interface FunctionSpec {
  status: 'supported' | 'different';
  emit: string | ((args: string[]) => string);
  note?: string;
  /** Minimum / maximum number of arguments, checked before emitting. */
  args?: [number, number];
}

const p = (s: string) => `(${s})`;

/**
 * The body of a translated lambda (`lambda "x", "y": body`) with its parameters replaced by
 * expressions: DuckDB cannot call a lambda inline, so two-argument Spark lambdas over zipped lists
 * or map entries become one-argument lambdas over the pair.
 */
/** DuckDB's approx_quantile takes FLOAT (or FLOAT[]) constants; Spark passes doubles. */
function quantileArg(p: string): string {
  return /^\(?\s*(\[|list_value\(|array_value\()/i.test(p) ? `CAST(${p} AS FLOAT[])` : `CAST(${p} AS FLOAT)`;
}

export function applyLambda(lambda: string, args: string[]): string {
  const m = /^lambda\s+((?:"(?:[^"]|"")*"\s*,?\s*)+):\s*([\s\S]*)$/.exec(lambda.trim());
  if (!m)
    throw new LakeboxError('INVALID_LAMBDA_FUNCTION_CALL', 'a lambda function (x, y) -> ... is expected here', {
      sqlState: '42K0D',
    });
  const params = [...m[1]!.matchAll(/"(?:[^"]|"")*"/g)].map((x) => x[0]);
  let body = m[2]!;
  params.forEach((name, i) => {
    const arg = `(${args[i] ?? 'NULL'})`;
    body = body.split(name).join(arg);
    const bare = name.slice(1, -1);
    // The translator may also print a plain parameter name unquoted.
    if (/^[A-Za-z_]\w*$/.test(bare)) body = body.replace(new RegExp(`(?<![\\w."'])${bare}(?![\\w"'])`, 'g'), arg);
  });
  return `(${body})`;
}
const n = (args: string[], i: number, d: string) => args[i] ?? d;

/** Java/Spark datetime pattern -> strftime. */
export function javaToStrftime(fmt: string): string {
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === "'") {
      const end = fmt.indexOf("'", i + 1);
      const lit = end < 0 ? fmt.slice(i + 1) : fmt.slice(i + 1, end);
      out += lit === '' ? "'" : lit.replaceAll('%', '%%');
      i = end < 0 ? fmt.length : end + 1;
      continue;
    }
    let j = i;
    while (j < fmt.length && fmt[j] === c) j++;
    const run = j - i;
    const rep: Record<string, (r: number) => string> = {
      y: (r) => (r === 2 ? '%y' : '%Y'),
      Y: (r) => (r === 2 ? '%y' : '%Y'),
      M: (r) => (r >= 4 ? '%B' : r === 3 ? '%b' : r === 2 ? '%m' : '%-m'),
      L: (r) => (r >= 4 ? '%B' : r === 3 ? '%b' : r === 2 ? '%m' : '%-m'),
      d: (r) => (r === 2 ? '%d' : '%-d'),
      D: () => '%j',
      H: (r) => (r === 2 ? '%H' : '%-H'),
      h: (r) => (r === 2 ? '%I' : '%-I'),
      m: (r) => (r === 2 ? '%M' : '%-M'),
      s: (r) => (r === 2 ? '%S' : '%-S'),
      S: (r) => (r <= 3 ? '%g' : '%f'),
      a: () => '%p',
      E: (r) => (r >= 4 ? '%A' : '%a'),
      z: () => '%Z',
      Z: () => '%z',
      X: () => '%z',
      x: () => '%z',
    };
    const f = rep[c];
    if (f) out += f(run);
    else out += fmt.slice(i, j).replaceAll('%', '%%');
    i = j;
  }
  return out;
}

/** A SQL string literal's value, when the argument is a plain literal. */
function literal(sql: string | undefined): string | undefined {
  if (!sql) return undefined;
  const m = /^'((?:[^']|'')*)'$/.exec(sql.trim());
  return m ? m[1].replaceAll("''", "'") : undefined;
}
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

function fmtArg(sql: string | undefined): string {
  const l = literal(sql);
  if (l !== undefined) return lit(javaToStrftime(l));
  if (sql === undefined) return "'%Y-%m-%d %H:%M:%S'";
  throw new LakeboxError('UNSUPPORTED_FEATURE', 'datetime patterns must be string literals in Lakebox', {
    sqlState: '0A000',
  });
}

function truncUnit(sql: string): string {
  const l = (literal(sql) ?? '').toLowerCase();
  const m: Record<string, string> = {
    year: 'year',
    yyyy: 'year',
    yy: 'year',
    quarter: 'quarter',
    month: 'month',
    mon: 'month',
    mm: 'month',
    week: 'week',
    day: 'day',
    dd: 'day',
    hour: 'hour',
    minute: 'minute',
    second: 'second',
    millisecond: 'millisecond',
    microsecond: 'microsecond',
  };
  return lit(m[l] ?? l);
}

/** LIKE's escape character: Spark's default is the backslash. */
function escapeChar(sql: string | undefined): string {
  if (sql === undefined) return "'\\'";
  if (literal(sql) === undefined)
    throw new LakeboxError('INVALID_PARAMETER_VALUE', 'the escape character of like/ilike must be a string literal', {
      sqlState: '22023',
    });
  return sql;
}

/** to_binary(str[, fmt]): fmt is 'hex' (the default), 'utf-8'/'utf8' or 'base64'. */
function toBinary(a: string[], tryMode: boolean): string {
  const fmt = a.length > 1 ? literal(a[1])?.toLowerCase() : 'hex';
  const e =
    fmt === 'hex'
      ? `unhex(${a[0]})`
      : fmt === 'utf-8' || fmt === 'utf8'
        ? `encode(${a[0]})`
        : fmt === 'base64'
          ? `from_base64(${a[0]})`
          : undefined;
  if (e === undefined)
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE.BINARY_FORMAT',
      `the format of to_binary must be one of 'hex', 'utf-8', 'utf8' or 'base64'`,
      {
        sqlState: '22023',
      },
    );
  return tryMode ? `TRY(${e})` : e;
}

/** make_timestamp(y, m, d, h, mi, s[, tz]): with a time zone, the wall-clock time there. */
function makeTimestampLtz(a: string[]): string {
  const ts = `make_timestamp(${a.slice(0, 6).join(', ')})`;
  return a.length > 6 ? `CAST(timezone('UTC', timezone(${a[6]}, ${ts})) AS TIMESTAMP)` : ts;
}

/** A unit argument (TIMESTAMPADD(YEAR, ...) or timestamp_add('YEAR', ...)), upper case. */
function unitArg(sql: string | undefined): string {
  const u = (literal(sql) ?? (sql ?? '').replace(/^"|"$/g, '')).toUpperCase();
  if (!/^(YEAR|QUARTER|MONTH|WEEK|DAY|DAYOFYEAR|HOUR|MINUTE|SECOND|MILLISECOND|MICROSECOND)$/.test(u))
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE.DATETIME_UNIT',
      `The value of parameter(s) \`unit\` is invalid: ${u}`,
      {
        sqlState: '22023',
      },
    );
  return u === 'DAYOFYEAR' ? 'DAY' : u;
}

function timestampAdd(a: string[]): string {
  const u = unitArg(a[0]);
  const q = `CAST(${a[1]} AS BIGINT)`;
  const iv =
    u === 'QUARTER' ? `to_months(3 * ${q})` : u === 'SECOND' ? `to_seconds(${q})` : `to_${u.toLowerCase()}s(${q})`;
  return `CAST(CAST(${a[2]} AS TIMESTAMP) + ${iv} AS TIMESTAMP)`;
}

/** timestampdiff: whole units from start to end (DuckDB's date_sub, not date_diff's boundaries). */
function timestampDiff(a: string[]): string {
  const u = unitArg(a[0]).toLowerCase();
  return `date_sub('${u}', CAST(${a[1]} AS TIMESTAMP), CAST(${a[2]} AS TIMESTAMP))`;
}

/** schema_of_json(literal): the DDL of the type Spark infers for the JSON text. */
function schemaOfJson(sql: string | undefined): string {
  const text = literal(sql);
  if (text === undefined)
    throw new LakeboxError(
      'DATATYPE_MISMATCH.NON_FOLDABLE_INPUT',
      'The input `json` of schema_of_json should be a foldable string literal.',
      { sqlState: '42K09' },
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // unquoted field names ({a: 1}), which Spark reads with allowUnquotedFieldNames
    try {
      value = JSON.parse(text.replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":'));
    } catch {
      return lit('STRING');
    }
  }
  return lit(jsonDdl(value));
}

function jsonDdl(v: unknown): string {
  if (v === null || v === undefined) return 'STRING';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'number') return Number.isInteger(v) ? 'BIGINT' : 'DOUBLE';
  if (typeof v === 'string') return 'STRING';
  if (Array.isArray(v)) {
    const types = [...new Set(v.filter((x) => x !== null).map(jsonDdl))];
    if (types.length === 0) return 'ARRAY<STRING>';
    if (types.length === 1) return `ARRAY<${types[0]}>`;
    if (types.every((t) => t === 'BIGINT' || t === 'DOUBLE')) return 'ARRAY<DOUBLE>';
    return 'ARRAY<STRING>';
  }
  const fields = Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `STRUCT<${fields.map(([k, x]) => `${/^\w+$/.test(k) ? k : `\`${k.replaceAll('`', '``')}\``}: ${jsonDdl(x)}`).join(', ')}>`;
}

/** raise_error/assert_true: Spark's USER_RAISED_EXCEPTION, raised through DuckDB's error(). */
function userRaised(msg: string): string {
  return `error('[USER_RAISED_EXCEPTION] ' || CAST(${msg} AS VARCHAR) || ' SQLSTATE: P0001')`;
}

function parseUrl(a: string[]): string {
  return a.length > 2 ? `spark_parse_url_key(${a[0]}, ${a[2]})` : `spark_parse_url(${a[0]}, ${a[1]})`;
}

/** A number format of to_char/to_number ('$99.99', '999,999.00', ...), read from its literal. */
function numberFormat(sql: string | undefined): {
  text: string;
  dollar: boolean;
  group: boolean;
  int: number;
  frac: number;
  zero: boolean;
} {
  const text = literal(sql);
  if (text === undefined || !/^[$0-9,.DGSMIPR\s]*$/i.test(text))
    throw new LakeboxError(
      'UNSUPPORTED_FEATURE',
      'number formats must be string literals of 0, 9, ".", ",", "$" in Lakebox',
      {
        sqlState: '0A000',
      },
    );
  const f = text.toUpperCase();
  const [ip = '', fp = ''] = f.split(/[.D]/);
  return {
    text,
    dollar: f.includes('$'),
    group: /[,G]/.test(f),
    int: (ip.match(/[09]/g) ?? []).length,
    frac: (fp.match(/[09]/g) ?? []).length,
    zero: /^[^09]*0/.test(ip),
  };
}

function toChar(a: string[]): string {
  const f = numberFormat(a[1]);
  const width = f.zero && !f.group ? `0${f.int + (f.frac ? f.frac + 1 : 0)}` : '';
  const num = `printf('%${f.group ? ',' : ''}${width}.${f.frac}f', CAST(${a[0]} AS DOUBLE))`;
  return f.dollar ? `('$' || ${num})` : num;
}

function toNumber(a: string[], tryMode: boolean): string {
  const f = numberFormat(a[1]);
  const digits = `replace(replace(trim(${a[0]}), ',', ''), '$', '')`;
  // the digits fit the format, and a '$' in the format is in the input too (Spark requires it)
  const ok = `regexp_full_match(${digits}, '[+-]?[0-9]{0,${f.int}}(\\.[0-9]{0,${f.frac}})?')${f.dollar ? ` AND strpos(${a[0]}, '$') > 0` : ''}`;
  const p = Math.min(Math.max(f.int + f.frac, 1), 38);
  const bad = tryMode
    ? 'NULL'
    : `error('[INVALID_FORMAT.MISMATCH_INPUT] The input ' || ${a[0]} || ' does not match the format ' || ${lit(f.text)} || '. SQLSTATE: 42601')`;
  return `CASE WHEN ${a[0]} IS NULL THEN NULL WHEN ${ok} THEN CAST(${digits} AS DECIMAL(${p}, ${f.frac})) ELSE ${bad} END`;
}

/** arrays_zip: structs whose fields are named after the argument columns (0, 1, ... for expressions). */
function arraysZip(a: string[]): string {
  const names = a.map((x, i) => /^(?:[\w"]+\.)*"?([A-Za-z_]\w*)"?$/.exec(x.trim())?.[1] ?? String(i));
  const fields = a.map((x, i) => `'${names[i]}': (${x})[__i + 1]`).join(', ');
  return `CASE WHEN ${a.map((x) => `(${x}) IS NOT NULL`).join(' AND ')} THEN list_transform(range(greatest(${a.map((x) => `len(${x})`).join(', ')})), lambda __i: {${fields}}) END`;
}

/** A (x, i) -> ... lambda of transform/filter: Spark's index counts from 0, DuckDB's from 1. */
function indexedLambda(lambda: string): string {
  const m = /^lambda\s+((?:"(?:[^"]|"")*"|[A-Za-z_]\w*)\s*,\s*(?:"(?:[^"]|"")*"|[A-Za-z_]\w*))\s*:/.exec(lambda.trim());
  if (!m) return lambda;
  return `lambda __x, __i: ${applyLambda(lambda, ['__x', '(__i - 1)'])}`;
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  // math
  abs: { status: 'supported', emit: 'abs' },
  acos: {
    status: 'supported',
    emit: (a) => `(CASE WHEN abs(${a[0]}) > 1 THEN CAST('NaN' AS DOUBLE) ELSE acos(${a[0]}) END)`,
  },
  acosh: { status: 'supported', emit: 'acosh' },
  asin: {
    status: 'supported',
    emit: (a) => `(CASE WHEN abs(${a[0]}) > 1 THEN CAST('NaN' AS DOUBLE) ELSE asin(${a[0]}) END)`,
  },
  asinh: { status: 'supported', emit: 'asinh' },
  atan: { status: 'supported', emit: 'atan' },
  atan2: { status: 'supported', emit: 'atan2' },
  atanh: {
    status: 'supported',
    emit: (a) => `(CASE WHEN abs(${a[0]}) > 1 THEN CAST('NaN' AS DOUBLE) ELSE atanh(${a[0]}) END)`,
  },
  bround: { status: 'supported', emit: (a) => `spark_bround(${a[0]}, ${n(a, 1, '0')})` },
  cbrt: { status: 'supported', emit: 'cbrt' },
  ceil: {
    status: 'supported',
    emit: (a) => (a.length > 1 ? `spark_ceil_scale(${a[0]}, ${a[1]})` : `CAST(ceil(${a[0]}) AS BIGINT)`),
  },
  ceiling: {
    status: 'supported',
    emit: (a) => (a.length > 1 ? `spark_ceil_scale(${a[0]}, ${a[1]})` : `CAST(ceil(${a[0]}) AS BIGINT)`),
  },
  cos: { status: 'supported', emit: 'cos' },
  cosh: { status: 'supported', emit: (a) => `((exp(${a[0]}) + exp(-(${a[0]}))) / 2)` },
  cot: {
    status: 'supported',
    emit: (a) => `(CASE WHEN tan(${a[0]}) = 0 THEN CAST('Infinity' AS DOUBLE) ELSE 1.0 / tan(${a[0]}) END)`,
  },
  degrees: { status: 'supported', emit: 'degrees' },
  e: { status: 'supported', emit: () => 'exp(1)' },
  exp: { status: 'supported', emit: 'exp' },
  expm1: { status: 'supported', emit: (a) => `(exp(${a[0]}) - 1)` },
  factorial: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[0]} BETWEEN 0 AND 20 THEN CAST(factorial(CAST(${a[0]} AS INTEGER)) AS BIGINT) END`,
  },
  floor: {
    status: 'supported',
    emit: (a) => (a.length > 1 ? `spark_floor_scale(${a[0]}, ${a[1]})` : `CAST(floor(${a[0]}) AS BIGINT)`),
  },
  greatest: { status: 'supported', emit: 'greatest' },
  hypot: { status: 'supported', emit: (a) => `sqrt(${a[0]} * ${a[0]} + ${a[1]} * ${a[1]})` },
  least: { status: 'supported', emit: 'least' },
  ln: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} > 0 THEN ln(${a[0]}) END` },
  log: {
    status: 'supported',
    emit: (a) =>
      a.length === 1
        ? `CASE WHEN ${a[0]} > 0 THEN ln(${a[0]}) END`
        : `CASE WHEN ${a[1]} > 0 AND ${a[0]} > 0 THEN ln(${a[1]}) / ln(${a[0]}) END`,
  },
  log10: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} > 0 THEN log10(${a[0]}) END` },
  log1p: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} > -1 THEN ln(1 + ${a[0]}) END` },
  log2: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} > 0 THEN log2(${a[0]}) END` },
  mod: { status: 'supported', emit: (a) => p(`${a[0]} % ${a[1]}`) },
  negative: { status: 'supported', emit: (a) => `(-(${a[0]}))` },
  pi: { status: 'supported', emit: 'pi' },
  pmod: { status: 'supported', emit: (a) => `spark_pmod(${a[0]}, ${a[1]})` },
  positive: { status: 'supported', emit: (a) => p(a[0]) },
  pow: { status: 'supported', emit: (a) => `pow(CAST(${a[0]} AS DOUBLE), ${a[1]})` },
  power: { status: 'supported', emit: (a) => `pow(CAST(${a[0]} AS DOUBLE), ${a[1]})` },
  radians: { status: 'supported', emit: 'radians' },
  rand: { status: 'different', emit: () => 'random()', note: 'seed argument ignored; different random sequence' },
  random: { status: 'different', emit: () => 'random()', note: 'seed argument ignored; different random sequence' },
  rint: { status: 'supported', emit: (a) => `CAST(round_even(${a[0]}, 0) AS DOUBLE)` },
  round: { status: 'supported', emit: (a) => `round(${a[0]}, ${n(a, 1, '0')})` },
  sign: {
    status: 'supported',
    emit: (a) =>
      `CAST(CASE WHEN isnan(CAST(${a[0]} AS DOUBLE)) THEN CAST('NaN' AS DOUBLE) ELSE sign(${a[0]}) END AS DOUBLE)`,
  },
  signum: {
    status: 'supported',
    emit: (a) =>
      `CAST(CASE WHEN isnan(CAST(${a[0]} AS DOUBLE)) THEN CAST('NaN' AS DOUBLE) ELSE sign(${a[0]}) END AS DOUBLE)`,
  },
  sin: { status: 'supported', emit: 'sin' },
  sinh: { status: 'supported', emit: (a) => `((exp(${a[0]}) - exp(-(${a[0]}))) / 2)` },
  sqrt: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[0]} >= 0 THEN sqrt(${a[0]}) WHEN ${a[0]} < 0 THEN CAST('NaN' AS DOUBLE) END`,
  },
  tan: { status: 'supported', emit: 'tan' },
  tanh: { status: 'supported', emit: 'tanh' },
  try_add: { status: 'supported', emit: (a) => `TRY(${a[0]} + ${a[1]})` },
  try_divide: { status: 'supported', emit: (a) => `CASE WHEN ${a[1]} <> 0 THEN ${a[0]} / ${a[1]} END` },
  try_multiply: { status: 'supported', emit: (a) => `TRY(${a[0]} * ${a[1]})` },
  try_subtract: { status: 'supported', emit: (a) => `TRY(${a[0]} - ${a[1]})` },
  width_bucket: { status: 'supported', emit: 'spark_width_bucket' },
  bin: { status: 'supported', emit: (a) => `bin(CAST(${a[0]} AS BIGINT))` },
  hex: { status: 'supported', emit: (a) => `upper(hex(${a[0]}))` },
  unhex: { status: 'supported', emit: 'unhex' },
  conv: {
    status: 'different',
    emit: 'spark_conv',
    note: 'any base from 2 to 36 in, bases 2, 8, 10 and 16 out; no negative numbers',
  },
  // null handling and conditionals
  coalesce: { status: 'supported', emit: 'coalesce' },
  if: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} THEN ${a[1]} ELSE ${a[2]} END` },
  iff: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} THEN ${a[1]} ELSE ${a[2]} END` },
  ifnull: { status: 'supported', emit: 'coalesce' },
  isnan: { status: 'supported', emit: (a) => `coalesce(isnan(${a[0]}), false)` },
  isnotnull: { status: 'supported', emit: (a) => `(${a[0]} IS NOT NULL)` },
  isnull: { status: 'supported', emit: (a) => `(${a[0]} IS NULL)` },
  nanvl: { status: 'supported', emit: (a) => `CASE WHEN isnan(${a[0]}) THEN ${a[1]} ELSE ${a[0]} END` },
  nullif: { status: 'supported', emit: 'nullif' },
  nullifzero: { status: 'supported', emit: (a) => `nullif(${a[0]}, 0)` },
  nvl: { status: 'supported', emit: 'coalesce' },
  nvl2: { status: 'supported', emit: (a) => `CASE WHEN ${a[0]} IS NOT NULL THEN ${a[1]} ELSE ${a[2]} END` },
  zeroifnull: { status: 'supported', emit: (a) => `coalesce(${a[0]}, 0)` },
  equal_null: { status: 'supported', emit: (a) => `(${a[0]} IS NOT DISTINCT FROM ${a[1]})` },
  assert_true: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[0]} THEN NULL ELSE ${userRaised(a[1] ?? `'assertion failed'`)} END`,
  },
  raise_error: { status: 'supported', emit: (a) => userRaised(a[0]!) },
  // strings
  ascii: {
    status: 'supported',
    emit: (a) => `coalesce(nullif(ascii(${a[0]}), 0), CASE WHEN ${a[0]} IS NOT NULL THEN 0 END)`,
  },
  base64: { status: 'supported', emit: (a) => `to_base64(CAST(${a[0]} AS BLOB))` },
  bit_length: { status: 'supported', emit: (a) => `bit_length(CAST(${a[0]} AS VARCHAR))` },
  btrim: { status: 'supported', emit: (a) => (a.length > 1 ? `trim(${a[0]}, ${a[1]})` : `trim(${a[0]}, ' ')`) },
  char: { status: 'supported', emit: (a) => `chr(CAST(${a[0]} AS INTEGER) % 256)` },
  char_length: { status: 'supported', emit: 'length' },
  character_length: { status: 'supported', emit: 'length' },
  chr: { status: 'supported', emit: (a) => `chr(CAST(${a[0]} AS INTEGER) % 256)` },
  concat: {
    status: 'supported',
    emit: (a) => `spark_concat(${a.map((x) => `(${x})`).join(' || ')}, ${a.map((x) => `(${x}) IS NULL`).join(' OR ')})`,
  },
  concat_ws: {
    status: 'different',
    note: 'array arguments are not flattened',
    emit: (a) => `concat_ws(${a.join(', ')})`,
  },
  contains: { status: 'supported', emit: 'spark_contains', args: [2, 2] },
  decode: {
    status: 'different',
    emit: (a) => (a.length === 2 ? `decode(CAST(${a[0]} AS BLOB))` : `spark_decode(${a.join(', ')})`),
    note: 'decode(bin, charset) reads UTF-8 whatever the charset; decode(expr, search, result, ...) is the CASE-like form',
  },
  encode: {
    status: 'different',
    emit: (a) => `encode(CAST(${a[0]} AS VARCHAR))`,
    note: 'always UTF-8, whatever the charset',
  },
  elt: { status: 'supported', emit: (a) => `[${a.slice(1).join(', ')}][${a[0]}]` },
  endswith: { status: 'supported', emit: 'spark_ends_with', args: [2, 2] },
  find_in_set: { status: 'supported', emit: (a) => `coalesce(list_position(string_split(${a[1]}, ','), ${a[0]}), 0)` },
  format_number: {
    status: 'different',
    emit: (a) => `printf('%,.' || ${a[1]} || 'f', CAST(${a[0]} AS DOUBLE))`,
    note: 'integer scale only',
  },
  format_string: {
    status: 'different',
    emit: 'printf',
    note: 'printf-style formats follow C, not java.util.Formatter',
  },
  initcap: { status: 'supported', emit: (a) => `spark_initcap(${a[0]})` },
  instr: { status: 'supported', emit: (a) => `instr(${a[0]}, ${a[1]})` },
  lcase: { status: 'supported', emit: 'lower' },
  left: { status: 'supported', emit: (a) => `left(${a[0]}, greatest(${a[1]}, 0))` },
  len: { status: 'supported', emit: 'length' },
  length: { status: 'supported', emit: (a) => `length(${a[0]})` },
  levenshtein: {
    status: 'supported',
    emit: (a) =>
      a.length > 2
        ? `CASE WHEN levenshtein(${a[0]}, ${a[1]}) > ${a[2]} THEN -1 ELSE levenshtein(${a[0]}, ${a[1]}) END`
        : `levenshtein(${a[0]}, ${a[1]})`,
    args: [2, 3],
  },
  locate: {
    status: 'supported',
    emit: (a) => (a.length > 2 ? `spark_locate(${a[0]}, ${a[1]}, ${a[2]})` : `instr(${a[1]}, ${a[0]})`),
  },
  lower: { status: 'supported', emit: 'lower' },
  lpad: { status: 'supported', emit: (a) => `lpad(${a[0]}, ${a[1]}, ${n(a, 2, "' '")})` },
  ltrim: { status: 'supported', emit: (a) => (a.length > 1 ? `ltrim(${a[1]}, ${a[0]})` : `ltrim(${a[0]}, ' ')`) },
  md5: { status: 'supported', emit: 'md5' },
  octet_length: { status: 'supported', emit: (a) => `octet_length(encode(${a[0]}))` },
  overlay: { status: 'supported', emit: 'spark_overlay' },
  position: {
    status: 'supported',
    emit: (a) => (a.length > 2 ? `spark_locate(${a[0]}, ${a[1]}, ${a[2]})` : `instr(${a[1]}, ${a[0]})`),
  },
  printf: { status: 'different', emit: 'printf', note: 'printf-style formats follow C, not java.util.Formatter' },
  regexp: { status: 'supported', emit: (a) => `regexp_matches(${a[0]}, ${a[1]})` },
  regexp_count: { status: 'supported', emit: (a) => `len(regexp_extract_all(${a[0]}, ${a[1]}))` },
  regexp_extract: { status: 'supported', emit: (a) => `regexp_extract(${a[0]}, ${a[1]}, ${n(a, 2, '1')})` },
  regexp_extract_all: { status: 'supported', emit: (a) => `regexp_extract_all(${a[0]}, ${a[1]}, ${n(a, 2, '1')})` },
  regexp_like: { status: 'supported', emit: (a) => `regexp_matches(${a[0]}, ${a[1]})` },
  regexp_replace: {
    status: 'supported',
    emit: (a) => `regexp_replace(${a[0]}, ${a[1]}, spark_regexp_repl(${a[2]}), 'g')`,
  },
  regexp_substr: { status: 'supported', emit: (a) => `nullif(regexp_extract(${a[0]}, ${a[1]}), '')` },
  repeat: { status: 'supported', emit: (a) => `repeat(${a[0]}, greatest(${a[1]}, 0))` },
  replace: { status: 'supported', emit: (a) => `replace(${a[0]}, ${a[1]}, ${n(a, 2, "''")})` },
  reverse: { status: 'supported', emit: 'spark_reverse' },
  right: { status: 'supported', emit: (a) => `right(${a[0]}, greatest(${a[1]}, 0))` },
  rlike: { status: 'supported', emit: (a) => `regexp_matches(${a[0]}, ${a[1]})` },
  rpad: { status: 'supported', emit: (a) => `rpad(${a[0]}, ${a[1]}, ${n(a, 2, "' '")})` },
  rtrim: { status: 'supported', emit: (a) => (a.length > 1 ? `rtrim(${a[1]}, ${a[0]})` : `rtrim(${a[0]}, ' ')`) },
  sha: { status: 'supported', emit: 'sha1' },
  sha1: { status: 'supported', emit: 'sha1' },
  sha2: { status: 'different', emit: (a) => `sha256(${a[0]})`, note: 'only 256 bits' },
  space: { status: 'supported', emit: (a) => `repeat(' ', greatest(${a[0]}, 0))` },
  split: {
    status: 'supported',
    emit: (a) =>
      a.length > 2 ? `spark_split_limit(${a[0]}, ${a[1]}, ${a[2]})` : `regexp_split_to_array(${a[0]}, ${a[1]})`,
  },
  split_part: { status: 'supported', emit: 'split_part' },
  startswith: { status: 'supported', emit: 'spark_starts_with', args: [2, 2] },
  substr: { status: 'supported', emit: (a) => `spark_substr(${a[0]}, ${a[1]}, ${n(a, 2, '2147483647')})` },
  substring: { status: 'supported', emit: (a) => `spark_substr(${a[0]}, ${a[1]}, ${n(a, 2, '2147483647')})` },
  substring_index: { status: 'supported', emit: 'spark_substring_index' },
  translate: { status: 'supported', emit: 'translate' },
  trim: { status: 'supported', emit: (a) => (a.length > 1 ? `trim(${a[1]}, ${a[0]})` : `trim(${a[0]}, ' ')`) },
  ucase: { status: 'supported', emit: 'upper' },
  unbase64: { status: 'supported', emit: 'from_base64' },
  upper: { status: 'supported', emit: 'upper' },
  uuid: { status: 'different', emit: () => 'CAST(uuid() AS VARCHAR)', note: 'random, as in Spark' },
  url_decode: { status: 'supported', emit: 'url_decode' },
  url_encode: { status: 'different', emit: 'url_encode', note: 'spaces become %20, not +' },
  // dates and times
  add_months: {
    status: 'supported',
    emit: (a) => `CAST(CAST(${a[0]} AS DATE) + to_months(CAST(${a[1]} AS INTEGER)) AS DATE)`,
  },
  current_date: { status: 'supported', emit: () => 'current_date' },
  curdate: { status: 'supported', emit: () => 'current_date' },
  current_timestamp: { status: 'supported', emit: () => 'CAST(current_timestamp AS TIMESTAMP)' },
  now: { status: 'supported', emit: () => 'CAST(current_timestamp AS TIMESTAMP)' },
  current_timezone: { status: 'supported', emit: () => "current_setting('TimeZone')" },
  date_add: { status: 'supported', emit: (a) => `CAST(CAST(${a[0]} AS DATE) + CAST(${a[1]} AS INTEGER) AS DATE)` },
  dateadd: {
    status: 'supported',
    emit: (a) => (a.length === 3 ? timestampAdd(a) : `CAST(CAST(${a[0]} AS DATE) + CAST(${a[1]} AS INTEGER) AS DATE)`),
  },
  date_diff: { status: 'supported', emit: (a) => `date_diff('day', CAST(${a[1]} AS DATE), CAST(${a[0]} AS DATE))` },
  date_format: { status: 'supported', emit: (a) => `strftime(CAST(${a[0]} AS TIMESTAMP), ${fmtArg(a[1])})` },
  date_from_unix_date: {
    status: 'supported',
    emit: (a) => `CAST(DATE '1970-01-01' + CAST(${a[0]} AS INTEGER) AS DATE)`,
  },
  date_sub: { status: 'supported', emit: (a) => `CAST(CAST(${a[0]} AS DATE) - CAST(${a[1]} AS INTEGER) AS DATE)` },
  date_trunc: {
    status: 'supported',
    emit: (a) => `CAST(date_trunc(${truncUnit(a[0])}, CAST(${a[1]} AS TIMESTAMP)) AS TIMESTAMP)`,
  },
  datediff: { status: 'supported', emit: (a) => `date_diff('day', CAST(${a[1]} AS DATE), CAST(${a[0]} AS DATE))` },
  day: { status: 'supported', emit: (a) => `day(CAST(${a[0]} AS DATE))` },
  dayofmonth: { status: 'supported', emit: (a) => `day(CAST(${a[0]} AS DATE))` },
  dayofweek: { status: 'supported', emit: (a) => `(dayofweek(CAST(${a[0]} AS DATE)) + 1)` },
  dayofyear: { status: 'supported', emit: (a) => `dayofyear(CAST(${a[0]} AS DATE))` },
  from_unixtime: {
    status: 'supported',
    emit: (a) =>
      `strftime(to_timestamp(CAST(${a[0]} AS BIGINT))::TIMESTAMP, ${fmtArg(a[1] ?? "'yyyy-MM-dd HH:mm:ss'")})`,
  },
  hour: { status: 'supported', emit: (a) => `hour(CAST(${a[0]} AS TIMESTAMP))` },
  last_day: { status: 'supported', emit: (a) => `last_day(CAST(${a[0]} AS DATE))` },
  make_date: { status: 'supported', emit: 'make_date' },
  make_timestamp: { status: 'supported', emit: (a) => `make_timestamp(${a.slice(0, 6).join(', ')})` },
  minute: { status: 'supported', emit: (a) => `minute(CAST(${a[0]} AS TIMESTAMP))` },
  month: { status: 'supported', emit: (a) => `month(CAST(${a[0]} AS DATE))` },
  months_between: {
    status: 'supported',
    emit: (a) => `spark_months_between(CAST(${a[0]} AS TIMESTAMP), CAST(${a[1]} AS TIMESTAMP), ${n(a, 2, 'true')})`,
  },
  next_day: { status: 'supported', emit: (a) => `spark_next_day(CAST(${a[0]} AS DATE), ${a[1]})` },
  quarter: { status: 'supported', emit: (a) => `quarter(CAST(${a[0]} AS DATE))` },
  second: { status: 'supported', emit: (a) => `CAST(floor(second(CAST(${a[0]} AS TIMESTAMP))) AS INTEGER)` },
  timestamp_seconds: { status: 'supported', emit: (a) => `CAST(to_timestamp(${a[0]}) AS TIMESTAMP)` },
  timestamp_millis: { status: 'supported', emit: (a) => `CAST(epoch_ms(CAST(${a[0]} AS BIGINT)) AS TIMESTAMP)` },
  timestamp_micros: { status: 'supported', emit: (a) => `make_timestamp(CAST(${a[0]} AS BIGINT))` },
  to_date: {
    status: 'supported',
    emit: (a) => (a.length > 1 ? `CAST(strptime(${a[0]}, ${fmtArg(a[1])}) AS DATE)` : `CAST(${a[0]} AS DATE)`),
  },
  to_timestamp: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 ? `CAST(strptime(${a[0]}, ${fmtArg(a[1])}) AS TIMESTAMP)` : `CAST(${a[0]} AS TIMESTAMP)`,
  },
  trunc: { status: 'supported', emit: (a) => `CAST(date_trunc(${truncUnit(a[1])}, CAST(${a[0]} AS DATE)) AS DATE)` },
  to_unix_timestamp: {
    status: 'supported',
    emit: (a) =>
      a.length > 1
        ? `CAST(epoch(strptime(${a[0]}, ${fmtArg(a[1])})) AS BIGINT)`
        : `CAST(epoch(CAST(${a[0]} AS TIMESTAMP)) AS BIGINT)`,
  },
  unix_date: { status: 'supported', emit: (a) => `date_diff('day', DATE '1970-01-01', CAST(${a[0]} AS DATE))` },
  unix_micros: { status: 'supported', emit: (a) => `epoch_us(CAST(${a[0]} AS TIMESTAMP))` },
  unix_millis: { status: 'supported', emit: (a) => `epoch_ms(CAST(${a[0]} AS TIMESTAMP))` },
  unix_seconds: { status: 'supported', emit: (a) => `CAST(epoch(CAST(${a[0]} AS TIMESTAMP)) AS BIGINT)` },
  unix_timestamp: {
    status: 'supported',
    emit: (a) =>
      a.length === 0
        ? 'CAST(epoch(current_timestamp) AS BIGINT)'
        : a.length > 1
          ? `CAST(epoch(strptime(${a[0]}, ${fmtArg(a[1])})) AS BIGINT)`
          : `CAST(epoch(CAST(${a[0]} AS TIMESTAMP)) AS BIGINT)`,
  },
  weekday: { status: 'supported', emit: (a) => `((dayofweek(CAST(${a[0]} AS DATE)) + 6) % 7)` },
  weekofyear: { status: 'supported', emit: (a) => `weekofyear(CAST(${a[0]} AS DATE))` },
  year: { status: 'supported', emit: (a) => `year(CAST(${a[0]} AS DATE))` },
  // aggregates
  any: { status: 'supported', emit: 'bool_or' },
  any_value: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 && /^true$/i.test(a[1]!.trim())
        ? `first(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)`
        : `first(${a[0]})`,
  },
  approx_count_distinct: {
    status: 'different',
    emit: (a) => `approx_count_distinct(${a[0]})`,
    note: 'different sketch: estimates may differ',
  },
  approx_percentile: {
    status: 'different',
    emit: (a) => `approx_quantile(${a[0]}, ${quantileArg(a[1]!)})`,
    note: 'different sketch: estimates may differ',
  },
  array_agg: { status: 'supported', emit: (a) => `coalesce(list(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL), [])` },
  avg: {
    status: 'different',
    emit: 'avg',
    note: 'DOUBLE for DECIMAL(p,s) inputs, in Spark DECIMAL(p+4,s+4) (same value to ~15 digits)',
  },
  bit_and: { status: 'supported', emit: 'bit_and' },
  bit_or: { status: 'supported', emit: 'bit_or' },
  bit_xor: { status: 'supported', emit: 'bit_xor' },
  bool_and: { status: 'supported', emit: 'bool_and' },
  bool_or: { status: 'supported', emit: 'bool_or' },
  collect_list: { status: 'supported', emit: (a) => `coalesce(list(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL), [])` },
  collect_set: {
    status: 'supported',
    emit: (a) => `coalesce(list(DISTINCT ${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL), [])`,
    note: 'element order unspecified (as in Spark)',
  },
  corr: { status: 'supported', emit: 'corr' },
  count: { status: 'supported', emit: 'count' },
  count_if: { status: 'supported', emit: 'count_if' },
  covar_pop: { status: 'supported', emit: 'covar_pop' },
  covar_samp: { status: 'supported', emit: 'covar_samp' },
  every: { status: 'supported', emit: 'bool_and' },
  first: {
    status: 'supported',
    // IGNORE NULLS is a window-only clause in DuckDB; the FILTER works for aggregates and windows
    emit: (a) =>
      a.length > 1 && /^true$/i.test(a[1]!.trim())
        ? `first(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)`
        : `first(${a[0]})`,
  },
  first_value: {
    status: 'supported',
    // IGNORE NULLS is a window-only clause in DuckDB; the FILTER works for aggregates and windows
    emit: (a) =>
      a.length > 1 && /^true$/i.test(a[1]!.trim())
        ? `first(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)`
        : `first(${a[0]})`,
  },
  kurtosis: { status: 'different', emit: 'kurtosis_pop', note: 'population excess kurtosis' },
  last: {
    status: 'supported',
    // IGNORE NULLS is a window-only clause in DuckDB; the FILTER works for aggregates and windows
    emit: (a) =>
      a.length > 1 && /^true$/i.test(a[1]!.trim())
        ? `last(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)`
        : `last(${a[0]})`,
  },
  last_value: {
    status: 'supported',
    // IGNORE NULLS is a window-only clause in DuckDB; the FILTER works for aggregates and windows
    emit: (a) =>
      a.length > 1 && /^true$/i.test(a[1]!.trim())
        ? `last(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)`
        : `last(${a[0]})`,
  },
  listagg: { status: 'supported', emit: (a) => `string_agg(${a[0]}, ${n(a, 1, "''")})` },
  max: { status: 'supported', emit: 'max' },
  max_by: { status: 'supported', emit: 'arg_max_null' },
  mean: {
    status: 'different',
    emit: 'avg',
    note: 'DOUBLE for DECIMAL(p,s) inputs, in Spark DECIMAL(p+4,s+4) (same value to ~15 digits)',
  },
  median: { status: 'supported', emit: (a) => `quantile_cont(${a[0]}, 0.5)` },
  min: { status: 'supported', emit: 'min' },
  min_by: { status: 'supported', emit: 'arg_min_null' },
  mode: {
    status: 'different',
    emit: (a) => `mode(${a[0]})`,
    note: 'ties may pick a different value (the deterministic flag is ignored)',
  },
  dayname: { status: 'supported', emit: (a) => `strftime(CAST(${a[0]} AS TIMESTAMP), '%a')`, args: [1, 1] },
  monthname: { status: 'supported', emit: (a) => `strftime(CAST(${a[0]} AS TIMESTAMP), '%b')`, args: [1, 1] },
  percentile: { status: 'supported', emit: (a) => `quantile_cont(${a[0]}, ${a[1]})` },
  percentile_approx: {
    status: 'different',
    emit: (a) => `approx_quantile(${a[0]}, ${quantileArg(a[1]!)})`,
    note: 'different sketch: estimates may differ',
  },
  product: { status: 'supported', emit: 'product' },
  skewness: { status: 'different', emit: 'skewness', note: 'sample skewness (Spark: population)' },
  some: { status: 'supported', emit: 'bool_or' },
  std: { status: 'supported', emit: 'stddev_samp' },
  stddev: { status: 'supported', emit: 'stddev_samp' },
  stddev_pop: { status: 'supported', emit: 'stddev_pop' },
  stddev_samp: { status: 'supported', emit: 'stddev_samp' },
  string_agg: { status: 'supported', emit: (a) => `string_agg(${a[0]}, ${n(a, 1, "''")})` },
  sum: {
    status: 'supported',
    emit: 'sum',
    note: 'BIGINT for integral inputs; a DECIMAL(p,s) sum is typed DECIMAL(38,s), in Spark DECIMAL(p+10,s)',
  },
  try_avg: {
    status: 'different',
    emit: 'avg',
    note: 'DOUBLE for DECIMAL(p,s) inputs, in Spark DECIMAL(p+4,s+4) (same value to ~15 digits)',
  },
  try_sum: {
    status: 'supported',
    emit: 'sum',
    note: 'BIGINT for integral inputs; a DECIMAL(p,s) sum is typed DECIMAL(38,s), in Spark DECIMAL(p+10,s)',
  },
  var_pop: { status: 'supported', emit: 'var_pop' },
  var_samp: { status: 'supported', emit: 'var_samp' },
  variance: { status: 'supported', emit: 'var_samp' },
  regr_count: { status: 'supported', emit: 'regr_count' },
  regr_slope: { status: 'supported', emit: 'regr_slope' },
  regr_intercept: { status: 'supported', emit: 'regr_intercept' },
  regr_r2: { status: 'supported', emit: 'regr_r2' },
  // window
  cume_dist: { status: 'supported', emit: 'cume_dist' },
  dense_rank: { status: 'supported', emit: 'dense_rank' },
  lag: { status: 'supported', emit: 'lag' },
  lead: { status: 'supported', emit: 'lead' },
  nth_value: { status: 'supported', emit: 'nth_value' },
  ntile: { status: 'supported', emit: 'ntile' },
  percent_rank: { status: 'supported', emit: 'percent_rank' },
  rank: { status: 'supported', emit: 'rank' },
  row_number: { status: 'supported', emit: 'row_number' },
  // arrays
  array: { status: 'supported', emit: (a) => `[${a.join(', ')}]` },
  array_append: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[0]} IS NOT NULL THEN list_append(${a[0]}, ${a[1]}) END`,
  },
  array_compact: { status: 'supported', emit: (a) => `list_filter(${a[0]}, lambda x: x IS NOT NULL)` },
  array_contains: {
    status: 'supported',
    emit: (a) =>
      `CASE WHEN list_contains(${a[0]}, ${a[1]}) THEN true WHEN ${a[1]} IS NULL OR list_contains(list_transform(${a[0]}, lambda x: x IS NULL), true) THEN NULL ELSE list_contains(${a[0]}, ${a[1]}) END`,
  },
  array_distinct: { status: 'supported', emit: 'spark_array_distinct' },
  array_except: {
    status: 'supported',
    emit: (a) => `spark_array_distinct(list_filter(${a[0]}, lambda __x: coalesce(list_position(${a[1]}, __x), 0) = 0))`,
  },
  array_insert: {
    status: 'different',
    emit: 'spark_array_insert',
    note: 'a position past either end does not pad with NULLs',
  },
  array_intersect: {
    status: 'supported',
    emit: (a) => `spark_array_distinct(list_filter(${a[0]}, lambda __x: coalesce(list_position(${a[1]}, __x), 0) > 0))`,
  },
  array_join: {
    status: 'supported',
    emit: (a) =>
      a.length > 2
        ? `array_to_string(list_transform(${a[0]}, lambda x: coalesce(CAST(x AS VARCHAR), ${a[2]})), ${a[1]})`
        : `array_to_string(${a[0]}, ${a[1]})`,
  },
  array_max: { status: 'supported', emit: 'list_max' },
  array_min: { status: 'supported', emit: 'list_min' },
  array_position: {
    status: 'supported',
    emit: (a) => `CAST(coalesce(list_position(${a[0]}, ${a[1]}), CASE WHEN ${a[0]} IS NOT NULL THEN 0 END) AS BIGINT)`,
  },
  array_prepend: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[0]} IS NOT NULL THEN list_prepend(${a[1]}, ${a[0]}) END`,
  },
  array_remove: { status: 'supported', emit: (a) => `list_filter(${a[0]}, lambda x: x IS DISTINCT FROM ${a[1]})` },
  array_repeat: { status: 'supported', emit: (a) => `list_transform(range(${a[1]}), lambda _x: ${a[0]})` },
  array_size: { status: 'supported', emit: 'len' },
  array_sort: { status: 'supported', emit: (a) => `list_sort(${a[0]}, 'ASC', 'NULLS LAST')` },
  array_union: {
    status: 'supported',
    emit: (a) =>
      `CASE WHEN ${a[0]} IS NOT NULL AND ${a[1]} IS NOT NULL THEN spark_array_distinct(list_concat(${a[0]}, ${a[1]})) END`,
  },
  arrays_overlap: { status: 'supported', emit: 'spark_arrays_overlap' },
  arrays_zip: { status: 'supported', emit: (a) => arraysZip(a) },
  cardinality: { status: 'supported', emit: (a) => `CAST(len(${a[0]}) AS INTEGER)` },
  get: { status: 'supported', emit: (a) => `${a[0]}[(${a[1]}) + 1]` },
  element_at: { status: 'supported', emit: (a) => `${a[0]}[${a[1]}]` },
  try_element_at: { status: 'supported', emit: (a) => `${a[0]}[${a[1]}]` },
  exists: {
    status: 'supported',
    // three-valued as in Spark: true if one is true, else NULL if one is NULL (an empty array: false)
    emit: (a) => {
      const r = `list_transform(${a[0]}, ${a[1]})`;
      return `CASE WHEN ${a[0]} IS NULL THEN NULL WHEN list_bool_or(list_transform(${r}, lambda __b: __b = true)) THEN true WHEN len(list_filter(${r}, lambda __b: __b IS NULL)) > 0 THEN NULL ELSE false END`;
    },
  },
  explode: { status: 'supported', emit: 'unnest' },
  explode_outer: {
    status: 'supported',
    // a NULL or empty array gives one row with a NULL element
    emit: (a) => `unnest(CASE WHEN ${a[0]} IS NULL OR len(${a[0]}) = 0 THEN [NULL] ELSE ${a[0]} END)`,
  },
  filter: { status: 'supported', emit: (a) => `list_filter(${a[0]}, ${indexedLambda(a[1]!)})` },
  flatten: {
    status: 'supported',
    emit: (a) =>
      `CASE WHEN NOT list_bool_or(list_transform(${a[0]}, lambda __x: __x IS NULL)) THEN flatten(${a[0]}) END`,
  },
  forall: {
    status: 'supported',
    // three-valued as in Spark: false if one is false, else NULL if one is NULL (an empty array: true)
    emit: (a) => {
      const r = `list_transform(${a[0]}, ${a[1]})`;
      return `CASE WHEN ${a[0]} IS NULL THEN NULL WHEN list_bool_or(list_transform(${r}, lambda __b: __b = false)) THEN false WHEN len(list_filter(${r}, lambda __b: __b IS NULL)) > 0 THEN NULL ELSE true END`;
    },
  },
  aggregate: { status: 'supported', emit: (a) => `list_reduce(${a[0]}, ${a[2]}, ${a[1]})` },
  reduce: { status: 'supported', emit: (a) => `list_reduce(${a[0]}, ${a[2]}, ${a[1]})` },
  sequence: { status: 'supported', emit: (a) => `generate_series(${a.join(', ')})` },
  shuffle: { status: 'different', emit: (a) => `list_sort(${a[0]})`, note: 'not random' },
  size: { status: 'supported', emit: (a) => `CAST(len(${a[0]}) AS INTEGER)` },
  slice: { status: 'supported', emit: (a) => `spark_slice(${a[0]}, ${a[1]}, ${a[2]})` },
  sort_array: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 && /false/i.test(a[1])
        ? `list_sort(${a[0]}, 'DESC', 'NULLS LAST')`
        : `list_sort(${a[0]}, 'ASC', 'NULLS FIRST')`,
  },
  transform: { status: 'supported', emit: (a) => `list_transform(${a[0]}, ${indexedLambda(a[1]!)})` },
  zip_with: {
    status: 'supported',
    emit: (a) =>
      `CASE WHEN ${a[0]} IS NOT NULL AND ${a[1]} IS NOT NULL THEN list_transform(list_zip(${a[0]}, ${a[1]}), lambda __z: ${applyLambda(a[2]!, ['__z[1]', '__z[2]'])}) END`,
  },
  map_filter: {
    status: 'supported',
    emit: (a) =>
      `map_from_entries(list_filter(map_entries(${a[0]}), lambda __e: ${applyLambda(a[1]!, ['__e.key', '__e.value'])}))`,
  },
  transform_values: {
    status: 'supported',
    emit: (a) =>
      `map_from_entries(list_transform(map_entries(${a[0]}), lambda __e: {'key': __e.key, 'value': ${applyLambda(a[1]!, ['__e.key', '__e.value'])}}))`,
  },
  transform_keys: {
    status: 'supported',
    emit: (a) =>
      `map_from_entries(list_transform(map_entries(${a[0]}), lambda __e: {'key': ${applyLambda(a[1]!, ['__e.key', '__e.value'])}, 'value': __e.value}))`,
  },
  array_reverse: { status: 'supported', emit: 'list_reverse' },
  // maps and structs
  map: {
    status: 'supported',
    emit: (a) =>
      `MAP([${a.filter((_, i) => i % 2 === 0).join(', ')}], [${a.filter((_, i) => i % 2 === 1).join(', ')}])`,
  },
  map_contains_key: { status: 'supported', emit: (a) => `list_contains(map_keys(${a[0]}), ${a[1]})` },
  map_entries: { status: 'different', emit: 'map_entries', note: 'struct field names are key/value' },
  map_from_arrays: { status: 'supported', emit: (a) => `MAP(${a[0]}, ${a[1]})` },
  map_keys: { status: 'supported', emit: 'map_keys' },
  map_values: { status: 'supported', emit: 'map_values' },
  map_concat: {
    status: 'supported',
    // NULL when a map is NULL, as in Spark
    emit: (a) => `CASE WHEN ${a.map((x) => `${x} IS NOT NULL`).join(' AND ')} THEN map_concat(${a.join(', ')}) END`,
  },
  map_from_entries: { status: 'supported', emit: 'map_from_entries' },
  named_struct: { status: 'supported', emit: (a) => `struct_pack(${namedPairs(a)})` },
  struct: { status: 'supported', emit: (a) => `row(${a.join(', ')})` },
  // json
  get_json_object: { status: 'supported', emit: (a) => `json_extract_string(${a[0]}, ${a[1]})` },
  json_array_length: { status: 'supported', emit: (a) => `CAST(json_array_length(${a[0]}) AS INTEGER)` },
  json_object_keys: { status: 'supported', emit: 'json_keys' },
  to_json: {
    status: 'different',
    emit: (a) => `CAST(to_json(${a[0]}) AS VARCHAR)`,
    note: 'number formatting may differ',
  },
  // misc
  current_catalog: { status: 'supported', emit: () => "'__LAKEBOX_CATALOG__'" },
  current_database: { status: 'supported', emit: () => "'__LAKEBOX_SCHEMA__'" },
  current_schema: { status: 'supported', emit: () => "'__LAKEBOX_SCHEMA__'" },
  current_user: { status: 'supported', emit: () => "'__LAKEBOX_USER__'" },
  user: { status: 'supported', emit: () => "'__LAKEBOX_USER__'" },
  session_user: { status: 'supported', emit: () => "'__LAKEBOX_USER__'" },
  crc32: { status: 'different', emit: (a) => `hash(${a[0]})`, note: 'not CRC32' },
  hash: { status: 'different', emit: 'hash', note: 'a different hash function than Murmur3' },
  xxhash64: { status: 'different', emit: 'hash', note: 'a different hash function' },
  monotonically_increasing_id: { status: 'supported', emit: () => '(row_number() OVER () - 1)' },
  spark_partition_id: { status: 'supported', emit: () => '0' },
  typeof: {
    status: 'different',
    emit: (a) => `spark_type_name(typeof(${a[0]}))`,
    note: "Spark's names for scalar types and one level of array/map/struct; deeper nesting keeps DuckDB's spelling",
  },
  sec: { status: 'supported', emit: (a) => `(1.0 / cos(${a[0]}))`, args: [1, 1] },
  csc: { status: 'supported', emit: (a) => `(1.0 / sin(${a[0]}))`, args: [1, 1] },
  try_mod: {
    status: 'supported',
    emit: (a) => `CASE WHEN ${a[1]} = 0 THEN NULL ELSE ${a[0]} % ${a[1]} END`,
    args: [2, 2],
  },
  // cast functions: float('NaN'), int(x), string(x), ...
  float: { status: 'supported', emit: (a) => `CAST(${a[0]} AS FLOAT)`, args: [1, 1] },
  double: { status: 'supported', emit: (a) => `CAST(${a[0]} AS DOUBLE)`, args: [1, 1] },
  int: { status: 'supported', emit: (a) => `CAST(${a[0]} AS INTEGER)`, args: [1, 1] },
  bigint: { status: 'supported', emit: (a) => `CAST(${a[0]} AS BIGINT)`, args: [1, 1] },
  smallint: { status: 'supported', emit: (a) => `CAST(${a[0]} AS SMALLINT)`, args: [1, 1] },
  tinyint: { status: 'supported', emit: (a) => `CAST(${a[0]} AS TINYINT)`, args: [1, 1] },
  string: { status: 'supported', emit: (a) => `CAST(${a[0]} AS VARCHAR)`, args: [1, 1] },
  version: { status: 'different', emit: () => "'lakebox'" },
  greatest_: { status: 'supported', emit: 'greatest' },
  try_cast: { status: 'supported', emit: 'try_cast' },
  bit_count: { status: 'supported', emit: 'bit_count' },
  shiftleft: {
    status: 'supported',
    emit: (a) => `(CASE WHEN ${a[0]} < 0 THEN -((-(${a[0]})) << ${a[1]}) ELSE ${a[0]} << ${a[1]} END)`,
  },
  shiftright: { status: 'supported', emit: (a) => `(${a[0]} >> ${a[1]})` },
  input_file_name: { status: 'different', emit: () => "''", note: 'always empty' },
  // pattern matching: Spark's default escape character is the backslash
  like: {
    status: 'supported',
    emit: (a) => `(${a[0]} LIKE ${a[1]} ESCAPE ${escapeChar(a[2])})`,
    args: [2, 3],
  },
  ilike: {
    status: 'supported',
    emit: (a) => `(${a[0]} ILIKE ${a[1]} ESCAPE ${escapeChar(a[2])})`,
    args: [2, 3],
  },
  regexp_instr: {
    status: 'different',
    emit: (a) => `spark_regexp_instr(${a[0]}, ${a[1]}, ${n(a, 2, '0')})`,
    note: 'the position of the first occurrence of the matched text',
    args: [2, 3],
  },
  // bits
  shiftrightunsigned: { status: 'supported', emit: 'spark_shiftrightunsigned', args: [2, 2] },
  bit_get: { status: 'supported', emit: (a) => `spark_bit_get(${a[0]}, ${a[1]})`, args: [2, 2] },
  getbit: { status: 'supported', emit: (a) => `spark_bit_get(${a[0]}, ${a[1]})`, args: [2, 2] },
  bitmap_bit_position: {
    status: 'supported',
    emit: (a) => `CAST(CASE WHEN ${a[0]} > 0 THEN (${a[0]} - 1) % 32768 ELSE (-(${a[0]})) % 32768 END AS BIGINT)`,
    args: [1, 1],
  },
  bitmap_bucket_number: {
    status: 'supported',
    emit: (a) => `CAST(CASE WHEN ${a[0]} > 0 THEN 1 + (${a[0]} - 1) // 32768 ELSE ${a[0]} // 32768 END AS BIGINT)`,
    args: [1, 1],
  },
  // random values (the sequence differs from Spark's for a given seed)
  to_char: {
    status: 'different',
    emit: (a) => toChar(a),
    note: 'numbers only; formats of 0, 9, ".", ",", "$"',
    args: [2, 2],
  },
  to_varchar: {
    status: 'different',
    emit: (a) => toChar(a),
    note: 'numbers only; formats of 0, 9, ".", ",", "$"',
    args: [2, 2],
  },
  to_number: {
    status: 'different',
    emit: (a) => toNumber(a, false),
    note: 'formats of 0, 9, ".", ",", "$"',
    args: [2, 2],
  },
  try_to_number: {
    status: 'different',
    emit: (a) => toNumber(a, true),
    note: 'formats of 0, 9, ".", ",", "$"',
    args: [2, 2],
  },
  uniform: {
    status: 'different',
    emit: (a) => `spark_uniform(${a[0]}, ${a[1]})`,
    note: 'seed argument ignored; different random sequence',
    args: [2, 3],
  },
  randstr: {
    status: 'different',
    emit: (a) =>
      `array_to_string(list_transform(range(CAST(${a[0]} AS INTEGER)), lambda __i: substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 1 + CAST(floor(random() * 62) AS INTEGER), 1)), '')`,
    note: 'seed argument ignored; different random sequence',
    args: [1, 2],
  },
  randn: {
    status: 'different',
    emit: () => '(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))',
    note: 'seed argument ignored; different random sequence',
    args: [0, 1],
  },
  // strings
  mask: {
    status: 'supported',
    emit: (a) =>
      `spark_mask(${a[0]}, ${n(a, 1, "'X'")}, ${n(a, 2, "'x'")}, ${n(a, 3, "'n'")}, ${n(a, 4, 'CAST(NULL AS VARCHAR)')})`,
    args: [1, 5],
  },
  str_to_map: {
    status: 'different',
    emit: (a) => `spark_str_to_map(${a[0]}, ${n(a, 1, "','")}, ${n(a, 2, "':'")})`,
    note: 'delimiters are plain strings (Spark: regular expressions)',
    args: [1, 3],
  },
  parse_url: {
    status: 'supported',
    emit: (a) =>
      `CASE WHEN spark_url_ok(${a[0]}) THEN ${parseUrl(a)} ELSE error('[INVALID_URL] The url is invalid: ' || ${a[0]} || '. Use \`try_parse_url\` to tolerate invalid URL and return NULL instead. SQLSTATE: 22P02') END`,
    args: [2, 3],
  },
  try_parse_url: {
    status: 'supported',
    emit: (a) => `CASE WHEN spark_url_ok(${a[0]}) THEN ${parseUrl(a)} END`,
    args: [2, 3],
  },
  try_url_decode: { status: 'supported', emit: (a) => `TRY(url_decode(${a[0]}))`, args: [1, 1] },
  collation: { status: 'supported', emit: () => "'SYSTEM.BUILTIN.UTF8_BINARY'", args: [1, 1] },
  is_valid_utf8: { status: 'supported', emit: 'spark_is_valid_utf8', args: [1, 1] },
  make_valid_utf8: { status: 'supported', emit: 'spark_make_valid_utf8', args: [1, 1] },
  validate_utf8: { status: 'supported', emit: 'spark_validate_utf8', args: [1, 1] },
  try_validate_utf8: { status: 'supported', emit: 'spark_try_validate_utf8', args: [1, 1] },
  to_binary: { status: 'supported', emit: (a) => toBinary(a, false), args: [1, 2] },
  try_to_binary: { status: 'supported', emit: (a) => toBinary(a, true), args: [1, 2] },
  soundex: { status: 'supported', emit: 'spark_soundex', args: [1, 1] },
  // dates and times
  to_timestamp_ntz: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 ? `CAST(strptime(${a[0]}, ${fmtArg(a[1])}) AS TIMESTAMP)` : `CAST(${a[0]} AS TIMESTAMP)`,
    args: [1, 2],
  },
  to_timestamp_ltz: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 ? `CAST(strptime(${a[0]}, ${fmtArg(a[1])}) AS TIMESTAMP)` : `CAST(${a[0]} AS TIMESTAMP)`,
    args: [1, 2],
  },
  try_to_timestamp: {
    status: 'supported',
    emit: (a) =>
      a.length > 1 ? `CAST(try_strptime(${a[0]}, ${fmtArg(a[1])}) AS TIMESTAMP)` : `TRY_CAST(${a[0]} AS TIMESTAMP)`,
    args: [1, 2],
  },
  make_timestamp_ntz: { status: 'supported', emit: (a) => `make_timestamp(${a.slice(0, 6).join(', ')})`, args: [6, 6] },
  make_timestamp_ltz: {
    status: 'supported',
    emit: (a) => makeTimestampLtz(a),
    args: [6, 7],
  },
  try_make_timestamp: {
    status: 'supported',
    emit: (a) => `TRY(${makeTimestampLtz(a)})`,
    args: [6, 7],
  },
  try_make_timestamp_ntz: {
    status: 'supported',
    emit: (a) => `TRY(make_timestamp(${a.slice(0, 6).join(', ')}))`,
    args: [6, 6],
  },
  try_make_timestamp_ltz: {
    status: 'supported',
    emit: (a) => `TRY(${makeTimestampLtz(a)})`,
    args: [6, 7],
  },
  from_utc_timestamp: {
    status: 'supported',
    emit: (a) => `timezone(${a[1]}, timezone('UTC', CAST(${a[0]} AS TIMESTAMP)))`,
    args: [2, 2],
  },
  to_utc_timestamp: {
    status: 'supported',
    emit: (a) => `timezone('UTC', timezone(${a[1]}, CAST(${a[0]} AS TIMESTAMP)))`,
    args: [2, 2],
  },
  convert_timezone: {
    status: 'supported',
    emit: (a) =>
      a.length === 2
        ? `timezone(${a[0]}, timezone('UTC', CAST(${a[1]} AS TIMESTAMP)))`
        : `timezone(${a[1]}, timezone(${a[0]}, CAST(${a[2]} AS TIMESTAMP)))`,
    args: [2, 3],
  },
  timestampadd: { status: 'supported', emit: (a) => timestampAdd(a), args: [3, 3] },
  timestampdiff: { status: 'supported', emit: (a) => timestampDiff(a), args: [3, 3] },
  // json
  schema_of_json: { status: 'supported', emit: (a) => schemaOfJson(a[0]), args: [1, 2] },
};

/** Spark returns INT from these where DuckDB's counterparts return BIGINT. */
export const INT_RESULT = [
  'length',
  'char_length',
  'character_length',
  'bit_length',
  'octet_length',
  'instr',
  'locate',
  'position',
  'levenshtein',
  'year',
  'month',
  'day',
  'dayofmonth',
  'dayofweek',
  'dayofyear',
  'weekofyear',
  'quarter',
  'weekday',
  'hour',
  'minute',
  'datediff',
  'date_diff',
];
for (const name of INT_RESULT) {
  const spec = FUNCTIONS[name]!;
  const inner = spec.emit;
  spec.emit = (a) => `CAST(${typeof inner === 'string' ? `${inner}(${a.join(', ')})` : inner(a)} AS INTEGER)`;
}
delete FUNCTIONS.greatest_;

function namedPairs(a: string[]): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) {
    const name = literal(a[i]);
    if (name === undefined)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'named_struct field names must be string literals');
    out.push(`"${name.replaceAll('"', '""')}" := ${a[i + 1]}`);
  }
  return out.join(', ');
}

/** DuckDB macros that implement Spark semantics; created once per database. */
/** DuckDB `error()` message of Spark's DIVIDE_BY_ZERO (engine.ts mapDuckError turns it into the error class). */
export const DIVIDE_BY_ZERO_MESSAGE =
  '[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. If necessary set "spark.sql.ansi.enabled" to "false" to bypass this error. SQLSTATE: 22012';

export const MACROS: string[] = [
  // typeof() with Spark's type names (scalars, and one level of array/map/struct)
  `CREATE OR REPLACE MACRO spark_scalar_type_name(t) AS regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(t, '\\bTIMESTAMP WITH TIME ZONE\\b', 'timestamp', 'g'), '\\bTIMESTAMP_NS\\b', 'timestamp', 'g'), '\\bTIMESTAMP\\b', 'timestamp', 'g'), '\\bVARCHAR\\b', 'string', 'g'), '\\bBIGINT\\b', 'bigint', 'g'), '\\bHUGEINT\\b', 'decimal(38,0)', 'g'), '\\bUBIGINT\\b', 'decimal(20,0)', 'g'), '\\bINTEGER\\b', 'int', 'g'), '\\bSMALLINT\\b', 'smallint', 'g'), '\\bTINYINT\\b', 'tinyint', 'g'), '\\bDOUBLE\\b', 'double', 'g'), '\\bFLOAT\\b', 'float', 'g'), '\\bBOOLEAN\\b', 'boolean', 'g'), '\\bDATE\\b', 'date', 'g'), '\\bBLOB\\b', 'binary', 'g'), '\\bINTERVAL\\b', 'interval', 'g'), '"NULL"', 'void', 'g'), 'DECIMAL\\((\\d+),(\\d+)\\)', 'decimal(\\1,\\2)', 'g')`,
  `CREATE OR REPLACE MACRO spark_type_name(t) AS CASE WHEN regexp_matches(t, '^[^\\[]*\\[\\]$') THEN 'array<' || spark_scalar_type_name(t[1:-3]) || '>' WHEN regexp_matches(t, '^MAP\\(([^,()]+), ([^,()]+)\\)$') THEN 'map<' || spark_scalar_type_name(regexp_extract(t, '^MAP\\(([^,()]+), ', 1)) || ',' || spark_scalar_type_name(regexp_extract(t, ', ([^,()]+)\\)$', 1)) || '>' WHEN regexp_matches(t, '^STRUCT\\([^()]*\\)$') THEN 'struct<' || array_to_string(list_transform(string_split(t[8:-2], ', '), lambda f: regexp_replace(f, ' .*$', '') || ':' || spark_scalar_type_name(regexp_replace(f, '^[^ ]+ ', ''))), ',') || '>' ELSE spark_scalar_type_name(t) END`,

  // sum() as Spark types it: `a` (the argument) picks the overload, `s` is DuckDB's sum (HUGEINT
  // for integers), narrowed to Spark's BIGINT: an overflow error, or NULL for try_sum
  `CREATE OR REPLACE MACRO spark_sum(a TINYINT, s) AS CAST(s AS BIGINT), (a SMALLINT, s) AS CAST(s AS BIGINT), (a INTEGER, s) AS CAST(s AS BIGINT), (a BIGINT, s) AS CAST(s AS BIGINT), (a, s) AS s`,
  `CREATE OR REPLACE MACRO spark_try_sum(a TINYINT, s) AS CASE WHEN s BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(s AS BIGINT) END, (a SMALLINT, s) AS CASE WHEN s BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(s AS BIGINT) END, (a INTEGER, s) AS CASE WHEN s BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(s AS BIGINT) END, (a BIGINT, s) AS CASE WHEN s BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(s AS BIGINT) END, (a, s) AS s`,
  // CAST(x AS <integral>): Spark truncates fractions (DuckDB rounds) and, in ANSI mode, refuses strings that are not integers
  `CREATE OR REPLACE MACRO spark_to_integral(x TINYINT, t, strict) AS x, (x SMALLINT, t, strict) AS x, (x INTEGER, t, strict) AS x, (x BIGINT, t, strict) AS x, (x HUGEINT, t, strict) AS x, (x DOUBLE, t, strict) AS trunc(x), (x FLOAT, t, strict) AS trunc(x), (x DECIMAL(38,10), t, strict) AS trunc(x), (x TIMESTAMP, t, strict) AS CAST(floor(epoch_us(x) / 1000000) AS BIGINT), (x DATE, t, strict) AS CAST(x AS INTEGER), (x VARCHAR, t, strict) AS CASE WHEN x IS NULL OR regexp_full_match(x, '[\\x00-\\x20]*[+-]?[0-9]+[\\x00-\\x20]*') THEN x WHEN strict THEN error('[CAST_INVALID_INPUT] The value ''' || x || ''' of the type "STRING" cannot be cast to "' || t || '" because it is malformed. Correct the value as per the syntax, or change its target type. Use \`try_cast\` to tolerate malformed input and return NULL instead. SQLSTATE: 22018') END, (x, t, strict) AS x`,
  // CAST(timestamp AS DOUBLE/FLOAT) is seconds since the epoch; CAST(number AS TIMESTAMP) reads seconds (Spark truncates to microseconds)
  `CREATE OR REPLACE MACRO spark_to_fractional(x TIMESTAMP) AS epoch_us(x) / 1000000.0, (x DATE) AS CAST(x AS DOUBLE), (x) AS x`,
  `CREATE OR REPLACE MACRO spark_to_timestamp(x TINYINT) AS make_timestamp(x * 1000000), (x SMALLINT) AS make_timestamp(x * 1000000), (x INTEGER) AS make_timestamp(CAST(x AS BIGINT) * 1000000), (x BIGINT) AS make_timestamp(x * 1000000), (x DOUBLE) AS make_timestamp(CAST(trunc(x * 1000000) AS BIGINT)), (x FLOAT) AS make_timestamp(CAST(trunc(CAST(x AS DOUBLE) * 1000000) AS BIGINT)), (x DECIMAL(38,10)) AS make_timestamp(CAST(trunc(x * 1000000) AS BIGINT)), (x) AS x`,
  // bround keeps an integral argument's type (round_even gives a DOUBLE)
  `CREATE OR REPLACE MACRO spark_bround(x TINYINT, d) AS CAST(round_even(x, d) AS TINYINT), (x SMALLINT, d) AS CAST(round_even(x, d) AS SMALLINT), (x INTEGER, d) AS CAST(round_even(x, d) AS INTEGER), (x BIGINT, d) AS CASE WHEN d >= 0 THEN x ELSE CAST(round_even(x, d) AS BIGINT) END, (x, d) AS round_even(x, d)`,
  `CREATE OR REPLACE MACRO spark_reverse(x VARCHAR) AS reverse(x), (x) AS list_reverse(x)`,
  `CREATE OR REPLACE MACRO spark_concat(v, anynull) AS CASE WHEN anynull THEN NULL ELSE v END`,
  `CREATE OR REPLACE MACRO spark_pmod(a, b) AS CASE WHEN b = 0 THEN error(${lit(DIVIDE_BY_ZERO_MESSAGE)}) WHEN a % b < 0 THEN (a % b + b) % b ELSE a % b END`,
  `CREATE OR REPLACE MACRO spark_substr(s, pos, l) AS CASE WHEN l <= 0 THEN '' WHEN pos > 0 THEN substring(s, pos, l) WHEN pos = 0 THEN substring(s, 1, l) WHEN -pos > length(s) THEN substring(s, 1, greatest(l + pos + length(s), 0)) ELSE substring(s, length(s) + pos + 1, l) END`,
  `CREATE OR REPLACE MACRO spark_substring_index(s, d, c) AS CASE WHEN c = 0 OR d = '' THEN '' WHEN c > 0 THEN array_to_string(string_split(s, d)[1:c], d) ELSE array_to_string(string_split(s, d)[c:], d) END`,
  `CREATE OR REPLACE MACRO spark_initcap(s) AS array_to_string(list_transform(string_split(s, ' '), lambda w: upper(left(w, 1)) || lower(w[2:])), ' ')`,
  `CREATE OR REPLACE MACRO spark_locate(sub, s, pos) AS CASE WHEN pos < 1 THEN 0 WHEN instr(substring(s, pos), sub) = 0 THEN 0 ELSE instr(substring(s, pos), sub) + pos - 1 END`,
  `CREATE OR REPLACE MACRO spark_overlay(s, r, pos, l := -1) AS substring(s, 1, pos - 1) || r || substring(s, pos + CASE WHEN l < 0 THEN length(r) ELSE l END)`,
  `CREATE OR REPLACE MACRO spark_regexp_repl(r) AS regexp_replace(r, '\\$(\\d)', '\\\\\\1', 'g')`,
  // split with a limit: the last part is the rest of the string, delimiters included
  `CREATE OR REPLACE MACRO spark_split_limit(s, r, lim) AS CASE WHEN lim <= 0 OR len(regexp_split_to_array(s, r)) <= lim THEN regexp_split_to_array(s, r) ELSE list_concat(regexp_split_to_array(s, r)[1:lim - 1], [substring(s, CAST(1 + coalesce(list_sum(list_transform(regexp_split_to_array(s, r)[1:lim - 1], lambda __p: length(__p))), 0) + coalesce(list_sum(list_transform(regexp_extract_all(s, r)[1:lim - 1], lambda __p: length(__p))), 0) AS BIGINT))]) END`,
  `CREATE OR REPLACE MACRO spark_slice(a, st, l) AS CASE WHEN st > 0 THEN a[st:st + l - 1] ELSE a[len(a) + st + 1:len(a) + st + l] END`,
  `CREATE OR REPLACE MACRO spark_ceil_scale(x, s) AS ceil(x * pow(10, s)) / pow(10, s)`,
  `CREATE OR REPLACE MACRO spark_floor_scale(x, s) AS floor(x * pow(10, s)) / pow(10, s)`,
  `CREATE OR REPLACE MACRO spark_width_bucket(v, lo, hi, nb) AS CASE WHEN v < lo THEN 0 WHEN v >= hi THEN nb + 1 ELSE CAST(floor((v - lo) / ((hi - lo) / nb)) AS BIGINT) + 1 END`,
  `CREATE OR REPLACE MACRO spark_next_day(d, dow) AS d + CAST((((list_position(['su','mo','tu','we','th','fr','sa'], lower(left(dow, 2))) - 1 - dayofweek(d) + 7 - 1) % 7) + 1) AS INTEGER)`,
  `CREATE OR REPLACE MACRO spark_months_between(a, b, r) AS CASE WHEN day(a) = day(b) OR (a = last_day(a) AND b = last_day(b)) THEN CAST(date_diff('month', date_trunc('month', b), date_trunc('month', a)) AS DOUBLE) ELSE (CASE WHEN r THEN round((year(a) - year(b)) * 12 + month(a) - month(b) + (day(a) - day(b)) / 31.0 + ((epoch(a) % 86400) - (epoch(b) % 86400)) / (86400 * 31.0), 8) ELSE (year(a) - year(b)) * 12 + month(a) - month(b) + (day(a) - day(b)) / 31.0 + ((epoch(a) % 86400) - (epoch(b) % 86400)) / (86400 * 31.0) END) END`,
  `CREATE OR REPLACE MACRO spark_conv_from(s, f) AS list_reduce(list_transform(list_filter(string_split(upper(trim(s)), ''), lambda c: strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', c) BETWEEN 1 AND f), lambda c: CAST(strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', c) - 1 AS HUGEINT)), lambda acc, d: acc * f + d)`,
  `CREATE OR REPLACE MACRO spark_conv(s, f, t) AS CASE WHEN s IS NULL OR f IS NULL OR t IS NULL OR NOT regexp_matches(upper(trim(CAST(s AS VARCHAR))), '^[0-9A-Z]') THEN NULL WHEN t = 10 THEN CAST(spark_conv_from(CAST(s AS VARCHAR), f) AS VARCHAR) WHEN t = 16 THEN upper(format('{:x}', CAST(spark_conv_from(CAST(s AS VARCHAR), f) AS BIGINT))) WHEN t = 8 THEN format('{:o}', CAST(spark_conv_from(CAST(s AS VARCHAR), f) AS BIGINT)) WHEN t = 2 THEN format('{:b}', CAST(spark_conv_from(CAST(s AS VARCHAR), f) AS BIGINT)) END`,
  `CREATE OR REPLACE MACRO spark_decode(e, s1, r1, d := NULL) AS CASE WHEN e IS NOT DISTINCT FROM s1 THEN r1 ELSE d END`,
  `CREATE OR REPLACE MACRO spark_regexp_instr(s, r, g) AS CASE WHEN s IS NULL OR r IS NULL THEN NULL WHEN regexp_matches(s, r) THEN CAST(instr(s, regexp_extract(s, r, g)) AS INTEGER) ELSE 0 END`,
  `CREATE OR REPLACE MACRO spark_shiftrightunsigned(a TINYINT, n) AS CAST((CAST(a AS BIGINT) + CASE WHEN a < 0 THEN 4294967296 ELSE 0 END) >> (n % 32) AS INTEGER), (a SMALLINT, n) AS CAST((CAST(a AS BIGINT) + CASE WHEN a < 0 THEN 4294967296 ELSE 0 END) >> (n % 32) AS INTEGER), (a INTEGER, n) AS CASE WHEN n % 32 = 0 THEN a ELSE CAST((CAST(a AS BIGINT) + CASE WHEN a < 0 THEN 4294967296 ELSE 0 END) >> (n % 32) AS INTEGER) END, (a BIGINT, n) AS CASE WHEN n % 64 = 0 THEN a ELSE CAST((CAST(a AS HUGEINT) + CASE WHEN a < 0 THEN CAST(18446744073709551616 AS HUGEINT) ELSE 0 END) >> (n % 64) AS BIGINT) END`,
  `CREATE OR REPLACE MACRO spark_bit_get(a, p) AS CAST((a >> p) & 1 AS TINYINT)`,
  `CREATE OR REPLACE MACRO spark_mask(s, u, l, d, o) AS CASE WHEN s IS NULL THEN NULL ELSE array_to_string(list_transform(string_split(s, ''), lambda c: CASE WHEN regexp_full_match(c, '[A-Z]') THEN coalesce(u, c) WHEN regexp_full_match(c, '[a-z]') THEN coalesce(l, c) WHEN regexp_full_match(c, '[0-9]') THEN coalesce(d, c) ELSE coalesce(o, c) END), '') END`,
  `CREATE OR REPLACE MACRO spark_str_to_map(s, pd, kd) AS CASE WHEN s IS NOT NULL THEN map_from_entries(list_transform(string_split(s, pd), lambda kv: {'key': CASE WHEN strpos(kv, kd) > 0 THEN kv[1:strpos(kv, kd) - 1] ELSE kv END, 'value': CASE WHEN strpos(kv, kd) > 0 THEN kv[strpos(kv, kd) + length(kd):] END})) END`,
  `CREATE OR REPLACE MACRO spark_parse_url(u, part) AS CASE upper(part) WHEN 'PROTOCOL' THEN nullif(regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 2), '') WHEN 'HOST' THEN nullif(regexp_extract(regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 4), '^(?:[^@]*@)?(\\[[^\\]]*\\]|[^:]*)', 1), '') WHEN 'PATH' THEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 5) WHEN 'QUERY' THEN CASE WHEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 6) <> '' THEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 7) END WHEN 'REF' THEN CASE WHEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 8) <> '' THEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 9) END WHEN 'FILE' THEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 5) || regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 6) WHEN 'AUTHORITY' THEN CASE WHEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 3) <> '' THEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 4) END WHEN 'USERINFO' THEN nullif(regexp_extract(regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 4), '^([^@]*)@', 1), '') END`,
  `CREATE OR REPLACE MACRO spark_url_ok(u) AS u IS NULL OR NOT regexp_matches(u, '[\\s"<>\\\\^\`{|}]|^[^:/?#]*[^A-Za-z0-9+.:/?#-][^:/?#]*:')`,
  `CREATE OR REPLACE MACRO spark_parse_url_key(u, k) AS CASE WHEN regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 6) <> '' AND regexp_matches(regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 7), '(&|^)' || k || '=([^&]*)') THEN regexp_extract(regexp_extract(u, '^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\\?([^#]*))?(#(.*))?', 7), '(&|^)' || k || '=([^&]*)', 2) END`,
  `CREATE OR REPLACE MACRO spark_is_valid_utf8(x VARCHAR) AS CASE WHEN x IS NOT NULL THEN true END, (x BLOB) AS CASE WHEN x IS NOT NULL THEN TRY(decode(x)) IS NOT NULL END`,
  `CREATE OR REPLACE MACRO spark_make_valid_utf8(x VARCHAR) AS x, (x BLOB) AS TRY(decode(x))`,
  `CREATE OR REPLACE MACRO spark_validate_utf8(x VARCHAR) AS x, (x BLOB) AS decode(x)`,
  `CREATE OR REPLACE MACRO spark_try_validate_utf8(x VARCHAR) AS x, (x BLOB) AS TRY(decode(x))`,
  // soundex as Spark computes it: H and W (code 7) neither count nor separate, other non-letters and vowels separate
  `CREATE OR REPLACE MACRO spark_soundex_codes(s) AS list_transform(string_split(upper(s), ''), lambda c: CASE WHEN regexp_full_match(c, '[A-Z]') THEN '01230127022455012623017202'[ascii(c) - 64] ELSE '0' END)`,
  `CREATE OR REPLACE MACRO spark_soundex_emit(q) AS list_filter(q, lambda c, i: i > 1 AND c <> '0' AND c <> q[i - 1])`,
  `CREATE OR REPLACE MACRO spark_soundex(s) AS CASE WHEN s IS NULL THEN NULL WHEN s = '' THEN '' WHEN NOT regexp_full_match(upper(s[1]), '[A-Z]') THEN s ELSE upper(s[1]) || rpad(left(array_to_string(spark_soundex_emit(list_concat(spark_soundex_codes(s[1]), list_filter(spark_soundex_codes(s[2:]), lambda c: c <> '7'))), ''), 3), 3, '0') END`,
  // startswith/endswith/contains: binary arguments compare bytes, other types their string form
  `CREATE OR REPLACE MACRO spark_starts_with(a VARCHAR, b VARCHAR) AS starts_with(a, b), (a BLOB, b BLOB) AS starts_with(CAST(a AS VARCHAR), CAST(b AS VARCHAR)), (a, b) AS starts_with(CAST(a AS VARCHAR), CAST(b AS VARCHAR))`,
  `CREATE OR REPLACE MACRO spark_ends_with(a VARCHAR, b VARCHAR) AS ends_with(a, b), (a BLOB, b BLOB) AS ends_with(CAST(a AS VARCHAR), CAST(b AS VARCHAR)), (a, b) AS ends_with(CAST(a AS VARCHAR), CAST(b AS VARCHAR))`,
  `CREATE OR REPLACE MACRO spark_contains(a VARCHAR, b VARCHAR) AS contains(a, b), (a BLOB, b BLOB) AS contains(CAST(a AS VARCHAR), CAST(b AS VARCHAR)), (a, b) AS contains(CAST(a AS VARCHAR), CAST(b AS VARCHAR))`,
  `CREATE OR REPLACE MACRO spark_uniform(lo INTEGER, hi INTEGER) AS CAST(floor(lo + random() * (hi - lo)) AS INTEGER), (lo BIGINT, hi BIGINT) AS CAST(floor(lo + random() * (hi - lo)) AS BIGINT), (lo, hi) AS lo + random() * (hi - lo)`,
  // array set functions keep NULL as an element and the first occurrence's order, as Spark does
  `CREATE OR REPLACE MACRO spark_array_distinct(a) AS list_filter(a, lambda __x, __i: list_position(a, __x) = __i)`,
  `CREATE OR REPLACE MACRO spark_arrays_overlap(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN list_has_any(a, b) THEN true WHEN len(a) > 0 AND len(b) > 0 AND (coalesce(list_position(a, NULL), 0) > 0 OR coalesce(list_position(b, NULL), 0) > 0) THEN NULL ELSE false END`,
  `CREATE OR REPLACE MACRO spark_array_insert(a, p, x) AS CASE WHEN a IS NULL OR p IS NULL THEN NULL WHEN p = 0 THEN error('[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1). SQLSTATE: 22003') ELSE list_concat(a[1:(CASE WHEN p > 0 THEN p ELSE len(a) + p + 2 END) - 1], [x], a[(CASE WHEN p > 0 THEN p ELSE len(a) + p + 2 END):]) END`,
];
