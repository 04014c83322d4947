import { basicSetup } from 'codemirror';
import { EditorView, keymap } from '@codemirror/view';
import { EditorState, Prec, type Extension } from '@codemirror/state';
import { SQLDialect, sql } from '@codemirror/lang-sql';
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { UC, api } from '../api';
import { SPARK_FUNCTIONS } from './functions';

/** Spark SQL as CodeMirror highlights it: backquoted identifiers, both quote styles for strings. */
export const SparkSQL = SQLDialect.define({
  keywords:
    'select from where group by having order limit offset as and or not in is null like ilike rlike between case when then else end ' +
    'join inner left right full outer cross semi anti lateral on using union all distinct intersect except minus with recursive ' +
    'insert into overwrite values update set delete merge matched create replace table tables view views temporary temp ' +
    'schema schemas database databases catalog catalogs if exists drop alter add column columns rename to describe desc ' +
    'detail history extended formatted show partitions partitioned clustered cluster sort distribute sorted tblproperties location ' +
    'comment using delta parquet csv json optimize zorder vacuum restore version timestamp of asc nulls first last ' +
    'over partition window rows range unbounded preceding following current row qualify pivot unpivot explain analyze ' +
    'cache uncache refresh grant revoke privileges true false use function functions returns return stream streaming live ' +
    'tablesample lateral view explode collate constraint primary key foreign references default generated always identity',
  types:
    'tinyint smallint int integer bigint long short byte float double real decimal dec numeric string varchar char binary ' +
    'boolean date timestamp timestamp_ntz timestamp_ltz interval array map struct variant void',
  builtin: SPARK_FUNCTIONS.map((f) => f.name).join(' '),
  backslashEscapes: true,
  doubleQuotedStrings: true,
  identifierQuotes: '`',
  hashComments: false,
  spaceAfterDashes: false,
  operatorChars: '*+-%<>!=&|^~/:',
});

interface Col {
  name: string;
  type_text: string;
}
interface Tbl {
  name: string;
  table_type?: string;
  columns?: Col[];
}

/** The catalog as completion needs it, fetched from the Unity Catalog API on demand and cached. */
export class CatalogCache {
  private catalogs?: Promise<string[]>;
  private schemas = new Map<string, Promise<string[]>>();
  private tables = new Map<string, Promise<Tbl[]>>();
  listCatalogs(): Promise<string[]> {
    return (this.catalogs ??= api
      .get<{ catalogs?: { name: string }[] }>(`${UC}/catalogs`)
      .then((r) => (r.catalogs ?? []).map((c) => c.name))
      .catch(() => []));
  }
  listSchemas(catalog: string): Promise<string[]> {
    const k = catalog.toLowerCase();
    if (!this.schemas.has(k))
      this.schemas.set(
        k,
        api
          .get<{ schemas?: { name: string }[] }>(`${UC}/schemas`, { catalog_name: catalog })
          .then((r) => (r.schemas ?? []).map((s) => s.name))
          .catch(() => []),
      );
    return this.schemas.get(k)!;
  }
  listTables(catalog: string, schema: string): Promise<Tbl[]> {
    const k = `${catalog}.${schema}`.toLowerCase();
    if (!this.tables.has(k))
      this.tables.set(
        k,
        api
          .get<{ tables?: Tbl[] }>(`${UC}/tables`, { catalog_name: catalog, schema_name: schema })
          .then((r) => r.tables ?? [])
          .catch(() => []),
      );
    return this.tables.get(k)!;
  }
  clear(): void {
    this.catalogs = undefined;
    this.schemas.clear();
    this.tables.clear();
  }
}

const unq = (s: string) => s.replace(/^`|`$/g, '').replaceAll('``', '`');
const quoteIdent = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `\`${s.replaceAll('`', '``')}\``);

/** Table references (`a.b.c`, `b.c`, `c`, with optional alias) named in a statement. */
function referencedTables(text: string): { parts: string[]; alias?: string }[] {
  const out: { parts: string[]; alias?: string }[] = [];
  const id = '(?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)';
  const re = new RegExp(
    `\\b(?:from|join|update|into|table)\\s+(${id}(?:\\s*\\.\\s*${id}){0,2})(?:\\s+(?:as\\s+)?(?!(?:where|on|join|left|right|inner|full|cross|group|order|limit|using|set|values|version|timestamp|select|union|natural|lateral)\\b)(${id}))?`,
    'gi',
  );
  for (const m of text.matchAll(re)) {
    const parts = m[1]!.split(/\s*\.\s*/).map(unq);
    out.push({ parts, alias: m[2] ? unq(m[2]) : undefined });
  }
  return out;
}

/**
 * Completion of catalogs, schemas, tables (with dotted paths), columns of the tables the statement
 * names (also after `alias.`), Spark functions and keywords.
 */
export function catalogCompletion(cache: CatalogCache, defaults = { catalog: 'main', schema: 'default' }) {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const word = ctx.matchBefore(/(?:(?:`[^`]*`|[\w$]+)\s*\.\s*){0,3}`?[\w$]*$/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const text = word.text;
    const segs = text.split('.').map((s) => unq(s.trim()));
    const prefix = segs.pop() ?? '';
    const from = word.to - prefix.length - (text.endsWith('`' + prefix) ? 1 : 0);
    const doc = ctx.state.doc.toString();
    const options: Completion[] = [];
    const validFor = /^`?[\w$]*$/;
    if (segs.length === 0) {
      const [catalogs, tables] = await Promise.all([
        cache.listCatalogs(),
        cache.listTables(defaults.catalog, defaults.schema),
      ]);
      for (const c of catalogs) options.push({ label: quoteIdent(c), type: 'namespace', detail: 'catalog', boost: 1 });
      for (const t of tables)
        options.push({
          label: quoteIdent(t.name),
          type: 'class',
          detail: t.table_type === 'VIEW' ? 'view' : 'table',
          boost: 2,
        });
      const refs = referencedTables(doc);
      const seen = new Set<string>();
      for (const r of refs) {
        const t = await resolveRef(cache, r.parts, defaults);
        for (const c of t?.columns ?? []) {
          if (seen.has(c.name)) continue;
          seen.add(c.name);
          options.push({ label: quoteIdent(c.name), type: 'property', detail: c.type_text.toLowerCase(), boost: 3 });
        }
      }
      for (const f of SPARK_FUNCTIONS)
        options.push({
          label: f.name,
          type: 'function',
          detail: f.signature.slice(f.name.length),
          apply: `${f.name}(`,
          boost: -1,
        });
      return { from, options, validFor };
    }
    // alias.column or table.column
    const refs = referencedTables(doc);
    if (segs.length === 1) {
      const alias = refs.find(
        (r) =>
          r.alias?.toLowerCase() === segs[0]!.toLowerCase() ||
          (!r.alias && r.parts.at(-1)?.toLowerCase() === segs[0]!.toLowerCase()),
      );
      if (alias) {
        const t = await resolveRef(cache, alias.parts, defaults);
        for (const c of t?.columns ?? [])
          options.push({ label: quoteIdent(c.name), type: 'property', detail: c.type_text.toLowerCase(), boost: 3 });
      }
      const catalogs = await cache.listCatalogs();
      if (catalogs.some((c) => c.toLowerCase() === segs[0]!.toLowerCase()))
        for (const s of await cache.listSchemas(segs[0]!))
          options.push({ label: quoteIdent(s), type: 'namespace', detail: 'schema' });
      for (const t of await cache.listTables(defaults.catalog, segs[0]!))
        options.push({ label: quoteIdent(t.name), type: 'class', detail: 'table' });
    } else if (segs.length === 2) {
      for (const t of await cache.listTables(segs[0]!, segs[1]!))
        options.push({ label: quoteIdent(t.name), type: 'class', detail: t.table_type === 'VIEW' ? 'view' : 'table' });
      const t = await resolveRef(cache, segs, defaults);
      for (const c of t?.columns ?? [])
        options.push({ label: quoteIdent(c.name), type: 'property', detail: c.type_text.toLowerCase() });
    } else {
      const t = await resolveRef(cache, segs, defaults);
      for (const c of t?.columns ?? [])
        options.push({ label: quoteIdent(c.name), type: 'property', detail: c.type_text.toLowerCase() });
    }
    return options.length ? { from, options, validFor } : null;
  };
}

async function resolveRef(
  cache: CatalogCache,
  parts: string[],
  d: { catalog: string; schema: string },
): Promise<Tbl | undefined> {
  const [c, s, t] =
    parts.length >= 3 ? parts : parts.length === 2 ? [d.catalog, ...parts] : [d.catalog, d.schema, parts[0]!];
  const tables = await cache.listTables(c!, s!);
  return tables.find((x) => x.name.toLowerCase() === t!.toLowerCase());
}

/** The statement under the cursor (statements split on `;` outside strings and comments), or the selection. */
export function statementAt(state: EditorState): { text: string; from: number; to: number } {
  const sel = state.selection.main;
  if (!sel.empty) return { text: state.sliceDoc(sel.from, sel.to), from: sel.from, to: sel.to };
  const doc = state.doc.toString();
  const bounds: number[] = [0];
  const re = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|--[^\n]*|\/\*[\s\S]*?\*\/|;/g;
  for (const m of doc.matchAll(re)) if (m[0] === ';') bounds.push(m.index! + 1);
  bounds.push(doc.length + 1);
  const pos = sel.head;
  for (let i = 0; i < bounds.length - 1; i++) {
    const from = bounds[i]!;
    const to = Math.min(bounds[i + 1]!, doc.length);
    if (pos >= from && pos <= to) {
      const text = doc.slice(from, to).replace(/;\s*$/, '');
      if (text.trim() || i === 0) return { text: text.trim(), from, to };
      // cursor just after the last ';': run the statement before it
      const pf = bounds[i - 1]!;
      return { text: doc.slice(pf, from).replace(/;\s*$/, '').trim(), from: pf, to: from };
    }
  }
  return { text: doc.trim(), from: 0, to: doc.length };
}

export function createEditor(opts: {
  parent: HTMLElement;
  doc: string;
  cache: CatalogCache;
  onChange: (doc: string) => void;
  onRun: (view: EditorView) => void;
}): EditorView {
  const extensions: Extension[] = [
    Prec.highest(
      keymap.of([
        { key: 'Mod-Enter', run: (v) => (opts.onRun(v), true) },
        { key: 'Shift-Enter', run: (v) => (opts.onRun(v), true) },
      ]),
    ),
    basicSetup,
    sql({ dialect: SparkSQL, upperCaseKeywords: true }),
    SparkSQL.language.data.of({ autocomplete: catalogCompletion(opts.cache) }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) opts.onChange(u.state.doc.toString());
    }),
    EditorView.theme({
      '&': { height: '100%', fontSize: '13.5px' },
      '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' },
    }),
  ];
  return new EditorView({ parent: opts.parent, state: EditorState.create({ doc: opts.doc, extensions }) });
}
