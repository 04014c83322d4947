import type { Predicate, StructType } from '@lakebox/delta';
import type { Token } from './lexer.js';
import { isGroup, isOp, isWord, splitCommas, type Node } from './tree.js';

type Cmp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * Turn a WHERE clause (Spark SQL nodes) into the Delta package's scan predicate, for partition
 * pruning and file skipping. Only top-level AND-ed conjuncts of the forms `col <op> literal`,
 * `literal <op> col`, `col IN (literals)`, `col IS [NOT] NULL` and `col BETWEEN a AND b` are
 * taken; anything else is left out, which only makes pruning less selective, never wrong.
 */
export function extractPredicate(nodes: Node[], schema: StructType, alias: string): Predicate | undefined {
  const conjuncts = splitAnd(nodes);
  const preds = conjuncts.map((c) => conjunct(c, schema, alias)).filter((p): p is Predicate => p !== undefined);
  if (!preds.length) return undefined;
  return preds.length === 1 ? preds[0] : { op: 'and', args: preds };
}

function splitAnd(nodes: Node[]): Node[][] {
  // a single parenthesised group is unwrapped
  if (nodes.length === 1 && isGroup(nodes[0]) && nodes[0].open.value === '(') return splitAnd(nodes[0].items);
  const out: Node[][] = [];
  let cur: Node[] = [];
  let between = false;
  let caseDepth = 0;
  for (const n of nodes) {
    if (isWord(n, 'CASE')) caseDepth++;
    if (isWord(n, 'END')) caseDepth--;
    if (isWord(n, 'OR') && caseDepth === 0) return [nodes].filter(() => false); // OR at top level: give up
    if (isWord(n, 'BETWEEN')) between = true;
    if (isWord(n, 'AND') && caseDepth === 0) {
      if (between) {
        between = false;
        cur.push(n);
        continue;
      }
      out.push(cur);
      cur = [];
      continue;
    }
    cur.push(n);
  }
  out.push(cur);
  return out.flatMap((c) => (c.length === 1 && isGroup(c[0]) ? splitAnd(c[0].items) : [c]));
}

function column(nodes: Node[], schema: StructType, alias: string): string | undefined {
  let name: string | undefined;
  if (nodes.length === 1 && (nodes[0].kind === 'ident' || nodes[0].kind === 'qident')) name = nodes[0].value;
  else if (
    nodes.length === 3 &&
    isOp(nodes[1], '.') &&
    !isGroup(nodes[0]) &&
    !isGroup(nodes[2]) &&
    nodes[0].value.toLowerCase() === alias.toLowerCase()
  )
    name = nodes[2].value;
  if (name === undefined) return undefined;
  const f = schema.fields.find((x) => x.name.toLowerCase() === name!.toLowerCase());
  return f?.name;
}

function literal(nodes: Node[]): { ok: boolean; value?: unknown } {
  let neg = false;
  let ns = nodes;
  if (ns.length === 2 && isOp(ns[0], '-')) {
    neg = true;
    ns = ns.slice(1);
  }
  if (ns.length === 1 && !isGroup(ns[0])) {
    const t = ns[0] as Token;
    if (t.kind === 'string' && !neg) return { ok: true, value: t.value };
    if (t.kind === 'number' && /^\d+(\.\d+)?$/.test(t.value)) {
      const v = t.value.includes('.') ? Number(t.value) : BigInt(t.value);
      return { ok: true, value: neg ? (typeof v === 'bigint' ? -v : -v) : v };
    }
    if (t.kind === 'ident' && /^(true|false)$/i.test(t.value))
      return { ok: true, value: t.value.toLowerCase() === 'true' };
  }
  if (ns.length === 2 && isWord(ns[0], 'DATE', 'TIMESTAMP') && ns[1].kind === 'string')
    return { ok: true, value: (ns[1] as Token).value };
  return { ok: false };
}

const FLIP: Record<Cmp, Cmp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function conjunct(c: Node[], schema: StructType, alias: string): Predicate | undefined {
  // IS [NOT] NULL
  if (c.length >= 3 && isWord(c[c.length - 1], 'NULL') && isWord(c[c.length - 2], 'IS', 'NOT')) {
    const notNull = isWord(c[c.length - 2], 'NOT');
    const col = column(c.slice(0, notNull ? -3 : -2), schema, alias);
    return col ? { op: notNull ? 'isNotNull' : 'isNull', column: col } : undefined;
  }
  const inIdx = c.findIndex((x) => isWord(x, 'IN'));
  if (inIdx > 0 && isGroup(c[inIdx + 1]) && inIdx + 2 === c.length && !isWord(c[inIdx - 1], 'NOT')) {
    const col = column(c.slice(0, inIdx), schema, alias);
    const vals = splitCommas((c[inIdx + 1] as { items: Node[] }).items).map(literal);
    if (!col || vals.some((v) => !v.ok)) return undefined;
    return { op: 'in', column: col, values: vals.map((v) => v.value) };
  }
  const bi = c.findIndex((x) => isWord(x, 'BETWEEN'));
  if (bi > 0 && !isWord(c[bi - 1], 'NOT')) {
    const ai = c.findIndex((x, k) => k > bi && isWord(x, 'AND'));
    const col = column(c.slice(0, bi), schema, alias);
    const lo = literal(c.slice(bi + 1, ai));
    const hi = literal(c.slice(ai + 1));
    if (!col || !lo.ok || !hi.ok) return undefined;
    return {
      op: 'and',
      args: [
        { op: '>=', column: col, value: lo.value },
        { op: '<=', column: col, value: hi.value },
      ],
    };
  }
  const oi = c.findIndex((x) => isOp(x, '=', '==', '!=', '<>', '<', '<=', '>', '>='));
  if (oi <= 0) return undefined;
  const raw = (c[oi] as Token).value;
  const op = (raw === '==' ? '=' : raw === '<>' ? '!=' : raw) as Cmp;
  const left = c.slice(0, oi);
  const right = c.slice(oi + 1);
  const lc = column(left, schema, alias);
  const rv = literal(right);
  if (lc && rv.ok && rv.value !== undefined) return { op, column: lc, value: rv.value };
  const rc = column(right, schema, alias);
  const lv = literal(left);
  if (rc && lv.ok && lv.value !== undefined) return { op: FLIP[op], column: rc, value: lv.value };
  return undefined;
}
