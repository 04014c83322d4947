import type { DuckDBConnection } from '@duckdb/node-api';
import { LineageStore, type LineageEvent, type LineageNode, type TableInfo } from '@lakebox/catalog';
import { sqlString } from '@lakebox/delta';
import { Cursor } from './cursor.js';
import type { ExecContext, ParsedStatement, Session } from './engine.js';
import type { Lakehouse } from './lakehouse.js';
import { nodesText } from './lakehouse.js';
import { refPlaceholder, Translator, type TableRef, type TranslateContext } from './translate.js';
import { isGroup, isOp, isWord, splitCommas, type Node } from './tree.js';
import type { Token } from './lexer.js';

// Lineage from executed statements: which tables a write read, and which source columns feed each
// target column. The Spark SQL source query is translated to DuckDB SQL as for execution (table
// references left as `__refN` names), DuckDB's own parser gives its syntax tree
// (`json_serialize_sql`), and the tree is walked with scopes (FROM items, joins, subqueries, CTEs,
// set operations, stars) to follow each output column back to base-table columns through
// expressions, joins and aggregates. Persistent views are lineage nodes of their own (as in Unity
// Catalog); session temporary views are seen through.

/** A lineage source column: `<node key>\u0000<column>`. */
type Src = string;
interface Col {
  name: string;
  src: Set<Src>;
}
interface Rel {
  cols: Col[];
}
interface ScopeItem {
  alias: string;
  rel: Rel;
}
type Json = any;

interface Analysis {
  /** Per output position: the source columns feeding it. */
  outputs: Col[];
  /** Every table node read. */
  nodes: Map<string, LineageNode>;
}

const keyOf = (n: LineageNode) => n.fullName ?? `path:${n.path ?? ''}`;
const lc = (s: string) => s.toLowerCase();

/** Session fields a caller may set so lineage names what ran the statement. */
export interface LineageSession extends Session {
  entity?: { type: string; id: string; runId?: string };
  statementId?: string;
}

export class LineageAnalyzer {
  private readonly nodes = new Map<string, LineageNode>();
  private depth = 0;

  constructor(
    private readonly lakehouse: Lakehouse,
    private readonly ctx: ExecContext,
  ) {}

  /** Analyze a Spark SQL query (nodes). */
  async query(nodes: Node[], session: Session = this.ctx.session): Promise<Analysis> {
    const tctx: TranslateContext = { refs: [], params: this.ctx.params, ctes: new Set(), unknownFunctions: new Set() };
    let sql = new Translator(tctx).query(nodes);
    const refRels: ScopeItem[] = [];
    for (let i = 0; i < tctx.refs.length; i++) {
      sql = sql.replace(refPlaceholder(i), `"__ref${i}"`);
      refRels.push(await this.refRel(tctx.refs[i]!, session));
    }
    const tree = await parseDuck(sql, this.ctx.conn);
    const rel = this.node(tree, [], new Map(), refRels);
    return { outputs: rel.cols, nodes: this.nodes };
  }

  private async refRel(ref: TableRef, session: Session): Promise<ScopeItem> {
    const alias = lc(ref.alias ?? (ref.path ? 'delta_path' : ref.parts[ref.parts.length - 1]!));
    const temp = (session as Session & { tempViews?: Map<string, string> }).tempViews;
    if (!ref.path && ref.parts.length === 1 && temp?.has(lc(ref.parts[0]!)) && this.depth < 16) {
      // a session temporary view: see through it to the tables it reads
      this.depth++;
      try {
        const st = this.lakehouse.engine.parse(temp.get(lc(ref.parts[0]!))!)[0]!;
        const a = await this.query(st.nodes, session);
        return { alias, rel: { cols: a.outputs } };
      } finally {
        this.depth--;
      }
    }
    let node: LineageNode;
    let names: string[] | undefined;
    if (ref.path) {
      node = { fullName: null, path: ref.path, type: 'PATH' };
    } else {
      const info: TableInfo = await this.lakehouse.table(ref.parts, session);
      node = { fullName: info.fullName, type: info.tableType === 'VIEW' ? 'VIEW' : 'TABLE' };
      if (info.columns.length) names = info.columns.map((c) => c.name);
    }
    if (!names) {
      const rel = await this.lakehouse.resolve(ref, session as never, this.ctx.conn);
      const d = await this.ctx.conn.runAndReadAll(`DESCRIBE (${rel})`);
      names = d.getRows().map((r) => String(r[0]));
    }
    const k = keyOf(node);
    this.nodes.set(k, node);
    return { alias, rel: { cols: names.map((n) => ({ name: n, src: new Set([`${k}\u0000${n}`]) })) } };
  }

  // ---- DuckDB syntax tree

  private node(n: Json, outer: ScopeItem[], ctes: Map<string, Rel>, refs: ScopeItem[]): Rel {
    if (!n || typeof n !== 'object') return { cols: [] };
    const localCtes = new Map(ctes);
    for (const e of n.cte_map?.map ?? []) {
      localCtes.set(lc(e.key), this.node(e.value?.query?.node, outer, localCtes, refs));
    }
    if (n.type === 'SET_OPERATION_NODE') {
      const parts: Rel[] = (n.children ?? [n.left, n.right]).map((c: Json) => this.node(c, outer, localCtes, refs));
      const first = parts[0] ?? { cols: [] };
      return {
        cols: first.cols.map((c, i) => ({
          name: c.name,
          src: new Set(parts.flatMap((p) => [...(p.cols[i]?.src ?? [])])),
        })),
      };
    }
    if (n.type === 'RECURSIVE_CTE_NODE') return this.node(n.left, outer, localCtes, refs);
    if (n.type !== 'SELECT_NODE') return { cols: [] };
    const scope = this.from(n.from_table, outer, localCtes, refs);
    const all = [...scope, ...outer];
    const out: Col[] = [];
    for (const item of n.select_list ?? []) {
      if (item.class === 'STAR' && !item.expr) {
        const rels = item.relation_name ? scope.filter((s) => s.alias === lc(item.relation_name)) : scope;
        const excl = new Set<string>(
          [...(item.exclude_list ?? []), ...(item.qualified_exclude_list ?? [])].map((x: Json) =>
            lc(typeof x === 'string' ? x : Array.isArray(x?.column_names) ? x.column_names.at(-1) : String(x)),
          ),
        );
        for (const s of rels) for (const c of s.rel.cols) if (!excl.has(lc(c.name))) out.push(c);
        continue;
      }
      const src = this.expr(item, all, localCtes, refs, out);
      const name =
        item.alias || (item.class === 'COLUMN_REF' ? String(item.column_names.at(-1)) : undefined) || `_c${out.length}`;
      out.push({ name, src });
    }
    return { cols: out };
  }

  private from(t: Json, outer: ScopeItem[], ctes: Map<string, Rel>, refs: ScopeItem[]): ScopeItem[] {
    if (!t || typeof t !== 'object') return [];
    const rename = (rel: Rel): Rel => {
      const al: string[] = t.column_name_alias ?? [];
      if (!al.length) return rel;
      return { cols: rel.cols.map((c, i) => (al[i] ? { name: al[i]!, src: c.src } : c)) };
    };
    switch (t.type) {
      case 'BASE_TABLE': {
        const name = lc(t.table_name ?? '');
        const m = /^__ref(\d+)$/.exec(name);
        if (m && !t.schema_name) {
          const r = refs[Number(m[1])];
          if (r) return [{ alias: t.alias ? lc(t.alias) : r.alias, rel: rename(r.rel) }];
        }
        const cte = ctes.get(name);
        return [{ alias: lc(t.alias || name), rel: rename(cte ?? { cols: [] }) }];
      }
      case 'JOIN':
        return [...this.from(t.left, outer, ctes, refs), ...this.from(t.right, [...outer], ctes, refs)];
      case 'SUBQUERY':
        return [{ alias: lc(t.alias ?? ''), rel: rename(this.node(t.subquery?.node, outer, ctes, refs)) }];
      case 'PIVOT':
        return this.from(t.source, outer, ctes, refs).map((s) => ({ ...s, alias: lc(t.alias || s.alias) }));
      default: {
        // table functions, VALUES lists: no table sources of their own, but subqueries inside may read tables
        const src = this.expr(t, outer, ctes, refs, []);
        return src.size ? [{ alias: lc(t.alias ?? ''), rel: { cols: [{ name: '_c0', src }] } }] : [];
      }
    }
  }

  /** Source columns an expression (any syntax-tree object) reads. */
  private expr(e: Json, scope: ScopeItem[], ctes: Map<string, Rel>, refs: ScopeItem[], earlier: Col[]): Set<Src> {
    const out = new Set<Src>();
    const walk = (x: Json): void => {
      if (!x || typeof x !== 'object') return;
      if (Array.isArray(x)) {
        for (const y of x) walk(y);
        return;
      }
      if (x.class === 'COLUMN_REF' && Array.isArray(x.column_names)) {
        for (const s of this.column(x.column_names.map(String), scope, earlier)) out.add(s);
        return;
      }
      if (x.class === 'STAR') {
        // count(*), COLUMNS(*) and friends: a star inside an expression reads no particular column
        if (x.expr) walk(x.expr);
        return;
      }
      if (x.class === 'SUBQUERY' && x.subquery) {
        for (const c of this.node(x.subquery.node, scope, ctes, refs).cols) for (const s of c.src) out.add(s);
        if (x.child) walk(x.child);
        return;
      }
      if (x.class === 'LAMBDA') {
        walk(x.expr);
        return;
      }
      for (const v of Object.values(x)) if (v && typeof v === 'object') walk(v);
    };
    walk(e);
    return out;
  }

  private column(names: string[], scope: ScopeItem[], earlier: Col[]): Set<Src> {
    const n = names.map(lc);
    if (n.length >= 2) {
      for (let k = n.length - 2; k >= 0; k--) {
        const alias = n[k]!;
        const col = n[k + 1]!;
        const s = scope.find((x) => x.alias === alias && x.rel.cols.some((c) => lc(c.name) === col));
        if (s) return s.rel.cols.find((c) => lc(c.name) === col)!.src;
      }
    }
    // unqualified (or a struct field of an unqualified column)
    for (const s of scope) {
      const c = s.rel.cols.find((x) => lc(x.name) === n[0]);
      if (c) return c.src;
    }
    // a select-list alias used later in the same list
    const prior = earlier.find((c) => lc(c.name) === n[0]);
    return prior ? prior.src : new Set();
  }
}

/** DuckDB's syntax tree of one SELECT statement. */
async function parseDuck(sql: string, conn: DuckDBConnection): Promise<Json> {
  const r = await conn.runAndReadAll(`SELECT json_serialize_sql(${sqlString(sql)})`);
  const doc = JSON.parse(String(r.getRows()[0]![0]));
  if (doc.error) throw new Error(`lineage: DuckDB could not parse the query: ${doc.error_message ?? ''}`);
  return doc.statements?.[0]?.node;
}

// ------------------------------------------------------------------------------------------------
// Statements

const STORES = new WeakMap<object, LineageStore>();

function storeFor(lakehouse: Lakehouse): LineageStore {
  const db = lakehouse.metastore.db;
  let s = STORES.get(db);
  if (!s) STORES.set(db, (s = new LineageStore(db)));
  return s;
}

/** The lineage store over a lakehouse's metastore database. */
export function lineageStore(lakehouse: Lakehouse): LineageStore {
  return storeFor(lakehouse);
}

interface Target {
  node: LineageNode;
  /** Target column names by output position (null: take the analysis' output names). */
  columns: string[] | null;
  byName?: boolean;
  query: Node[];
  /** Extra column edges (MERGE/UPDATE assignments), as [target column, query output position]. */
  assignments?: string[];
  /** Source columns of the target itself that are not edges (UPDATE's unchanged columns). */
  selfTable?: string;
}

function qname(parts: string[]): string {
  return parts.map((p) => `\`${p.replaceAll('`', '``')}\``).join('.');
}

/**
 * After a successful write statement: work out its lineage and store it. Statements that write
 * nothing (or that lineage does not cover) are ignored. Never throws: lineage must not fail a
 * write that has already committed; a failure is logged to stderr when LAKEBOX_LINEAGE_DEBUG is set.
 */
export async function recordStatementLineage(
  lakehouse: Lakehouse,
  st: ParsedStatement,
  ctx: ExecContext,
): Promise<void> {
  try {
    const target = await statementTarget(lakehouse, st, ctx);
    if (!target) return;
    const an = new LineageAnalyzer(lakehouse, ctx);
    const a = await an.query(target.query);
    const names = target.assignments ?? target.columns ?? a.outputs.map((c) => c.name);
    const byName = target.byName && target.columns;
    const columns: LineageEvent['columns'] = [];
    const lookup = new Map([...a.nodes.values()].map((n) => [keyOf(n), n]));
    a.outputs.forEach((o, i) => {
      const tcol = byName ? target.columns!.find((c) => lc(c) === lc(o.name)) : names[i];
      if (!tcol) return;
      const sources = [...o.src]
        .map((s) => {
          const [k, column] = s.split('\u0000') as [string, string];
          return { table: lookup.get(k)!, column };
        })
        .filter(
          (s) => s.table && !(target.selfTable && s.table.fullName === target.selfTable && lc(s.column) === lc(tcol)),
        );
      if (sources.length) columns.push({ target: tcol, sources });
    });
    let sources = [...a.nodes.values()];
    if (target.selfTable) {
      const self = target.selfTable;
      const selfUsed = columns.some((c) => c.sources.some((s) => s.table.fullName === self));
      if (!selfUsed) sources = sources.filter((s) => s.fullName !== self);
    }
    if (!sources.length && !columns.length) return;
    const session = ctx.session as LineageSession;
    await storeFor(lakehouse).record({
      sources,
      target: target.node,
      columns,
      createdBy: session.user,
      entity: session.entity ?? null,
      statementId: session.statementId ?? null,
    });
  } catch (e) {
    if (process.env.LAKEBOX_LINEAGE_DEBUG) console.error('lineage:', e);
  }
}

/**
 * Lineage of a write that did not go through a SQL statement (a DataFrame written to a Delta
 * location, e.g. Spark Connect's `save(path)` or an append with mergeSchema): the Spark SQL query
 * that produced the rows and the location written. A location that is a catalog table's storage
 * names that table; any other is a PATH node. Output columns map to target columns by name.
 * Never throws (see recordStatementLineage).
 */
export async function recordQueryLineage(
  lakehouse: Lakehouse,
  query: string,
  location: string,
  ctx: ExecContext,
): Promise<void> {
  try {
    const st = lakehouse.engine.parse(query)[0];
    if (!st) return;
    const a = await new LineageAnalyzer(lakehouse, ctx).query(st.nodes);
    const row = await lakehouse.metastore.db
      .selectFrom('tables')
      .innerJoin('schemas', 'schemas.id', 'tables.schema_id')
      .innerJoin('catalogs', 'catalogs.id', 'schemas.catalog_id')
      .select(['tables.name as t', 'schemas.name as s', 'catalogs.name as c'])
      .where('tables.storage_location', '=', location)
      .executeTakeFirst();
    const target: LineageNode = row
      ? { fullName: `${row.c}.${row.s}.${row.t}`, type: 'TABLE' }
      : { fullName: null, path: location, type: 'PATH' };
    const lookup = new Map([...a.nodes.values()].map((n) => [keyOf(n), n]));
    const columns: LineageEvent['columns'] = a.outputs
      .map((o) => ({
        target: o.name,
        sources: [...o.src].map((x) => {
          const [k, column] = x.split('\u0000') as [string, string];
          return { table: lookup.get(k)!, column };
        }),
      }))
      .filter((c) => c.sources.length);
    const sources = [...a.nodes.values()];
    if (!sources.length) return;
    const session = ctx.session as LineageSession;
    await storeFor(lakehouse).record({
      sources,
      target,
      columns,
      createdBy: session.user,
      entity: session.entity ?? null,
      statementId: session.statementId ?? null,
    });
  } catch (e) {
    if (process.env.LAKEBOX_LINEAGE_DEBUG) console.error('lineage:', e);
  }
}

async function targetNode(lakehouse: Lakehouse, parts: string[], session: Session): Promise<LineageNode> {
  if (parts.length === 2 && /^delta$/i.test(parts[0]!) && parts[1]!.includes('/'))
    return { fullName: null, path: parts[1]!, type: 'PATH' };
  const info = await lakehouse.table(parts, session);
  return { fullName: info.fullName, type: info.tableType === 'VIEW' ? 'VIEW' : 'TABLE' };
}

function tableName(c: Cursor): string[] {
  return c.name();
}

async function statementTarget(
  lakehouse: Lakehouse,
  st: ParsedStatement,
  ctx: ExecContext,
): Promise<Target | undefined> {
  const c = new Cursor(st.nodes, st.tokens[st.tokens.length - 1]!);
  const session = ctx.session;
  if (c.at('CREATE') || c.at('REPLACE')) {
    if (!c.eat('REPLACE')) c.expect('CREATE');
    c.eat('OR', 'REPLACE');
    if (c.eat('TEMPORARY') || c.eat('TEMP')) return undefined;
    const view = c.eat('VIEW');
    if (!view && !c.eat('TABLE')) return undefined;
    c.eat('IF', 'NOT', 'EXISTS');
    const parts = tableName(c);
    const asAt = c.nodes.findIndex((n, i) => i >= c.i && isWord(n, 'AS'));
    if (asAt < 0) return undefined;
    const query = c.nodes.slice(asAt + 1);
    const node = await targetNode(lakehouse, parts, session);
    let columns: string[] | null = null;
    if (view) {
      const g = c.peek();
      if (isGroup(g)) columns = splitCommas(g.items).map((x) => (x[0] as Token).value);
    } else {
      const info = await lakehouse.table(parts, session);
      columns = info.columns.map((x) => x.name);
    }
    return { node, columns, query };
  }
  if (c.eat('INSERT')) {
    if (!c.eat('OVERWRITE')) c.expect('INTO');
    c.eat('TABLE');
    const parts = tableName(c);
    const node = await targetNode(lakehouse, parts, session);
    const staticParts = new Set<string>();
    if (c.eat('PARTITION')) {
      for (const p of splitCommas(c.group().items))
        if (p.length >= 3 && isOp(p[1], '=')) staticParts.add(lc((p[0] as Token).value));
    }
    let columns: string[] | null = null;
    if (isGroup(c.peek()) && !isWord((c.peek() as { items: Node[] }).items[0], 'SELECT', 'WITH', 'VALUES', 'FROM'))
      columns = splitCommas(c.group().items).map((x) => (x[0] as Token).value);
    if (c.eat('REPLACE', 'WHERE')) c.until('SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE');
    const byName = c.eat('BY', 'NAME');
    const query = c.rest();
    let fields: string[];
    if (node.fullName) {
      fields = (await lakehouse.table(parts, session)).columns.map((x) => x.name);
    } else fields = [];
    if (byName) columns = fields;
    else if (!columns) columns = fields.filter((f) => !staticParts.has(lc(f)));
    return { node, columns, query, byName };
  }
  if (c.eat('MERGE')) {
    c.eat('WITH', 'SCHEMA', 'EVOLUTION');
    c.expect('INTO');
    const parts = tableName(c);
    const node = await targetNode(lakehouse, parts, session);
    let talias = parts[parts.length - 1]!;
    if (c.eat('AS')) talias = c.ident();
    else if (!isWord(c.peek(), 'USING')) talias = c.ident();
    c.expect('USING');
    const srcNodes = c.until('ON');
    let salias = 'source';
    let rel = srcNodes;
    const last = srcNodes[srcNodes.length - 1];
    if (
      srcNodes.length >= 2 &&
      last &&
      !isGroup(last) &&
      (last.kind === 'ident' || last.kind === 'qident') &&
      !isOp(srcNodes[srcNodes.length - 2], '.')
    ) {
      salias = last.value;
      rel = srcNodes.slice(0, isWord(srcNodes[srcNodes.length - 2], 'AS') ? -2 : -1);
    } else if (srcNodes.length && !isGroup(srcNodes[0]))
      salias = (srcNodes.filter((n) => !isGroup(n) && (n.kind === 'ident' || n.kind === 'qident')).pop() as Token)
        .value;
    c.expect('ON');
    const on = c.until('WHEN');
    const fields = node.fullName ? (await lakehouse.table(parts, session)).columns.map((x) => x.name) : [];
    const exprs: string[] = [];
    const assignments: string[] = [];
    let star = false;
    while (c.eat('WHEN')) {
      c.until('THEN');
      c.expect('THEN');
      if (c.eat('DELETE')) continue;
      if (c.eat('UPDATE')) {
        c.expect('SET');
        if (c.eatOp('*')) {
          star = true;
          continue;
        }
        for (const a of splitCommas(c.until('WHEN'))) {
          const eq = a.findIndex((x) => isOp(x, '='));
          if (eq < 1) continue;
          assignments.push((a[eq - 1] as Token).value);
          exprs.push(nodesText(a.slice(eq + 1)));
        }
      } else if (c.eat('INSERT')) {
        if (c.eatOp('*')) {
          star = true;
          continue;
        }
        const names = splitCommas(c.group().items).map((x) => (x[x.length - 1] as Token).value);
        c.expect('VALUES');
        const vals = splitCommas(c.group().items);
        names.forEach((n, i) => {
          assignments.push(n);
          exprs.push(nodesText(vals[i] ?? []));
        });
      }
    }
    if (star) {
      for (const f of fields) {
        assignments.push(f);
        exprs.push(`${qname([salias])}.${qname([f])}`);
      }
    }
    if (!exprs.length) exprs.push('1');
    // One query whose outputs are the assigned expressions, over the source joined to the target:
    // its table sources are everything the MERGE read.
    const text = `SELECT ${exprs.map((e, i) => `${e} AS \`__a${i}\``).join(', ')} FROM ${nodesText(rel)} AS ${qname([salias])} JOIN ${qname(parts)} AS ${qname([talias])} ON ${nodesText(on)}`;
    const q = lakehouse.engine.parse(text)[0]!;
    return { node, columns: null, query: q.nodes, assignments, ...(node.fullName ? { selfTable: node.fullName } : {}) };
  }
  if (c.eat('UPDATE')) {
    const parts = tableName(c);
    const node = await targetNode(lakehouse, parts, session);
    let alias = parts[parts.length - 1]!;
    if (c.eat('AS')) alias = c.ident();
    else if (!isWord(c.peek(), 'SET')) alias = c.ident();
    c.expect('SET');
    const exprs: string[] = [];
    const assignments: string[] = [];
    for (const a of splitCommas(c.until('WHERE'))) {
      const eq = a.findIndex((x) => isOp(x, '='));
      if (eq < 1) continue;
      assignments.push((a[eq - 1] as Token).value);
      exprs.push(nodesText(a.slice(eq + 1)));
    }
    const where = c.eat('WHERE') ? ` WHERE ${nodesText(c.rest())}` : '';
    const text = `SELECT ${exprs.map((e, i) => `${e} AS \`__a${i}\``).join(', ')} FROM ${qname(parts)} AS ${qname([alias])}${where}`;
    const q = lakehouse.engine.parse(text)[0]!;
    return { node, columns: null, query: q.nodes, assignments, ...(node.fullName ? { selfTable: node.fullName } : {}) };
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// system.access.table_lineage / column_lineage

const TABLE_COLUMNS = [
  'account_id',
  'metastore_id',
  'workspace_id',
  'entity_type',
  'entity_id',
  'entity_run_id',
  'source_table_full_name',
  'source_table_catalog',
  'source_table_schema',
  'source_table_name',
  'source_path',
  'source_type',
  'target_table_full_name',
  'target_table_catalog',
  'target_table_schema',
  'target_table_name',
  'target_path',
  'target_type',
  'created_by',
  'event_time',
  'event_date',
  'record_id',
  'event_id',
  'statement_id',
] as const;

export const SYSTEM_LINEAGE_TABLES = ['table_lineage', 'column_lineage'] as const;

/** DuckDB SQL for `system.access.table_lineage` or `system.access.column_lineage` (rows from the metastore). */
export async function systemLineageSql(lakehouse: Lakehouse, which: string): Promise<string | undefined> {
  const w = lc(which);
  if (w !== 'table_lineage' && w !== 'column_lineage') return undefined;
  const store = storeFor(lakehouse);
  const rows: Json[] = w === 'table_lineage' ? await store.tableLineage() : await store.columnLineage();
  const cols: string[] = [...TABLE_COLUMNS];
  if (w === 'column_lineage') {
    cols.splice(cols.indexOf('target_table_full_name'), 0, 'source_column_name');
    cols.push('target_column_name');
  }
  // Rows travel as one JSON literal that DuckDB parses (from_json): far faster to plan than VALUES.
  const stored = [
    'entity_type',
    'entity_id',
    'entity_run_id',
    'source_table_full_name',
    'source_path',
    'source_type',
    'target_table_full_name',
    'target_path',
    'target_type',
    'created_by',
    'record_id',
    'event_id',
    'statement_id',
    ...(w === 'column_lineage' ? ['source_column_name', 'target_column_name'] : []),
  ];
  const structure = JSON.stringify([
    Object.fromEntries([...stored.map((c) => [c, 'VARCHAR']), ['event_time', 'BIGINT']]),
  ]);
  const json = JSON.stringify(
    rows.map((r) => Object.fromEntries([...stored, 'event_time'].map((c) => [c, r[c] ?? null]))),
  );
  const part = (col: string, i: number) => `split_part(r.${col}, '.', ${i})`;
  const ts = 'make_timestamp(r.event_time * 1000)';
  const expr = (c: string): string => {
    switch (c) {
      case 'account_id':
      case 'workspace_id':
        return 'CAST(NULL AS VARCHAR)';
      case 'metastore_id':
        return "'lakebox'";
      case 'source_table_catalog':
        return part('source_table_full_name', 1);
      case 'source_table_schema':
        return part('source_table_full_name', 2);
      case 'source_table_name':
        return part('source_table_full_name', 3);
      case 'target_table_catalog':
        return part('target_table_full_name', 1);
      case 'target_table_schema':
        return part('target_table_full_name', 2);
      case 'target_table_name':
        return part('target_table_full_name', 3);
      case 'event_time':
        return ts;
      case 'event_date':
        return `CAST(${ts} AS DATE)`;
      default:
        return `r.${c}`;
    }
  };
  const select = cols.map((c) => `${expr(c)} AS "${c}"`).join(', ');
  return `SELECT ${select} FROM (SELECT unnest(from_json(${sqlString(json)}, ${sqlString(structure)}), recursive := true)) AS r`;
}
