import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError, UC, api } from '../api';
import { ResultGrid } from '../components/ResultGrid';
import { quoteName, records, runStatement, type ResultSet } from '../statements';
import { Empty, ErrorBox, Spinner, Tabs, formatBytes, formatTime, useAsync } from '../ui';
import type { TableInfo } from './Explorer';

type Tab = 'columns' | 'sample' | 'details' | 'history' | 'permissions' | 'lineage';

function parsed(value: unknown): unknown {
  if (typeof value === 'string' && /^[[{]/.test(value.trim())) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** A JSON object/array (or a string holding one) shown as readable `key value` pairs, never as raw JSON. */
export function KeyValues({ value }: { value: unknown }) {
  const v = parsed(value);
  if (v === null || v === undefined || v === '') return <span className="muted">—</span>;
  if (Array.isArray(v))
    return v.length ? (
      <span>{v.map((x) => (typeof x === 'object' && x !== null ? '…' : String(x))).join(', ')}</span>
    ) : (
      <span className="muted">none</span>
    );
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (!entries.length) return <span className="muted">none</span>;
    return (
      <span className="kv">
        {entries.map(([k, x]) => (
          <span key={k} className="kv-pair">
            <span className="kv-key">{k}</span> <KeyValues value={x} />
          </span>
        ))}
      </span>
    );
  }
  return <span>{String(v)}</span>;
}

function Columns({ info }: { info: TableInfo }) {
  const cols = info.columns ?? [];
  if (!cols.length) return <Empty title="No columns">This table has no columns in the catalog.</Empty>;
  return (
    <table className="table" data-testid="columns">
      <thead>
        <tr>
          <th>Column</th>
          <th>Type</th>
          <th>Nullable</th>
          <th>Comment</th>
        </tr>
      </thead>
      <tbody>
        {cols.map((c) => (
          <tr key={c.name}>
            <td className="mono">
              {c.name}
              {c.partition_index !== undefined && <span className="badge">partition</span>}
            </td>
            <td className="mono type">{c.type_text}</td>
            <td>{c.nullable === false ? 'no' : 'yes'}</td>
            <td className="muted">{c.comment ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Sample({
  full,
  version,
  onClearVersion,
}: {
  full: string;
  version: number | null;
  onClearVersion: () => void;
}) {
  const [res, setRes] = useState<ResultSet | null>(null);
  const [error, setError] = useState<unknown>();
  const [limit, setLimit] = useState(100);
  useEffect(() => {
    setRes(null);
    setError(undefined);
    const sql = `SELECT * FROM ${full}${version !== null ? ` VERSION AS OF ${version}` : ''} LIMIT ${limit}`;
    runStatement(sql).then(setRes, setError);
  }, [full, version, limit]);
  return (
    <div>
      <div className="row gap">
        {version !== null ? (
          <div className="banner" data-testid="version-banner">
            Showing version {version} of this table.{' '}
            <button className="link" onClick={onClearVersion}>
              Show the current version
            </button>
          </div>
        ) : (
          <span className="muted">The first {limit} rows of the current version.</span>
        )}
        <span className="grow" />
        <label className="muted small">
          Rows{' '}
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[100, 1000, 10000].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={error} />
      {!res && !error && <Spinner label="Reading sample rows…" />}
      {res && <ResultGrid columns={res.columns} rows={res.rows} testId="sample-grid" height={420} />}
    </div>
  );
}

function Details({ full, info }: { full: string; info: TableInfo }) {
  const detail = useAsync(async () => {
    if (info.table_type === 'VIEW') return null;
    return records(await runStatement(`DESCRIBE DETAIL ${full}`))[0] ?? null;
  }, [full]);
  const rows: [string, React.ReactNode][] = [
    ['Full name', <span className="mono">{info.full_name}</span>],
    ['Type', info.table_type],
    ['Format', info.data_source_format],
    ['Owner', info.owner],
    ['Created', formatTime(info.created_at)],
    ['Comment', info.comment],
  ];
  const d = detail.data;
  if (d) {
    rows.push(
      ['Location', <span className="mono wrap">{d.location}</span>],
      ['Size', formatBytes(d.sizeInBytes)],
      ['Files', d.numFiles],
      ['Partition columns', <KeyValues value={d.partitionColumns} />],
      ['Last modified', formatTime(d.lastModified)],
      ['Reader / writer version', `${d.minReaderVersion ?? ''} / ${d.minWriterVersion ?? ''}`],
      ['Properties', <KeyValues value={d.properties} />],
    );
  } else if (info.storage_location) rows.push(['Location', <span className="mono wrap">{info.storage_location}</span>]);
  if (info.table_type === 'VIEW' && (info as { view_definition?: string }).view_definition)
    rows.push(['Definition', <pre className="code">{(info as { view_definition?: string }).view_definition}</pre>]);
  return (
    <div>
      <ErrorBox error={detail.error} title="Details" />
      {detail.loading && <Spinner label="Reading the Delta log…" />}
      <dl className="details" data-testid="details">
        {rows
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => (
            <div key={k} className="detail-row">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
    </div>
  );
}

function History({ full, onShow }: { full: string; onShow: (v: number) => void }) {
  const hist = useAsync(async () => records(await runStatement(`DESCRIBE HISTORY ${full}`)), [full]);
  if (hist.loading && !hist.data) return <Spinner label="Reading the table history…" />;
  if (hist.error) return <ErrorBox error={hist.error} />;
  if (!hist.data?.length) return <Empty title="No history">This table has no versions yet.</Empty>;
  return (
    <table className="table" data-testid="history">
      <thead>
        <tr>
          <th>Version</th>
          <th>Time</th>
          <th>Operation</th>
          <th>Who</th>
          <th>Parameters</th>
          <th>Metrics</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {hist.data.map((h) => (
          <tr key={h.version}>
            <td className="num">{h.version}</td>
            <td className="nowrap">{formatTime(h.timestamp)}</td>
            <td>{h.operation}</td>
            <td>{h.userName ?? h.userId ?? <span className="muted">—</span>}</td>
            <td className="small">
              <KeyValues value={h.operationParameters} />
            </td>
            <td className="small">
              <KeyValues value={h.operationMetrics} />
            </td>
            <td>
              <button className="btn small" onClick={() => onShow(Number(h.version))}>
                Show this version
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const notAvailable = (e: unknown) =>
  e instanceof ApiError && (e.code === 'ENDPOINT_NOT_FOUND' || (e.status === 404 && /No API found/.test(e.message)));

interface Assignment {
  principal: string;
  privileges: string[];
}

function Permissions({ full }: { full: string }) {
  const perms = useAsync(
    () => api.get<{ privilege_assignments?: Assignment[] }>(`${UC}/permissions/table/${encodeURIComponent(full)}`),
    [full],
  );
  const [principal, setPrincipal] = useState('');
  const [privilege, setPrivilege] = useState('SELECT');
  const [error, setError] = useState<unknown>();
  if (perms.loading && !perms.data) return <Spinner />;
  if (perms.error && notAvailable(perms.error))
    return (
      <Empty title="Permissions are not available yet">
        This Lakebox server does not offer the Unity Catalog permissions API yet; once governance is enabled, who has
        what on this table appears here.
      </Empty>
    );
  if (perms.error) return <ErrorBox error={perms.error} />;
  const change = async (p: string, add: string[], remove: string[]) => {
    setError(undefined);
    try {
      await api.patch(`${UC}/permissions/table/${encodeURIComponent(full)}`, {
        changes: [{ principal: p, ...(add.length ? { add } : {}), ...(remove.length ? { remove } : {}) }],
      });
      perms.reload();
    } catch (e) {
      setError(e);
    }
  };
  const list = perms.data?.privilege_assignments ?? [];
  const privName = (p: unknown) => (typeof p === 'string' ? p : (p as { privilege: string }).privilege);
  return (
    <div data-testid="permissions">
      {list.length === 0 ? (
        <Empty title="No grants on this table">
          Only its owner and administrators can use it. Grant a privilege below.
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Principal</th>
              <th>Privileges</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.principal}>
                <td>{a.principal}</td>
                <td>
                  {a.privileges.map((p) => (
                    <span key={privName(p)} className="chip">
                      {privName(p)}
                      <button
                        className="chip-x"
                        title="Revoke"
                        aria-label={`Revoke ${privName(p)} from ${a.principal}`}
                        onClick={() => void change(a.principal, [], [privName(p)])}
                      >
                        ×
                      </button>
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="row gap grant-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!principal.trim()) return setError(new Error('Type the user or group to grant to.'));
          void change(principal.trim(), [privilege], []).then(() => setPrincipal(''));
        }}
      >
        <input
          aria-label="Grantee"
          placeholder="user or group"
          value={principal}
          onChange={(e) => setPrincipal(e.target.value)}
        />
        <select aria-label="Privilege" value={privilege} onChange={(e) => setPrivilege(e.target.value)}>
          {['SELECT', 'MODIFY', 'ALL PRIVILEGES'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button className="btn">Grant</button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

interface LineageEntry {
  tableInfo?: { catalog_name?: string; schema_name?: string; name?: string };
  fileInfo?: { path?: string };
}

function LineageGraph({ center, up, down }: { center: string; up: string[]; down: string[] }) {
  const [, navigate] = useLocation();
  const H = Math.max(up.length, down.length, 1) * 56 + 24;
  const W = 760;
  const box = (x: number, y: number, label: string, key: string, main = false) => (
    <g
      key={key}
      className={main ? 'lin-node main' : 'lin-node'}
      onClick={() =>
        !main && !label.includes('/') && navigate(`/${label.split('.').map(encodeURIComponent).join('/')}`)
      }
    >
      <rect x={x} y={y} width={220} height={36} rx={6} />
      <text x={x + 110} y={y + 22} textAnchor="middle">
        {label.length > 30 ? `…${label.slice(-29)}` : label}
      </text>
    </g>
  );
  const yAt = (i: number, n: number) => H / 2 - (n * 56) / 2 + i * 56 + 10;
  const cy = H / 2 - 18;
  return (
    <svg className="lineage" viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W }}>
      <defs>
        <marker id="lin-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#868e96" />
        </marker>
      </defs>
      {up.map((_, i) => (
        <path
          key={`ul${i}`}
          d={`M230 ${yAt(i, up.length) + 18} C 260 ${yAt(i, up.length) + 18}, 240 ${cy + 18}, 270 ${cy + 18}`}
          className="lin-edge"
          markerEnd="url(#lin-arrow)"
        />
      ))}
      {down.map((_, i) => (
        <path
          key={`dl${i}`}
          d={`M490 ${cy + 18} C 520 ${cy + 18}, 500 ${yAt(i, down.length) + 18}, 530 ${yAt(i, down.length) + 18}`}
          className="lin-edge"
          markerEnd="url(#lin-arrow)"
        />
      ))}
      {up.map((u, i) => box(10, yAt(i, up.length), u, `u${i}`))}
      {box(270, cy, center, 'c', true)}
      {down.map((d, i) => box(530, yAt(i, down.length), d, `d${i}`))}
    </svg>
  );
}

function Lineage({ full }: { full: string }) {
  const lin = useAsync(
    () =>
      api.get<{ upstreams?: LineageEntry[]; downstreams?: LineageEntry[] }>('/api/2.0/lineage-tracking/table-lineage', {
        table_name: full,
      }),
    [full],
  );
  if (lin.loading && !lin.data) return <Spinner />;
  if (lin.error && notAvailable(lin.error))
    return (
      <Empty title="Lineage is not available yet">
        This Lakebox server does not record table lineage yet; once it does, the tables this one is built from and the
        tables built from it appear here as a graph.
      </Empty>
    );
  if (lin.error) return <ErrorBox error={lin.error} />;
  const name = (e: LineageEntry) =>
    e.tableInfo
      ? [e.tableInfo.catalog_name, e.tableInfo.schema_name, e.tableInfo.name].filter(Boolean).join('.')
      : (e.fileInfo?.path ?? '');
  const up = (lin.data?.upstreams ?? []).map(name).filter(Boolean);
  const down = (lin.data?.downstreams ?? []).map(name).filter(Boolean);
  if (!up.length && !down.length)
    return (
      <Empty title="No lineage recorded for this table">
        Lineage appears when a statement reads one table and writes another (INSERT … SELECT, CREATE TABLE … AS SELECT,
        MERGE).
      </Empty>
    );
  return <LineageGraph center={full} up={up} down={down} />;
}

export function TablePage({ catalog, schema, table }: { catalog: string; schema: string; table: string }) {
  const fullName = `${catalog}.${schema}.${table}`;
  const full = quoteName([catalog, schema, table]);
  const info = useAsync(() => api.get<TableInfo>(`${UC}/tables/${encodeURIComponent(fullName)}`), [fullName]);
  const [tab, setTab] = useState<Tab>('columns');
  const [version, setVersion] = useState<number | null>(null);
  useEffect(() => {
    setTab('columns');
    setVersion(null);
  }, [fullName]);
  const isView = info.data?.table_type === 'VIEW';
  const tabs: { key: Tab; label: string }[] = [
    { key: 'columns', label: 'Columns' },
    { key: 'sample', label: 'Sample data' },
    { key: 'details', label: 'Details' },
    ...(isView ? [] : [{ key: 'history' as Tab, label: 'History' }]),
    { key: 'permissions', label: 'Permissions' },
    { key: 'lineage', label: 'Lineage' },
  ];
  return (
    <div className="page">
      <div className="crumbs">
        <Link href={`/${encodeURIComponent(catalog)}`}>{catalog}</Link> ›{' '}
        <Link href={`/${encodeURIComponent(catalog)}/${encodeURIComponent(schema)}`}>{schema}</Link> ›{' '}
        {isView ? 'View' : 'Table'}
      </div>
      <div className="row gap">
        <h1 data-testid="table-title">{table}</h1>
        <span className="grow" />
        <Link className="btn" href={`~/sql?q=${encodeURIComponent(`SELECT * FROM ${full} LIMIT 100`)}`}>
          Query in SQL editor
        </Link>
      </div>
      {info.data?.comment && <p className="muted">{info.data.comment}</p>}
      <ErrorBox error={info.error} />
      {info.loading && !info.data && <Spinner />}
      {info.data && (
        <>
          <Tabs tabs={tabs} active={tab} onChange={setTab} />
          <div className="tab-body">
            {tab === 'columns' && <Columns info={info.data} />}
            {tab === 'sample' && <Sample full={full} version={version} onClearVersion={() => setVersion(null)} />}
            {tab === 'details' && <Details full={full} info={info.data} />}
            {tab === 'history' && (
              <History
                full={full}
                onShow={(v) => {
                  setVersion(v);
                  setTab('sample');
                }}
              />
            )}
            {tab === 'permissions' && <Permissions full={fullName} />}
            {tab === 'lineage' && <Lineage full={fullName} />}
          </div>
        </>
      )}
    </div>
  );
}
