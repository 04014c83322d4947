import { Suspense, lazy, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { PALETTE } from '../charts/chartOption';
import { Empty, ErrorBox, Spinner, formatNumber, useAsync } from '../ui';
import { getRun, metricHistory, runName, type Run } from './mlflow';
import { ExperimentCrumb } from './ExperimentCrumb';
import { MetricChart } from './RunPage';

const EChart = lazy(() => import('../charts/EChart'));

function Parallel({ runs, params, metrics }: { runs: Run[]; params: string[]; metrics: string[] }) {
  const dims = [
    ...params.map((p) => ({ key: p, kind: 'param' as const })),
    ...metrics.map((m) => ({ key: m, kind: 'metric' as const })),
  ];
  const value = (r: Run, d: (typeof dims)[number]) =>
    d.kind === 'param'
      ? r.data.params?.find((p) => p.key === d.key)?.value
      : r.data.metrics?.find((m) => m.key === d.key)?.value;
  const axes = dims.map((d, i) => {
    const vals = runs.map((r) => value(r, d));
    const numeric = vals.every((v) => v === undefined || (v !== '' && Number.isFinite(Number(v))));
    return numeric
      ? { dim: i, name: d.key, type: 'value', scale: true }
      : { dim: i, name: d.key, type: 'category', data: [...new Set(vals.map((v) => String(v ?? '')))] };
  });
  const option = {
    color: PALETTE,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, type: 'scroll' },
    parallel: { left: 60, right: 80, top: 40, bottom: 50 },
    parallelAxis: axes.map((a) => ({ ...a, nameTextStyle: { fontSize: 12 }, nameLocation: 'end' })),
    series: runs.map((r) => ({
      name: runName(r),
      type: 'parallel',
      lineStyle: { width: 2.5, opacity: 0.85 },
      data: [
        dims.map((d, i) => {
          const v = value(r, d);
          return axes[i]!.type === 'value' ? (v === undefined ? null : Number(v)) : String(v ?? '');
        }),
      ],
    })),
  };
  if (dims.length < 2)
    return <div className="tree-note">Parallel coordinates need at least two parameters or metrics.</div>;
  return (
    <Suspense fallback={<Spinner label="Loading charts…" />}>
      <EChart option={option} height={340} testId="parallel-chart" />
    </Suspense>
  );
}

export default function ComparePage({ experimentId }: { experimentId: string }) {
  const ids = useMemo(
    () => (new URLSearchParams(window.location.search).get('runs') ?? '').split(',').filter(Boolean),
    [],
  );
  const [onlyDiff, setOnlyDiff] = useState(false);
  const runs = useAsync(() => Promise.all(ids.map(getRun)), [ids.join(',')]);
  const rs = runs.data ?? [];
  const params = [...new Set(rs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metrics = [...new Set(rs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const histories = useAsync(
    async () =>
      Promise.all(
        metrics.map(async (k) => ({
          key: k,
          series: await Promise.all(
            rs.map(async (r) => ({ name: runName(r), points: await metricHistory(r.info.run_id, k) })),
          ),
        })),
      ),
    [rs.map((r) => r.info.run_id).join(','), metrics.join('\u0000')],
  );
  const p = (r: Run, k: string) => r.data.params?.find((x) => x.key === k)?.value;
  const m = (r: Run, k: string) => r.data.metrics?.find((x) => x.key === k)?.value;
  const differs = (k: string) => new Set(rs.map((r) => p(r, k) ?? '\u0000')).size > 1;
  const shownParams = onlyDiff ? params.filter(differs) : params;
  if (ids.length < 2 || ids.length > 10)
    return (
      <div className="page">
        <h1>Compare runs</h1>
        <Empty title="Choose 2 to 10 runs to compare">
          Go back to the <Link href={`/experiments/${experimentId}`}>experiment</Link>, tick the runs and press Compare.
        </Empty>
      </div>
    );
  return (
    <div className="page wide">
      <div className="crumbs">
        <Link href="/experiments">Experiments</Link> ›{' '}
        <Link href={`/experiments/${experimentId}`}>
          <ExperimentCrumb id={experimentId} />
        </Link>{' '}
        › Compare
      </div>
      <h1>Comparing {ids.length} runs</h1>
      <ErrorBox error={runs.error} />
      {runs.loading && !runs.data && <Spinner />}
      {rs.length > 0 && (
        <>
          <div className="card">
            <h3>Parallel coordinates</h3>
            <Parallel runs={rs} params={params} metrics={metrics} />
          </div>
          <div className="row gap">
            <h3>Parameters</h3>
            <span className="grow" />
            <label className="check">
              <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only
              differences
            </label>
          </div>
          <div className="table-scroll">
            <table className="table compare" data-testid="param-diff">
              <thead>
                <tr>
                  <th>Parameter</th>
                  {rs.map((r) => (
                    <th key={r.info.run_id}>
                      <Link href={`/experiments/${experimentId}/runs/${r.info.run_id}`}>{runName(r)}</Link>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {shownParams.length === 0 && (
                  <tr>
                    <td colSpan={rs.length + 1} className="muted">
                      {params.length ? 'All parameters are equal.' : 'These runs logged no parameters.'}
                    </td>
                  </tr>
                )}
                {shownParams.map((k) => (
                  <tr key={k} className={differs(k) ? 'diff' : ''}>
                    <td className="mono">{k}</td>
                    {rs.map((r) => (
                      <td key={r.info.run_id}>{p(r, k) ?? <span className="muted">—</span>}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>
            Metrics <span className="muted small">(latest values; the lowest of each row in green)</span>
          </h3>
          <div className="table-scroll">
            <table className="table compare" data-testid="metric-diff">
              <thead>
                <tr>
                  <th>Metric</th>
                  {rs.map((r) => (
                    <th key={r.info.run_id}>{runName(r)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {metrics.map((k) => {
                  const vals = rs.map((r) => m(r, k)).filter((v): v is number => v !== undefined);
                  const best = Math.min(...vals);
                  return (
                    <tr key={k}>
                      <td className="mono">{k}</td>
                      {rs.map((r) => (
                        <td key={r.info.run_id} className={`num${m(r, k) === best && vals.length > 1 ? ' low' : ''}`}>
                          {formatNumber(m(r, k))}
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <h3>Metric charts</h3>
          <ErrorBox error={histories.error} />
          {histories.loading && !histories.data && <Spinner label="Reading metric history…" />}
          <div className="chart-grid">
            {histories.data?.map((h) => (
              <div key={h.key} className="card">
                <MetricChart title={h.key} series={h.series} />
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  );
}
