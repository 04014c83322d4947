import { useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { Empty, ErrorBox, Spinner, formatNumber, formatTime, useAsync } from '../ui';
import { getExperiment, runName, searchRuns, type Run } from './mlflow';

type SortKey = { key: string; desc: boolean };

const orderClause = (s: SortKey) => `${s.key} ${s.desc ? 'DESC' : 'ASC'}`;
const bq = (k: string) => (/^[A-Za-z_][\w.]*$/.test(k) ? k : `\`${k}\``);

export default function ExperimentPage({ experimentId }: { experimentId: string }) {
  const [, navigate] = useLocation();
  const exp = useAsync(() => getExperiment(experimentId), [experimentId]);
  const [filterInput, setFilterInput] = useState('');
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<SortKey>({ key: 'attributes.start_time', desc: true });
  const [selected, setSelected] = useState<string[]>([]);
  const runs = useAsync(
    () => searchRuns(experimentId, filter, [orderClause(sort)]),
    [experimentId, filter, sort.key, sort.desc],
  );
  const metricKeys = useMemo(
    () => [...new Set((runs.data ?? []).flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort(),
    [runs.data],
  );
  const paramKeys = useMemo(
    () => [...new Set((runs.data ?? []).flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort(),
    [runs.data],
  );
  const header = (label: string, key: string, cls = '') => (
    <th
      className={`sortable ${cls}`}
      onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : true }))}
      title="Sort"
    >
      {label}
      {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
    </th>
  );
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const metric = (r: Run, k: string) => r.data.metrics?.find((m) => m.key === k)?.value;
  const param = (r: Run, k: string) => r.data.params?.find((p) => p.key === k)?.value;
  return (
    <div className="page wide">
      <div className="crumbs">
        <Link href="/experiments">Experiments</Link> › Experiment
      </div>
      <h1 data-testid="experiment-title">{exp.data?.name ?? experimentId}</h1>
      <ErrorBox error={exp.error} />
      <form
        className="row gap filter-bar"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(filterInput.trim());
        }}
      >
        <input
          className="grow mono"
          aria-label="Filter runs"
          placeholder={`Filter runs, e.g. metrics.rmse < 1 and params.alpha = '0.5'`}
          value={filterInput}
          onChange={(e) => setFilterInput(e.target.value)}
        />
        <button className="btn">Search</button>
        <button
          type="button"
          className="btn primary"
          disabled={selected.length < 2 || selected.length > 10}
          title="Select 2 to 10 runs to compare"
          onClick={() => navigate(`/experiments/${experimentId}/compare?runs=${selected.join(',')}`)}
        >
          Compare{selected.length ? ` (${selected.length})` : ''}
        </button>
      </form>
      <ErrorBox error={runs.error} />
      {runs.loading && !runs.data && <Spinner />}
      {runs.data && runs.data.length === 0 && (
        <Empty title={filter ? 'No run matches this filter' : 'No runs in this experiment yet'}>
          {filter ? (
            <>
              Change the filter (MLflow search syntax: <code>metrics.loss &lt; 0.5</code>,{' '}
              <code>params.model = &apos;gbt&apos;</code>, <code>tags.team = &apos;x&apos;</code>).
            </>
          ) : (
            <>
              Start a run with <code>mlflow.start_run()</code> against this server and log params and metrics.
            </>
          )}
        </Empty>
      )}
      {!!runs.data?.length && (
        <div className="table-scroll">
          <table className="table runs" data-testid="runs">
            <thead>
              <tr>
                <th />
                {header('Run', 'attributes.run_name')}
                {header('Started', 'attributes.start_time')}
                {header('Status', 'attributes.status')}
                {metricKeys.map((k) => header(k, `metrics.${bq(k)}`, 'metric-col'))}
                {paramKeys.map((k) => header(k, `params.${bq(k)}`, 'param-col'))}
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.info.run_id} className={selected.includes(r.info.run_id) ? 'selected' : ''}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${runName(r)}`}
                      checked={selected.includes(r.info.run_id)}
                      onChange={() => toggle(r.info.run_id)}
                    />
                  </td>
                  <td>
                    <Link href={`/experiments/${experimentId}/runs/${r.info.run_id}`}>{runName(r)}</Link>
                  </td>
                  <td className="nowrap">{formatTime(r.info.start_time)}</td>
                  <td>
                    <span className={`status ${r.info.status?.toLowerCase()}`}>{r.info.status}</span>
                  </td>
                  {metricKeys.map((k) => (
                    <td key={k} className="num">
                      {formatNumber(metric(r, k))}
                    </td>
                  ))}
                  {paramKeys.map((k) => (
                    <td key={k}>{param(r, k)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
