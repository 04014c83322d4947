import { useState } from 'react';
import { Link } from 'wouter';
import { Empty, ErrorBox, SearchTitle, Spinner, byName, formatTime, useAsync } from '../ui';
import { searchExperiments } from './mlflow';

export default function Experiments() {
  const [q, setQ] = useState('');
  const list = useAsync(() => searchExperiments(), []);
  const shown = byName(list.data, q);
  return (
    <div className="page">
      <SearchTitle title="Experiments" label="Search experiments" query={q} onQuery={setQ} />
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && shown.length === 0 && (
        <Empty title={q ? `No experiment matches “${q}”` : 'No experiments yet'}>
          Log runs with MLflow: <code>mlflow.set_tracking_uri("{window.location.origin}")</code>, set{' '}
          <code>MLFLOW_TRACKING_TOKEN</code> to your token, then <code>mlflow.set_experiment("my-experiment")</code> and{' '}
          <code>mlflow.start_run()</code>.
        </Empty>
      )}
      {shown.length > 0 && (
        <table className="table" data-testid="experiments">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Last updated</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.experiment_id}>
                <td>
                  <Link href={`/experiments/${e.experiment_id}`}>{e.name}</Link>
                </td>
                <td className="mono muted">{e.experiment_id}</td>
                <td>{formatTime(e.last_update_time)}</td>
                <td>{formatTime(e.creation_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
