import { LakeboxError } from '@lakebox/common';

// MLflow's search grammar: `<entity>.<key> <op> <value> [AND ...]` for filters and
// `<entity>.<key> [ASC|DESC]` for order_by. Parsed here, evaluated in SQL (runs) or in memory.

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export interface Clause {
  type: EntityType;
  key: string;
  op: string; // = != < <= > >= LIKE ILIKE IN NOT IN IS NULL IS NOT NULL
  value: string | number | string[] | null;
}
export interface OrderBy {
  type: EntityType;
  key: string;
  asc: boolean;
}

export function invalid(message: string): LakeboxError {
  return new LakeboxError('INVALID_PARAMETER_VALUE', message, { httpStatus: 400 });
}

const PREFIXES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

interface Tok {
  kind: 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'dot';
  text: string;
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== c) {
        if (s[j] === '\\' && j + 1 < s.length) j++;
        v += s[j];
        j++;
      }
      if (j >= s.length) throw invalid(`Invalid filter '${s}': unterminated quoted string`);
      // backticks quote identifiers; double quotes may quote either (decided by position)
      out.push({ kind: c === '`' ? 'ident' : 'string', text: v });
      i = j + 1;
    } else if (/[-+0-9.]/.test(c) && (c !== '.' || /[0-9]/.test(s[i + 1] ?? ''))) {
      if (c === '.' && out.length && out[out.length - 1]!.kind === 'ident') {
        out.push({ kind: 'dot', text: '.' });
        i++;
        continue;
      }
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(s.slice(i));
      if (!m) throw invalid(`Invalid filter '${s}': unexpected '${c}'`);
      out.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (c === '.') {
      out.push({ kind: 'dot', text: '.' });
      i++;
    } else if (c === '(') {
      out.push({ kind: 'lparen', text: c });
      i++;
    } else if (c === ')') {
      out.push({ kind: 'rparen', text: c });
      i++;
    } else if (c === ',') {
      out.push({ kind: 'comma', text: c });
      i++;
    } else if ('=!<>'.includes(c)) {
      const two = s.slice(i, i + 2);
      if (['!=', '<=', '>=', '=='].includes(two)) {
        out.push({ kind: 'op', text: two === '==' ? '=' : two });
        i += 2;
      } else if (c === '!') {
        throw invalid(`Invalid filter '${s}': unexpected '!'`);
      } else {
        out.push({ kind: 'op', text: c });
        i++;
      }
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_\-:/]*/.exec(s.slice(i))!;
      out.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else {
      throw invalid(`Invalid filter '${s}': unexpected character '${c}'`);
    }
  }
  return out;
}

class Parser {
  i = 0;
  constructor(
    readonly toks: Tok[],
    readonly src: string,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw invalid(`Invalid filter '${this.src}': unexpected end`);
    return t;
  }
  word(w: string): boolean {
    const t = this.peek();
    if (t && t.kind === 'ident' && t.text.toUpperCase() === w) {
      this.i++;
      return true;
    }
    return false;
  }
  /** `metrics.rmse`, ``params.`a b` ``, `tags."x"`, or a bare attribute name. */
  identifier(defaultType: EntityType): { type: EntityType; key: string } {
    const first = this.next();
    if (first.kind !== 'ident' && first.kind !== 'string')
      throw invalid(`Invalid identifier in '${this.src}' near '${first.text}'`);
    if (this.peek()?.kind === 'dot' && first.kind === 'ident' && PREFIXES[first.text.toLowerCase()]) {
      this.i++;
      const k = this.next();
      if (k.kind !== 'ident' && k.kind !== 'string' && k.kind !== 'number')
        throw invalid(`Invalid identifier in '${this.src}' near '${k.text}'`);
      let key = k.text;
      // unquoted keys may contain dots: metrics.a.b
      while (k.kind === 'ident' && this.peek()?.kind === 'dot') {
        this.i++;
        key += '.' + this.next().text;
      }
      return { type: PREFIXES[first.text.toLowerCase()]!, key };
    }
    if (first.kind === 'ident' && first.text.includes('.')) {
      const [p, ...rest] = first.text.split('.');
      const type = PREFIXES[p!.toLowerCase()];
      if (type) return { type, key: rest.join('.') };
    }
    return { type: defaultType, key: first.text };
  }
}

export function parseFilter(filter: string | undefined, defaultType: EntityType = 'attribute'): Clause[] {
  if (!filter || !filter.trim()) return [];
  const p = new Parser(tokenize(filter), filter);
  const out: Clause[] = [];
  for (;;) {
    const { type, key } = p.identifier(defaultType);
    let op: string;
    const t = p.next();
    if (t.kind === 'op') op = t.text;
    else if (t.kind === 'ident') {
      const w = t.text.toUpperCase();
      if (w === 'LIKE' || w === 'ILIKE' || w === 'IN') op = w;
      else if (w === 'NOT' && p.word('IN')) op = 'NOT IN';
      else if (w === 'IS') op = p.word('NOT') ? (p.word('NULL'), 'IS NOT NULL') : (p.word('NULL'), 'IS NULL');
      else throw invalid(`Invalid comparator '${t.text}' in filter '${filter}'`);
    } else throw invalid(`Invalid filter '${filter}': expected a comparator after '${key}'`);
    let value: Clause['value'] = null;
    if (op === 'IN' || op === 'NOT IN') {
      if (p.next().kind !== 'lparen') throw invalid(`Invalid filter '${filter}': IN needs a parenthesised list`);
      const vals: string[] = [];
      for (;;) {
        const v = p.next();
        if (v.kind !== 'string') throw invalid(`Invalid filter '${filter}': IN values must be quoted strings`);
        vals.push(v.text);
        const sep = p.next();
        if (sep.kind === 'rparen') break;
        if (sep.kind !== 'comma') throw invalid(`Invalid filter '${filter}': expected ',' or ')'`);
      }
      value = vals;
    } else if (!op.startsWith('IS')) {
      const v = p.next();
      if (v.kind === 'number') value = Number(v.text);
      else if (v.kind === 'string') value = v.text;
      else throw invalid(`Invalid filter '${filter}': expected a value after '${key} ${op}'`);
    }
    out.push({ type, key, op, value });
    if (!p.peek()) break;
    if (!p.word('AND')) throw invalid(`Invalid filter '${filter}': only AND joins conditions`);
  }
  return out;
}

export function parseOrderBy(items: string[] | undefined, defaultType: EntityType = 'attribute'): OrderBy[] {
  return (items ?? []).map((s) => {
    const toks = tokenize(s);
    const p = new Parser(toks, s);
    const { type, key } = p.identifier(defaultType);
    let asc = true;
    if (p.word('DESC')) asc = false;
    else p.word('ASC');
    if (p.peek()) throw invalid(`Invalid order_by clause '${s}'`);
    return { type, key, asc };
  });
}

/** SQL LIKE semantics (case-sensitive unless `ci`) as a RegExp. */
export function likeRegExp(pattern: string, ci: boolean): RegExp {
  let r = '';
  for (const ch of pattern) {
    if (ch === '%') r += '.*';
    else if (ch === '_') r += '.';
    else r += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${r}$`, ci ? 'is' : 's');
}

/** Compare one value in memory (experiments, registered models, model versions). */
export function matches(actual: string | number | null | undefined, c: Clause): boolean {
  if (c.op === 'IS NULL') return actual == null;
  if (c.op === 'IS NOT NULL') return actual != null;
  if (actual == null) return c.op === '!=' || c.op === 'NOT IN';
  const v = c.value;
  switch (c.op) {
    case '=':
      return String(actual) === String(v);
    case '!=':
      return String(actual) !== String(v);
    case 'LIKE':
      return likeRegExp(String(v), false).test(String(actual));
    case 'ILIKE':
      return likeRegExp(String(v), true).test(String(actual));
    case 'IN':
      return (v as string[]).includes(String(actual));
    case 'NOT IN':
      return !(v as string[]).includes(String(actual));
    default: {
      const a = typeof actual === 'number' ? actual : Number(actual);
      const b = Number(v);
      if (Number.isNaN(a) || Number.isNaN(b)) throw invalid(`'${c.op}' needs numeric values for '${c.key}'`);
      return c.op === '<' ? a < b : c.op === '<=' ? a <= b : c.op === '>' ? a > b : a >= b;
    }
  }
}

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}
export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const o = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof o.offset === 'number' && Number.isInteger(o.offset) && o.offset >= 0) return o.offset;
  } catch {
    // fall through
  }
  throw invalid(`Invalid page token '${token}'`);
}
