import { syntaxError, type Token } from './lexer.js';

/** A parenthesised or bracketed run of nodes. */
export interface Group {
  kind: 'group';
  open: Token;
  close: Token;
  items: Node[];
}
export type Node = Token | Group;

export function isGroup(n: Node | undefined): n is Group {
  return n !== undefined && n.kind === 'group';
}

/** Is this node the keyword/identifier `word` (case-insensitive, unquoted)? */
export function isWord(n: Node | undefined, ...words: string[]): boolean {
  return n !== undefined && n.kind === 'ident' && words.some((w) => w.toUpperCase() === n.value.toUpperCase());
}

export function isOp(n: Node | undefined, ...ops: string[]): boolean {
  return n !== undefined && n.kind === 'op' && ops.includes(n.value);
}

export function firstToken(n: Node): Token {
  return n.kind === 'group' ? n.open : n;
}

/** Nest tokens by () and [] into groups; unbalanced brackets are a syntax error at their position. */
export function buildTree(tokens: Token[]): Node[] {
  const root: Node[] = [];
  const stack: { open: Token; items: Node[] }[] = [];
  let cur = root;
  for (const t of tokens) {
    if (t.kind === 'eof') break;
    if (t.kind === 'op' && (t.value === '(' || t.value === '[')) {
      stack.push({ open: t, items: cur });
      cur = [];
      continue;
    }
    if (t.kind === 'op' && (t.value === ')' || t.value === ']')) {
      const top = stack.pop();
      const want = t.value === ')' ? '(' : '[';
      if (!top || top.open.value !== want) throw syntaxError(`Syntax error at or near '${t.value}'`, t);
      const g: Group = { kind: 'group', open: top.open, close: t, items: cur };
      cur = top.items;
      cur.push(g);
      continue;
    }
    cur.push(t);
  }
  if (stack.length) {
    const top = stack[stack.length - 1];
    throw syntaxError(`Syntax error: '${top.open.value}' is never closed`, top.open);
  }
  return root;
}

/** Split nodes at top-level commas. */
export function splitCommas(items: Node[]): Node[][] {
  const out: Node[][] = [];
  let cur: Node[] = [];
  for (const n of items) {
    if (isOp(n, ',')) {
      out.push(cur);
      cur = [];
    } else cur.push(n);
  }
  if (cur.length || out.length) out.push(cur);
  return out;
}
