import { useState } from 'react';
import { Link } from 'wouter';
import { MLFLOW, api } from '../api';
import { Empty, ErrorBox, SearchTitle, Spinner, byName, formatTime, useAsync } from '../ui';

export interface RegisteredModel {
  name: string;
  description?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  latest_versions?: { version: string; current_stage?: string }[];
  aliases?: { alias: string; version: string }[];
  tags?: { key: string; value: string }[];
}

export default function Models() {
  const [q, setQ] = useState('');
  const list = useAsync(
    () =>
      api
        .get<{ registered_models?: RegisteredModel[] }>(`${MLFLOW}/registered-models/search`, { max_results: 1000 })
        .then((r) => r.registered_models ?? []),
    [],
  );
  const shown = byName(list.data, q);
  return (
    <div className="page">
      <SearchTitle title="Models" label="Search models" query={q} onQuery={setQ} />
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && shown.length === 0 && (
        <Empty title={q ? `No model matches “${q}”` : 'No registered models yet'}>
          Register one from a run:{' '}
          <code>mlflow.register_model(&quot;runs:/&lt;run_id&gt;/model&quot;, &quot;my-model&quot;)</code>.
        </Empty>
      )}
      {shown.length > 0 && (
        <table className="table" data-testid="models">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Aliases</th>
              <th>Last updated</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => (
              <tr key={m.name}>
                <td>
                  <Link href={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                </td>
                <td>
                  {m.latest_versions?.length ? Math.max(...m.latest_versions.map((v) => Number(v.version))) : '—'}
                </td>
                <td>
                  {(m.aliases ?? []).map((a) => (
                    <span key={a.alias} className="chip">
                      @{a.alias} → v{a.version}
                    </span>
                  ))}
                </td>
                <td>{formatTime(m.last_updated_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
