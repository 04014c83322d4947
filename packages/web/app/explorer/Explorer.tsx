import { useEffect, useMemo, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { UC, api } from '../api';
import { Empty, ErrorBox, Spinner, useAsync } from '../ui';
import { TablePage } from './TablePage';

export interface TableInfo {
  name: string;
  catalog_name: string;
  schema_name: string;
  full_name: string;
  table_type?: string;
  data_source_format?: string;
  storage_location?: string;
  comment?: string;
  properties?: Record<string, string>;
  owner?: string;
  created_at?: number;
  updated_at?: number;
  columns?: { name: string; type_text: string; nullable?: boolean; comment?: string; partition_index?: number }[];
}
interface SchemaInfo {
  name: string;
  catalog_name: string;
  full_name: string;
  comment?: string;
}
interface CatalogInfo {
  name: string;
  comment?: string;
}

const enc = encodeURIComponent;

export const listCatalogs = () => api.get<{ catalogs?: CatalogInfo[] }>(`${UC}/catalogs`).then((r) => r.catalogs ?? []);
export const listSchemas = (catalog: string) =>
  api.get<{ schemas?: SchemaInfo[] }>(`${UC}/schemas`, { catalog_name: catalog }).then((r) => r.schemas ?? []);
export const listTables = (catalog: string, schema: string) =>
  api
    .get<{ tables?: TableInfo[] }>(`${UC}/tables`, { catalog_name: catalog, schema_name: schema })
    .then((r) => r.tables ?? []);

function TreeNode({
  label,
  href,
  kind,
  active,
  open,
  onToggle,
  children,
}: {
  label: string;
  href: string;
  kind: 'catalog' | 'schema' | 'table' | 'view';
  active: boolean;
  open?: boolean;
  onToggle?: () => void;
  children?: React.ReactNode;
}) {
  return (
    <li>
      <div className={`tree-item${active ? ' active' : ''}`}>
        {onToggle ? (
          <button className="twisty" onClick={onToggle} aria-label={open ? 'collapse' : 'expand'}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="twisty" />
        )}
        <span className={`icon icon-${kind}`} />
        <Link href={href} className="tree-link" onClick={() => onToggle && !open && onToggle()}>
          {label}
        </Link>
      </div>
      {open && children}
    </li>
  );
}

function SchemaChildren({ catalog, schema, current }: { catalog: string; schema: string; current: string }) {
  const tables = useAsync(() => listTables(catalog, schema), [catalog, schema]);
  if (tables.loading && !tables.data) return <div className="tree-note">Loading…</div>;
  if (tables.error) return <ErrorBox error={tables.error} />;
  if (!tables.data?.length) return <div className="tree-note">No tables</div>;
  return (
    <ul>
      {tables.data.map((t) => (
        <TreeNode
          key={t.name}
          label={t.name}
          kind={t.table_type === 'VIEW' ? 'view' : 'table'}
          href={`/${enc(catalog)}/${enc(schema)}/${enc(t.name)}`}
          active={current === t.full_name}
        />
      ))}
    </ul>
  );
}

function CatalogChildren({
  catalog,
  current,
  open,
  toggle,
}: {
  catalog: string;
  current: string;
  open: Set<string>;
  toggle: (k: string) => void;
}) {
  const schemas = useAsync(() => listSchemas(catalog), [catalog]);
  if (schemas.loading && !schemas.data) return <div className="tree-note">Loading…</div>;
  if (schemas.error) return <ErrorBox error={schemas.error} />;
  if (!schemas.data?.length) return <div className="tree-note">No schemas</div>;
  return (
    <ul>
      {schemas.data.map((s) => {
        const key = `${catalog}.${s.name}`;
        return (
          <TreeNode
            key={s.name}
            label={s.name}
            kind="schema"
            href={`/${enc(catalog)}/${enc(s.name)}`}
            active={current === key}
            open={open.has(key)}
            onToggle={() => toggle(key)}
          >
            <SchemaChildren catalog={catalog} schema={s.name} current={current} />
          </TreeNode>
        );
      })}
    </ul>
  );
}

/** Every table of every schema the caller can list, for the tree's search box. */
async function allTables(): Promise<TableInfo[]> {
  const out: TableInfo[] = [];
  for (const c of await listCatalogs()) {
    const schemas = await listSchemas(c.name).catch(() => []);
    const lists = await Promise.all(schemas.map((s) => listTables(c.name, s.name).catch(() => [])));
    for (const l of lists) out.push(...l);
  }
  return out;
}

function Tree({ current }: { current: string }) {
  const catalogs = useAsync(listCatalogs, []);
  const [open, setOpen] = useState<Set<string>>(() => new Set(['main', 'main.default']));
  const [q, setQ] = useState('');
  const [index, setIndex] = useState<TableInfo[] | null>(null);
  const [indexError, setIndexError] = useState<unknown>();
  useEffect(() => {
    const parts = current.split('.');
    if (parts.length >= 1 && parts[0]) {
      setOpen((o) => {
        const n = new Set(o);
        n.add(parts[0]!);
        if (parts.length >= 2) n.add(`${parts[0]}.${parts[1]}`);
        return n;
      });
    }
  }, [current]);
  useEffect(() => {
    if (q && !index) allTables().then(setIndex, setIndexError);
  }, [q, index]);
  const toggle = (k: string) =>
    setOpen((o) => {
      const n = new Set(o);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });
  const hits = useMemo(() => {
    const needle = q.trim().toLowerCase();
    if (!needle || !index) return [];
    return index.filter(
      (t) =>
        t.full_name.toLowerCase().includes(needle) ||
        (t.comment ?? '').toLowerCase().includes(needle) ||
        (t.columns ?? []).some((c) => c.name.toLowerCase().includes(needle)),
    );
  }, [q, index]);
  return (
    <aside className="sidebar">
      <input
        className="search"
        type="search"
        placeholder="Search tables and columns"
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          if (!e.target.value) setIndex(null);
        }}
        aria-label="Search tables"
      />
      {q ? (
        <div className="tree">
          <ErrorBox error={indexError} />
          {!index && !indexError && <Spinner label="Searching…" />}
          {index && hits.length === 0 && <div className="tree-note">No table or column matches “{q}”.</div>}
          <ul>
            {hits.map((t) => (
              <li key={t.full_name}>
                <div className={`tree-item${current === t.full_name ? ' active' : ''}`}>
                  <span className={`icon icon-${t.table_type === 'VIEW' ? 'view' : 'table'}`} />
                  <Link
                    className="tree-link"
                    href={`/${enc(t.catalog_name)}/${enc(t.schema_name)}/${enc(t.name)}`}
                    title={t.full_name}
                  >
                    {t.full_name}
                  </Link>
                </div>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <div className="tree">
          <ErrorBox error={catalogs.error} />
          {catalogs.loading && !catalogs.data && <Spinner />}
          {catalogs.data?.length === 0 && <div className="tree-note">No catalogs yet.</div>}
          <ul>
            {catalogs.data?.map((c) => (
              <TreeNode
                key={c.name}
                label={c.name}
                kind="catalog"
                href={`/${enc(c.name)}`}
                active={current === c.name}
                open={open.has(c.name)}
                onToggle={() => toggle(c.name)}
              >
                <CatalogChildren catalog={c.name} current={current} open={open} toggle={toggle} />
              </TreeNode>
            ))}
          </ul>
        </div>
      )}
    </aside>
  );
}

function CatalogPage({ catalog }: { catalog: string }) {
  const schemas = useAsync(() => listSchemas(catalog), [catalog]);
  return (
    <div className="page">
      <div className="crumbs">Catalog</div>
      <h1>{catalog}</h1>
      <ErrorBox error={schemas.error} />
      {schemas.loading && <Spinner />}
      {schemas.data?.length === 0 && (
        <Empty title="This catalog has no schemas">
          Create one in the SQL editor: <code>CREATE SCHEMA {catalog}.my_schema</code>
        </Empty>
      )}
      {!!schemas.data?.length && (
        <table className="table">
          <thead>
            <tr>
              <th>Schema</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {schemas.data.map((s) => (
              <tr key={s.name}>
                <td>
                  <Link href={`/${enc(catalog)}/${enc(s.name)}`}>{s.name}</Link>
                </td>
                <td className="muted">{s.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function SchemaPage({ catalog, schema }: { catalog: string; schema: string }) {
  const tables = useAsync(() => listTables(catalog, schema), [catalog, schema]);
  return (
    <div className="page">
      <div className="crumbs">
        <Link href={`/${enc(catalog)}`}>{catalog}</Link> › Schema
      </div>
      <h1>{schema}</h1>
      <ErrorBox error={tables.error} />
      {tables.loading && <Spinner />}
      {tables.data?.length === 0 && (
        <Empty title="This schema has no tables yet">
          Create one in the <Link href="~/sql">SQL editor</Link>, e.g.{' '}
          <code>
            CREATE TABLE {catalog}.{schema}.my_table (id BIGINT, name STRING)
          </code>
        </Empty>
      )}
      {!!tables.data?.length && (
        <table className="table">
          <thead>
            <tr>
              <th>Table</th>
              <th>Type</th>
              <th>Columns</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {tables.data.map((t) => (
              <tr key={t.name}>
                <td>
                  <Link href={`/${enc(catalog)}/${enc(schema)}/${enc(t.name)}`}>{t.name}</Link>
                </td>
                <td>{t.table_type}</td>
                <td>{t.columns?.length ?? 0}</td>
                <td className="muted">{t.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Welcome() {
  return (
    <div className="page">
      <h1>Data</h1>
      <Empty title="Pick a table in the tree">
        Browse catalogs, schemas and tables on the left, or search by table or column name. No tables yet? Open the{' '}
        <Link href="~/sql">SQL editor</Link> and run{' '}
        <code>CREATE TABLE main.default.trips (id BIGINT, city STRING, fare DOUBLE)</code>.
      </Empty>
    </div>
  );
}

export function Explorer() {
  const [location] = useLocation();
  const current = location
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p))
    .join('.');
  return (
    <div className="explorer">
      <Tree current={current} />
      <section className="content">
        <Switch>
          <Route path="/:catalog/:schema/:table">
            {(p) => (
              <TablePage
                catalog={decodeURIComponent(p.catalog)}
                schema={decodeURIComponent(p.schema)}
                table={decodeURIComponent(p.table)}
              />
            )}
          </Route>
          <Route path="/:catalog/:schema">
            {(p) => <SchemaPage catalog={decodeURIComponent(p.catalog)} schema={decodeURIComponent(p.schema)} />}
          </Route>
          <Route path="/:catalog">{(p) => <CatalogPage catalog={decodeURIComponent(p.catalog)} />}</Route>
          <Route>
            <Welcome />
          </Route>
        </Switch>
      </section>
    </div>
  );
}
