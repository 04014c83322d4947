import { useState } from 'react';
import { Link } from 'wouter';
import { MLFLOW, api } from '../api';
import { Empty, ErrorBox, Spinner, formatTime, useAsync } from '../ui';
import type { RegisteredModel } from './Models';

interface ModelVersion {
  name: string;
  version: string;
  current_stage?: string;
  status?: string;
  run_id?: string;
  source?: string;
  creation_timestamp?: number;
  aliases?: string[];
  description?: string;
}

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export default function ModelPage({ name }: { name: string }) {
  const model = useAsync(
    () =>
      api
        .get<{ registered_model: RegisteredModel }>(`${MLFLOW}/registered-models/get`, { name })
        .then((r) => r.registered_model),
    [name],
  );
  const versions = useAsync(
    () =>
      api
        .get<{ model_versions?: ModelVersion[] }>(`${MLFLOW}/model-versions/search`, {
          filter: `name='${name.replaceAll("'", "\\'")}'`,
          max_results: 1000,
        })
        .then((r) => (r.model_versions ?? []).sort((a, b) => Number(b.version) - Number(a.version))),
    [name],
  );
  const [alias, setAlias] = useState('');
  const [aliasVersion, setAliasVersion] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNotice('');
    try {
      await fn();
      setNotice(done);
      model.reload();
      versions.reload();
    } catch (e) {
      setError(e);
    }
  };
  const aliases = model.data?.aliases ?? [];
  const vs = versions.data ?? [];
  const aliasesOf = (v: string) => aliases.filter((a) => a.version === v).map((a) => a.alias);
  return (
    <div className="page">
      <div className="crumbs">
        <Link href="/models">Models</Link> › Registered model
      </div>
      <h1 data-testid="model-title">{name}</h1>
      {model.data?.description && <p className="muted">{model.data.description}</p>}
      <ErrorBox error={model.error} />
      {notice && (
        <div className="notice" role="status">
          {notice}
        </div>
      )}
      <ErrorBox error={error} />
      <div className="card">
        <h3>Aliases</h3>
        <div className="row gap wrap" data-testid="aliases">
          {aliases.length === 0 && (
            <span className="muted">
              No aliases yet. Give a version an alias (such as “champion”) so that clients can load{' '}
              <code>models:/{name}@champion</code>.
            </span>
          )}
          {aliases.map((a) => (
            <span key={a.alias} className="chip big">
              @{a.alias} → version {a.version}
              <button
                className="chip-x"
                aria-label={`Remove alias ${a.alias}`}
                title="Remove alias"
                onClick={() =>
                  void act(
                    () => api.del(`${MLFLOW}/registered-models/alias`, { name, alias: a.alias }),
                    `Removed alias @${a.alias}.`,
                  )
                }
              >
                ×
              </button>
            </span>
          ))}
        </div>
        <form
          className="row gap"
          onSubmit={(e) => {
            e.preventDefault();
            const v = aliasVersion || vs[0]?.version;
            if (!alias.trim()) return setError(new Error('Type an alias name first.'));
            if (!v) return setError(new Error('This model has no versions to point the alias at.'));
            void act(
              () => api.post(`${MLFLOW}/registered-models/alias`, { name, alias: alias.trim(), version: v }),
              `Alias @${alias.trim()} now points to version ${v}.`,
            ).then(() => setAlias(''));
          }}
        >
          <input
            aria-label="Alias"
            placeholder="alias, e.g. champion"
            value={alias}
            onChange={(e) => setAlias(e.target.value)}
          />
          <select aria-label="Alias version" value={aliasVersion} onChange={(e) => setAliasVersion(e.target.value)}>
            {vs.map((v, i) => (
              <option key={v.version} value={i === 0 ? '' : v.version}>
                version {v.version}
              </option>
            ))}
          </select>
          <button className="btn primary">Set alias</button>
        </form>
      </div>
      <h3>Versions</h3>
      <ErrorBox error={versions.error} />
      {versions.loading && !versions.data && <Spinner />}
      {versions.data?.length === 0 && (
        <Empty title="No versions yet">
          Register a run&apos;s model as a new version:{' '}
          <code>mlflow.register_model(&quot;runs:/&lt;run_id&gt;/model&quot;, &quot;{name}&quot;)</code>.
        </Empty>
      )}
      {vs.length > 0 && (
        <table className="table" data-testid="versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Stage</th>
              <th>Status</th>
              <th>Source run</th>
              <th>Registered</th>
            </tr>
          </thead>
          <tbody>
            {vs.map((v) => (
              <tr key={v.version}>
                <td className="num">{v.version}</td>
                <td>
                  {aliasesOf(v.version).map((a) => (
                    <span key={a} className="chip">
                      @{a}
                    </span>
                  ))}
                </td>
                <td>
                  <select
                    aria-label={`Stage of version ${v.version}`}
                    value={v.current_stage ?? 'None'}
                    onChange={(e) => {
                      const stage = e.target.value;
                      void act(
                        () =>
                          api.post(`${MLFLOW}/model-versions/transition-stage`, {
                            name,
                            version: v.version,
                            stage,
                            archive_existing_versions: false,
                          }),
                        `Version ${v.version} moved to ${stage}.`,
                      );
                    }}
                  >
                    {STAGES.map((s) => (
                      <option key={s}>{s}</option>
                    ))}
                  </select>
                </td>
                <td>{v.status}</td>
                <td className="mono small">{v.run_id ? v.run_id.slice(0, 12) : (v.source ?? '')}</td>
                <td>{formatTime(v.creation_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
