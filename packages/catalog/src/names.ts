import { LakeboxError } from '@lakebox/common';

/** The catalog every session starts in, and its default schema. */
export const DEFAULT_CATALOG = 'main';
export const DEFAULT_SCHEMA = 'default';
/** Reserved: the built-in catalog (information_schema and, later, system tables). Read-only. */
export const SYSTEM_CATALOG = 'system';
export const INFORMATION_SCHEMA = 'information_schema';

/**
 * Normalise an object name: identifiers are case-insensitive (stored in lower case), 1 to 255
 * characters, and may not contain '.', '/', spaces or control characters (Unity Catalog's rule).
 */
export function normalizeName(name: string, kind: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `a ${kind} name must not be empty`);
  }
  if (name.length > 255) {
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE',
      `the ${kind} name '${name.slice(0, 40)}...' is longer than 255 characters`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[./\s\x00-\x1f\x7f]/.test(name)) {
    throw new LakeboxError(
      'INVALID_SCHEMA_OR_RELATION_NAME',
      `'${name}' is not a valid ${kind} name: names may not contain '.', '/', spaces or control characters`,
      { sqlState: '42602' },
    );
  }
  return name.toLowerCase();
}

/** `a`.`b`.`c`, quoted the way Spark prints names in messages. */
export function quoteName(...parts: string[]): string {
  return parts.map((p) => '`' + p.replaceAll('`', '``') + '`').join('.');
}

/**
 * Split a possibly qualified, possibly back-quoted name (`c.s.t`, `s.t`, `t`, `` `my.t` ``) into
 * parts, filling the missing leading parts from the defaults.
 */
export function parseQualifiedName(
  text: string,
  defaults: { catalog?: string; schema?: string } = {},
): { catalog: string; schema: string; name: string } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '`') {
        if (text[i + 1] === '`') {
          cur += '`';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '`') quoted = true;
    else if (ch === '.') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted)
    throw new LakeboxError('PARSE_SYNTAX_ERROR', `unclosed back-quote in the name ${text}`, { sqlState: '42601' });
  parts.push(cur);
  if (parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw new LakeboxError('INVALID_SCHEMA_OR_RELATION_NAME', `'${text}' is not a valid name`, { sqlState: '42602' });
  }
  const name = parts.pop()!;
  const schema = parts.pop() ?? defaults.schema ?? DEFAULT_SCHEMA;
  const catalog = parts.pop() ?? defaults.catalog ?? DEFAULT_CATALOG;
  return { catalog, schema, name };
}

/**
 * Edit distance between two names: Levenshtein's insertions, deletions and substitutions, plus
 * swaps of two adjacent characters (the optimal-string-alignment variant), so `mian` is one edit
 * from `main`.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  const w = b.length + 1;
  const d = new Array<number>((a.length + 1) * w);
  for (let i = 0; i <= a.length; i++) d[i * w] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * w + j]! + 1, d[i * w + j - 1]! + 1, d[(i - 1) * w + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * w + j - 2]! + 1);
      d[i * w + j] = v;
    }
  }
  return d[a.length * w + b.length]!;
}

/**
 * Names close to `wanted` among `candidates`, nearest first (at most `limit`). Close means an
 * edit distance of at most a third of the longer name (and at least 1), or a case-insensitive
 * prefix match.
 */
export function suggestNames(wanted: string, candidates: Iterable<string>, limit = 5): string[] {
  const w = wanted.toLowerCase();
  const scored: { name: string; d: number }[] = [];
  for (const c of candidates) {
    const lc = c.toLowerCase();
    if (lc === w) continue;
    const d = levenshtein(w, lc);
    const max = Math.max(1, Math.floor(Math.max(w.length, lc.length) / 3));
    if (d <= max || (w.length >= 3 && (lc.startsWith(w) || w.startsWith(lc)))) scored.push({ name: c, d });
  }
  scored.sort((x, y) => x.d - y.d || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}
