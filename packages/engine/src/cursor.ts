import { syntaxError, type Token } from './lexer.js';
import { isGroup, isOp, isWord, firstToken, splitCommas, type Group, type Node } from './tree.js';

/** A cursor over a statement's top-level nodes, for the hand-written statement parsers. */
export class Cursor {
  i = 0;
  constructor(
    readonly nodes: Node[],
    readonly endTok: Token,
  ) {}

  get done(): boolean {
    return this.i >= this.nodes.length;
  }
  peek(k = 0): Node | undefined {
    return this.nodes[this.i + k];
  }
  /** Is the next run of nodes these words? */
  at(...words: string[]): boolean {
    return words.every((w, k) => isWord(this.nodes[this.i + k], w));
  }
  /** Consume these words if they come next. */
  eat(...words: string[]): boolean {
    if (!this.at(...words)) return false;
    this.i += words.length;
    return true;
  }
  eatOp(op: string): boolean {
    if (!isOp(this.peek(), op)) return false;
    this.i++;
    return true;
  }
  /** Consume one of the words, or fail with a syntax error at this position. */
  expect(...words: string[]): string {
    const n = this.peek();
    const hit = words.find((w) => isWord(n, w));
    if (!hit) throw this.error(`expected ${words.join(' or ')}`);
    this.i++;
    return hit.toUpperCase();
  }
  error(what: string): Error {
    const n = this.peek();
    const tok = n ? firstToken(n) : this.endTok;
    return syntaxError(`Syntax error at or near '${n ? (isGroup(n) ? '(' : tok.raw) : 'end of input'}': ${what}`, tok);
  }
  pos(): Token {
    const n = this.peek();
    return n ? firstToken(n) : this.endTok;
  }
  ident(): string {
    const n = this.peek();
    if (!n || (n.kind !== 'ident' && n.kind !== 'qident')) throw this.error('expected a name');
    this.i++;
    return n.value;
  }
  /** A dotted name: a, a.b, a.b.c (backticks allowed). */
  name(): string[] {
    const parts = [this.ident()];
    while (isOp(this.peek(), '.')) {
      this.i++;
      parts.push(this.ident());
    }
    return parts;
  }
  string(): string {
    const n = this.peek();
    if (!n || n.kind !== 'string') throw this.error('expected a string literal');
    this.i++;
    return n.value;
  }
  group(): Group {
    const n = this.peek();
    if (!isGroup(n)) throw this.error("expected '('");
    this.i++;
    return n;
  }
  rest(): Node[] {
    const r = this.nodes.slice(this.i);
    this.i = this.nodes.length;
    return r;
  }
  /** Nodes up to (not including) the first of these top-level words. */
  until(...words: string[]): Node[] {
    const start = this.i;
    while (this.i < this.nodes.length && !words.some((w) => isWord(this.nodes[this.i], w))) this.i++;
    return this.nodes.slice(start, this.i);
  }
  end(): void {
    if (!this.done) throw this.error('unexpected input');
  }
}

/** `('k' = 'v', k2 = v2)` property lists. */
export function parseProperties(g: Group): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of splitCommas(g.items)) {
    if (!item.length) continue;
    const eq = item.findIndex((x) => isOp(x, '='));
    const keyNodes = eq < 0 ? item : item.slice(0, eq);
    const key = keyNodes.map((x) => (isGroup(x) ? '' : x.value)).join('');
    const v = eq < 0 ? undefined : item[eq + 1];
    out[key] = v === undefined || isGroup(v) ? '' : v.value;
  }
  return out;
}
