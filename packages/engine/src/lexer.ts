import { LakeboxError } from '@lakebox/common';

/** A lexical token of Spark SQL, with its position in the source (1-based line and column). */
export interface Token {
  kind: 'ident' | 'qident' | 'string' | 'number' | 'op' | 'param' | 'eof';
  /** Identifier name (unquoted), decoded string value, number text, operator text or parameter name. */
  value: string;
  /** The raw text as written. */
  raw: string;
  line: number;
  col: number;
  offset: number;
}

/** Throw PARSE_SYNTAX_ERROR pointing at a source position. */
export function syntaxError(message: string, pos: { line: number; col: number }): LakeboxError {
  return new LakeboxError('PARSE_SYNTAX_ERROR', `${message} (line ${pos.line}, pos ${pos.col - 1})`, {
    sqlState: '42601',
    details: { line: pos.line, column: pos.col },
  });
}

const OPS = ['<=>', '<>', '!=', '==', '<=', '>=', '||', '->', '=>', '::', '<<', '>>', '&&'];
const SINGLE = '()[]{},.;+-*/%<>=!|&^~:?@';

/** Split Spark SQL into tokens. Comments are dropped; string escapes follow Spark (backslash). */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = sql.length;
  const pos = (o: number) => ({ line, col: o - lineStart + 1, offset: o });
  const advanceLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) {
      if (sql[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
  };
  while (i < n) {
    const c = sql[i];
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw syntaxError('Unclosed comment', pos(i));
      advanceLines(i, end + 2);
      i = end + 2;
      continue;
    }
    const start = pos(i);
    // {{name}} legacy parameter
    if (c === '{' && sql[i + 1] === '{') {
      const end = sql.indexOf('}}', i + 2);
      if (end < 0) throw syntaxError('Unclosed {{parameter}}', start);
      const name = sql.slice(i + 2, end).trim();
      out.push({ kind: 'param', value: name, raw: sql.slice(i, end + 2), ...start });
      i = end + 2;
      continue;
    }
    // :name parameter (not '::' casts)
    if (c === ':' && sql[i + 1] !== ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '') && sql[i - 1] !== ':') {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j])) j++;
      const prev = out[out.length - 1];
      // `a[1:2]`-style slices and struct literals are not parameters: only after an operator/keyword/paren.
      const isParam =
        !prev ||
        prev.kind === 'op' ||
        (prev.kind === 'ident' &&
          /^(select|where|and|or|not|when|then|else|in|on|by|limit|offset|like|between|having|values|set|is|return|as)$/i.test(
            prev.value,
          ));
      if (isParam && !(prev && prev.kind === 'op' && (prev.value === ']' || prev.value === ')'))) {
        out.push({ kind: 'param', value: sql.slice(i + 1, j), raw: sql.slice(i, j), ...start });
        i = j;
        continue;
      }
    }
    if (c === "'" || c === '"') {
      // Spark: both quotes delimit strings; backslash escapes; doubled quote also escapes.
      let j = i + 1;
      let val = '';
      for (;;) {
        if (j >= n) throw syntaxError('Unclosed string literal', start);
        const d = sql[j];
        if (d === '\\' && j + 1 < n) {
          const e = sql[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(sql.slice(j + 2, j + 6))) {
            val += String.fromCharCode(parseInt(sql.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          // Spark keeps the backslash for \% and \_ (LIKE escapes).
          if (e === '%' || e === '_') val += '\\' + e;
          else val += map[e] ?? e;
          j += 2;
          continue;
        }
        if (d === c) {
          if (sql[j + 1] === c) {
            val += c;
            j += 2;
            continue;
          }
          break;
        }
        val += d;
        j++;
      }
      advanceLines(i, j + 1);
      out.push({ kind: 'string', value: val, raw: sql.slice(i, j + 1), ...start });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      let j = i + 1;
      let val = '';
      for (;;) {
        if (j >= n) throw syntaxError('Unclosed quoted identifier', start);
        if (sql[j] === '`') {
          if (sql[j + 1] === '`') {
            val += '`';
            j += 2;
            continue;
          }
          break;
        }
        val += sql[j];
        j++;
      }
      advanceLines(i, j + 1);
      out.push({ kind: 'qident', value: val, raw: sql.slice(i, j + 1), ...start });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:BD|bd|[LlSsYyDdFf])?/.exec(sql.slice(i));
      let text = m ? m[0] : c;
      // an identifier that starts with digits (e.g. 1a) is an identifier in Spark
      const rest = sql.slice(i + text.length);
      if (/^[A-Za-z_]/.test(rest)) {
        const im = /^[A-Za-z0-9_]+/.exec(sql.slice(i))!;
        text = im[0];
        out.push({ kind: 'ident', value: text, raw: text, ...start });
      } else out.push({ kind: 'number', value: text, raw: text, ...start });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_\u0080-\uffff$]/.test(sql[j])) j++;
      const text = sql.slice(i, j);
      out.push({ kind: 'ident', value: text, raw: text, ...start });
      i = j;
      continue;
    }
    const op = OPS.find((o) => sql.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', value: op, raw: op, ...start });
      i += op.length;
      continue;
    }
    if (SINGLE.includes(c)) {
      out.push({ kind: 'op', value: c, raw: c, ...start });
      i++;
      continue;
    }
    throw syntaxError(`Unexpected character '${c}'`, start);
  }
  out.push({ kind: 'eof', value: '', raw: '', ...pos(n) });
  return out;
}

/** Split a script into statements at top-level semicolons (tokens only; each list ends with eof). */
export function splitStatements(tokens: Token[]): Token[][] {
  const stmts: Token[][] = [];
  let cur: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'eof' || (t.kind === 'op' && t.value === ';')) {
      if (cur.length) stmts.push([...cur, { ...t, kind: 'eof', value: '', raw: '' }]);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  return stmts;
}
