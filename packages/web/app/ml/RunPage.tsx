import { Suspense, lazy, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { PALETTE } from '../charts/chartOption';
import { ARTIFACTS, MLFLOW, api, request } from '../api';
import { ResultGrid } from '../components/ResultGrid';
import { Empty, ErrorBox, Spinner, Tabs, formatBytes, formatNumber, formatTime, useAsync } from '../ui';
import { getRun, metricHistory, runName, visibleTags, type Metric } from './mlflow';
import { ExperimentCrumb } from './ExperimentCrumb';

const EChart = lazy(() => import('../charts/EChart'));

export function MetricChart({ series, title }: { series: { name: string; points: Metric[] }[]; title: string }) {
  const option = {
    title: { text: title, textStyle: { fontSize: 13, fontWeight: 600 }, left: 0 },
    tooltip: { trigger: 'axis' },
    legend: series.length > 1 ? { top: 0, right: 0, type: 'scroll' } : undefined,
    grid: { left: 52, right: 16, top: 36, bottom: 36 },
    xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: { type: 'value', scale: true },
    color: PALETTE,
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      showSymbol: s.points.length < 30,
      data: [...s.points].sort((a, b) => (a.step ?? 0) - (b.step ?? 0)).map((m) => [m.step ?? 0, m.value]),
    })),
  };
  return (
    <Suspense fallback={<Spinner label="Loading charts…" />}>
      <EChart option={option} height={240} testId="metric-chart" />
    </Suspense>
  );
}

function MetricCharts({ runId, keys }: { runId: string; keys: string[] }) {
  const hist = useAsync(
    async () => Promise.all(keys.map(async (k) => ({ key: k, points: await metricHistory(runId, k) }))),
    [runId, keys.join('\u0000')],
  );
  if (!keys.length)
    return (
      <Empty title="No metrics">
        This run logged no metrics. Log some with <code>mlflow.log_metric(key, value, step)</code>.
      </Empty>
    );
  if (hist.error) return <ErrorBox error={hist.error} />;
  if (!hist.data) return <Spinner label="Reading metric history…" />;
  return (
    <div className="chart-grid">
      {hist.data.map((h) => (
        <div key={h.key} className="card">
          <MetricChart title={h.key} series={[{ name: h.key, points: h.points }]} />
        </div>
      ))}
    </div>
  );
}

interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

function artifactRel(uri: string): string | null {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  return m ? m[1]!.replace(/\/+$/, '') : null;
}

function Preview({ url, path, size }: { url: string; path: string; size?: number }) {
  const [content, setContent] = useState<{ kind: 'text' | 'image' | 'csv' | 'json' | 'binary'; data: any } | null>(
    null,
  );
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let objectUrl: string | undefined;
    setContent(null);
    setError(undefined);
    const ext = path.toLowerCase().split('.').pop() ?? '';
    (async () => {
      const res = await request<Response>(url, { raw: true });
      const blob = await res.blob();
      if (['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp'].includes(ext)) {
        objectUrl = URL.createObjectURL(ext === 'svg' ? new Blob([blob], { type: 'image/svg+xml' }) : blob);
        return setContent({ kind: 'image', data: objectUrl });
      }
      if (size !== undefined && size > 2_000_000)
        return setContent({ kind: 'binary', data: 'This file is larger than 2 MB: download it to look at it.' });
      const text = await blob.text();
      if ([...text.slice(0, 2000)].some((c) => c.charCodeAt(0) < 9 || (c.charCodeAt(0) > 13 && c.charCodeAt(0) < 32)))
        return setContent({ kind: 'binary', data: 'This is a binary file: download it to look at it.' });
      if (ext === 'json') {
        try {
          return setContent({ kind: 'json', data: JSON.stringify(JSON.parse(text), null, 2) });
        } catch {
          /* shown as text */
        }
      }
      if (ext === 'csv' || ext === 'tsv') {
        const sep = ext === 'tsv' ? '\t' : ',';
        const lines = parseCsv(text, sep);
        const head = lines[0] ?? [];
        return setContent({
          kind: 'csv',
          data: {
            columns: head.map((h) => ({ name: h, type: 'string' })),
            rows: lines.slice(1).map((r) => head.map((_, i) => r[i] ?? null)),
          },
        });
      }
      setContent({ kind: 'text', data: text });
    })().catch(setError);
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, path, size]);
  if (error) return <ErrorBox error={error} />;
  if (!content) return <Spinner label="Reading the file…" />;
  if (content.kind === 'image') return <img className="artifact-image" src={content.data} alt={path} />;
  if (content.kind === 'csv')
    return <ResultGrid columns={content.data.columns} rows={content.data.rows} height={360} />;
  if (content.kind === 'binary') return <div className="empty">{content.data}</div>;
  return <pre className="code preview">{content.data}</pre>;
}

/** A small CSV reader for previews (quotes, doubled quotes, CRLF). */
function parseCsv(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') q = false;
      else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
    if (rows.length > 10000) break;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

function Artifacts({ runId, artifactUri }: { runId: string; artifactUri: string }) {
  const [dir, setDir] = useState('');
  const [file, setFile] = useState<FileInfo | null>(null);
  const list = useAsync(
    () =>
      api
        .get<{ files?: FileInfo[] }>(`${MLFLOW}/artifacts/list`, { run_id: runId, ...(dir ? { path: dir } : {}) })
        .then((r) => r.files ?? []),
    [runId, dir],
  );
  const rel = artifactRel(artifactUri);
  const url = (p: string) =>
    `${ARTIFACTS}/${[rel, p].filter(Boolean).join('/').split('/').map(encodeURIComponent).join('/')}`;
  const name = (p: string) => p.split('/').pop() ?? p;
  return (
    <div className="artifacts">
      <div className="artifact-list">
        <div className="crumbs">
          <button className="link" onClick={() => (setDir(''), setFile(null))}>
            artifacts
          </button>
          {dir &&
            dir.split('/').map((part, i, all) => (
              <span key={i}>
                {' / '}
                <button className="link" onClick={() => (setDir(all.slice(0, i + 1).join('/')), setFile(null))}>
                  {part}
                </button>
              </span>
            ))}
        </div>
        <ErrorBox error={list.error} />
        {list.loading && !list.data && <Spinner />}
        {list.data?.length === 0 && (
          <div className="tree-note">
            No artifacts{dir ? ' in this folder' : ''}. Log files with <code>mlflow.log_artifact(path)</code>.
          </div>
        )}
        <ul className="files">
          {list.data?.map((f) => (
            <li key={f.path}>
              <button
                className={`file${file?.path === f.path ? ' active' : ''}`}
                onClick={() => (f.is_dir ? (setDir(f.path), setFile(null)) : setFile(f))}
              >
                <span className={`icon ${f.is_dir ? 'icon-folder' : 'icon-file'}`} />
                {name(f.path)}
                {!f.is_dir && <span className="muted small"> {formatBytes(f.file_size)}</span>}
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="artifact-preview">
        {!file && <div className="empty">Choose a file to preview it.</div>}
        {file && rel === null && (
          <div className="empty">This run stores its artifacts at {artifactUri}, which this server does not serve.</div>
        )}
        {file && rel !== null && (
          <>
            <div className="row gap">
              <strong className="mono">{file.path}</strong>
              <span className="grow" />
              <button
                className="btn small"
                onClick={async () => {
                  const res = await request<Response>(url(file.path), { raw: true });
                  const a = document.createElement('a');
                  a.href = URL.createObjectURL(await res.blob());
                  a.download = name(file.path);
                  a.click();
                }}
              >
                Download
              </button>
            </div>
            <Preview url={url(file.path)} path={file.path} size={file.file_size} />
          </>
        )}
      </div>
    </div>
  );
}

type Tab = 'overview' | 'metrics' | 'artifacts';

export default function RunPage({ experimentId, runId }: { experimentId: string; runId: string }) {
  const run = useAsync(() => getRun(runId), [runId]);
  const [tab, setTab] = useState<Tab>('overview');
  const r = run.data;
  const metrics = r?.data.metrics ?? [];
  const params = r?.data.params ?? [];
  const tags = visibleTags(r?.data.tags);
  return (
    <div className="page">
      <div className="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${experimentId}`}>
          <ExperimentCrumb id={experimentId} />
        </Link>{' '}
        › Run
      </div>
      <h1 data-testid="run-title">{r ? runName(r) : runId}</h1>
      <ErrorBox error={run.error} />
      {run.loading && !r && <Spinner />}
      {r && (
        <>
          <div className="facts">
            <span>
              <span className="muted">Status</span>{' '}
              <span className={`status ${r.info.status?.toLowerCase()}`}>{r.info.status}</span>
            </span>
            <span>
              <span className="muted">Started</span> {formatTime(r.info.start_time)}
            </span>
            {r.info.end_time ? (
              <span>
                <span className="muted">Duration</span>{' '}
                {((r.info.end_time - (r.info.start_time ?? 0)) / 1000).toFixed(1)} s
              </span>
            ) : null}
            <span>
              <span className="muted">User</span> {r.info.user_id}
            </span>
            <span className="mono muted small">{r.info.run_id}</span>
          </div>
          <Tabs
            tabs={[
              { key: 'overview', label: 'Overview' },
              { key: 'metrics', label: `Metric charts (${metrics.length})` },
              { key: 'artifacts', label: 'Artifacts' },
            ]}
            active={tab}
            onChange={setTab}
          />
          <div className="tab-body">
            {tab === 'overview' && (
              <div className="cols3">
                <div>
                  <h3>Parameters</h3>
                  {params.length ? (
                    <table className="table compact" data-testid="params-table">
                      <tbody>
                        {params.map((p) => (
                          <tr key={p.key}>
                            <td className="mono">{p.key}</td>
                            <td>{p.value}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : (
                    <div className="tree-note">No parameters logged.</div>
                  )}
                </div>
                <div>
                  <h3>Metrics (latest)</h3>
                  {metrics.length ? (
                    <table className="table compact">
                      <tbody>
                        {metrics.map((m) => (
                          <tr key={m.key}>
                            <td className="mono">{m.key}</td>
                            <td className="num">{formatNumber(m.value)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : (
                    <div className="tree-note">No metrics logged.</div>
                  )}
                </div>
                <div>
                  <h3>Tags</h3>
                  {tags.length ? (
                    <table className="table compact">
                      <tbody>
                        {tags.map((t) => (
                          <tr key={t.key}>
                            <td className="mono">{t.key}</td>
                            <td>{t.value}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ) : (
                    <div className="tree-note">No tags.</div>
                  )}
                </div>
              </div>
            )}
            {tab === 'metrics' && <MetricCharts runId={runId} keys={metrics.map((m) => m.key)} />}
            {tab === 'artifacts' && <Artifacts runId={runId} artifactUri={r.info.artifact_uri ?? ''} />}
          </div>
        </>
      )}
    </div>
  );
}
