import { LakeboxError } from '@lakebox/common';

/**
 * SCIM 2.0 filters (RFC 7644 §3.4.2.2) evaluated on resources as JSON: comparisons
 * `attr op value` (eq ne co sw ew gt ge lt le), presence `attr pr`, `and` / `or` / `not (...)`,
 * parentheses, dotted sub-attributes (`emails.value`, `members.value`) over multi-valued
 * attributes (any element matching). Attribute names and string values compare case-insensitively.
 */
export type ScimFilter = (resource: Record<string, unknown>) => boolean;

const invalid = (why: string) =>
  new LakeboxError('INVALID_PARAMETER_VALUE', `invalid SCIM filter: ${why}`, {
    httpStatus: 400,
    details: { scimType: 'invalidFilter' },
  });

type Tok = { t: 'word' | 'str' | 'lp' | 'rp'; v: string };

function lex(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          v += s[j + 1];
          j += 2;
        } else {
          v += s[j++];
        }
      }
      if (j >= s.length) throw invalid('unterminated string');
      out.push({ t: 'str', v });
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && !' \t\n\r()"'.includes(s[j]!)) j++;
      out.push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/** Values of a dotted attribute path (case-insensitive keys), flattening arrays. */
function valuesAt(resource: unknown, path: string[]): unknown[] {
  let cur: unknown[] = [resource];
  for (const key of path) {
    const next: unknown[] = [];
    for (const v of cur) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        if (item && typeof item === 'object' && !Array.isArray(item)) {
          const k = Object.keys(item).find((x) => x.toLowerCase() === key.toLowerCase());
          if (k !== undefined) next.push((item as Record<string, unknown>)[k]);
        }
      }
    }
    cur = next;
  }
  return cur.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

function compare(op: string, actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const a = actual.toLowerCase();
    const e = expected.toLowerCase();
    switch (op) {
      case 'eq':
        return a === e;
      case 'ne':
        return a !== e;
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      case 'gt':
        return a > e;
      case 'ge':
        return a >= e;
      case 'lt':
        return a < e;
      case 'le':
        return a <= e;
    }
  }
  if (op === 'eq') return actual === expected;
  if (op === 'ne') return actual !== expected;
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (op === 'gt') return actual > expected;
    if (op === 'ge') return actual >= expected;
    if (op === 'lt') return actual < expected;
    if (op === 'le') return actual <= expected;
  }
  return false;
}

export function parseScimFilter(text: string): ScimFilter {
  if (text.length > 4096) throw invalid('too long');
  const toks = lex(text);
  let i = 0;
  const peekWord = (): string | undefined => (toks[i]?.t === 'word' ? toks[i]!.v.toLowerCase() : undefined);

  const parseOr = (): ScimFilter => {
    let left = parseAnd();
    while (peekWord() === 'or') {
      i++;
      const l = left;
      const r = parseAnd();
      left = (x) => l(x) || r(x);
    }
    return left;
  };
  const parseAnd = (): ScimFilter => {
    let left = parseUnary();
    while (peekWord() === 'and') {
      i++;
      const l = left;
      const r = parseUnary();
      left = (x) => l(x) && r(x);
    }
    return left;
  };
  const parseUnary = (): ScimFilter => {
    const t = toks[i];
    if (!t) throw invalid('unexpected end');
    if (t.t === 'word' && t.v.toLowerCase() === 'not') {
      i++;
      if (toks[i]?.t !== 'lp') throw invalid("'not' needs a parenthesised expression");
      const inner = parseUnary();
      return (x) => !inner(x);
    }
    if (t.t === 'lp') {
      i++;
      const inner = parseOr();
      if (toks[i]?.t !== 'rp') throw invalid("missing ')'");
      i++;
      return inner;
    }
    if (t.t !== 'word' || !/^[A-Za-z$][\w$.:-]*$/.test(t.v)) throw invalid(`expected an attribute, got '${t.v}'`);
    i++;
    // urn-qualified names: keep the last segment (urn:...:User:userName -> userName)
    const attr = t.v.includes(':') ? t.v.slice(t.v.lastIndexOf(':') + 1) : t.v;
    const path = attr.split('.');
    const op = peekWord();
    if (op === 'pr') {
      i++;
      return (x) => valuesAt(x, path).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
    }
    if (!op || !OPS.has(op)) throw invalid(`expected an operator after '${t.v}'`);
    i++;
    const vt = toks[i];
    if (!vt) throw invalid('missing value');
    i++;
    let value: unknown;
    if (vt.t === 'str') value = vt.v;
    else if (vt.t === 'word' && vt.v === 'true') value = true;
    else if (vt.t === 'word' && vt.v === 'false') value = false;
    else if (vt.t === 'word' && vt.v === 'null') value = null;
    else if (vt.t === 'word' && /^-?\d+(\.\d+)?$/.test(vt.v)) value = Number(vt.v);
    else throw invalid(`bad value '${vt.v}'`);
    if (value === null) {
      return op === 'eq' ? (x) => valuesAt(x, path).length === 0 : (x) => valuesAt(x, path).length > 0;
    }
    return (x) => {
      const vs = valuesAt(x, path);
      if (op === 'ne') return vs.every((v) => compare('ne', v, value));
      return vs.some((v) => compare(op, v, value));
    };
  };

  const f = parseOr();
  if (i !== toks.length) throw invalid(`unexpected '${toks[i]!.v}'`);
  return f;
}
