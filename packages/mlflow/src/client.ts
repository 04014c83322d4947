import { LakeboxError } from '@lakebox/common';

// A TypeScript client for the MLflow REST API (Lakebox's server or any MLflow server).

export interface MlflowClientOptions {
  /** Tracking URI, e.g. http://127.0.0.1:8080 */
  trackingUri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). */
  token?: string;
}

export interface KeyValue {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

type Json = Record<string, any>;

export class MlflowClient {
  readonly base: string;
  constructor(readonly opts: MlflowClientOptions) {
    this.base = opts.trackingUri.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}), ...extra };
  }

  /** Call one endpoint under /api/2.0/mlflow; GET bodies become query parameters. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, body: Json = {}): Promise<Json> {
    let url = `${this.base}/api/2.0/mlflow/${endpoint.replace(/^\/+/, '')}`;
    const init: RequestInit = { method, headers: this.headers() };
    if (method === 'GET') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) {
        if (v === undefined || v === null) continue;
        for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
      }
      const qs = q.toString();
      if (qs) url += `?${qs}`;
    } else {
      init.headers = this.headers({ 'content-type': 'application/json' });
      init.body = JSON.stringify(body);
    }
    const r = await fetch(url, init);
    const text = await r.text();
    let json: Json = {};
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      json = { message: text };
    }
    if (!r.ok)
      throw new LakeboxError(String(json.error_code ?? 'INTERNAL_ERROR'), String(json.message ?? `HTTP ${r.status}`), {
        httpStatus: r.status,
      });
    return json;
  }

  // experiments
  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: KeyValue[] } = {}): Promise<string> {
    return (
      await this.call('POST', 'experiments/create', { name, artifact_location: opts.artifactLocation, tags: opts.tags })
    ).experiment_id;
  }
  async getExperiment(experimentId: string): Promise<Json> {
    return (await this.call('GET', 'experiments/get', { experiment_id: experimentId })).experiment;
  }
  async getExperimentByName(name: string): Promise<Json | null> {
    try {
      return (await this.call('GET', 'experiments/get-by-name', { experiment_name: name })).experiment;
    } catch (e) {
      if (e instanceof LakeboxError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }
  searchExperiments(
    opts: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string; viewType?: string } = {},
  ): Promise<Json> {
    return this.call('POST', 'experiments/search', {
      filter: opts.filter,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
      page_token: opts.pageToken,
      view_type: opts.viewType,
    });
  }
  async updateExperiment(experimentId: string, newName: string): Promise<void> {
    await this.call('POST', 'experiments/update', { experiment_id: experimentId, new_name: newName });
  }
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.call('POST', 'experiments/delete', { experiment_id: experimentId });
  }
  async restoreExperiment(experimentId: string): Promise<void> {
    await this.call('POST', 'experiments/restore', { experiment_id: experimentId });
  }
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key, value });
  }
  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.call('POST', 'experiments/delete-experiment-tag', { experiment_id: experimentId, key });
  }

  // runs
  async createRun(
    experimentId: string,
    opts: { runName?: string; tags?: KeyValue[]; startTime?: number } = {},
  ): Promise<Json> {
    return (
      await this.call('POST', 'runs/create', {
        experiment_id: experimentId,
        run_name: opts.runName,
        tags: opts.tags,
        start_time: opts.startTime ?? Date.now(),
      })
    ).run;
  }
  async getRun(runId: string): Promise<Json> {
    return (await this.call('GET', 'runs/get', { run_id: runId })).run;
  }
  async updateRun(runId: string, opts: { status?: string; endTime?: number; runName?: string }): Promise<Json> {
    return (
      await this.call('POST', 'runs/update', {
        run_id: runId,
        status: opts.status,
        end_time: opts.endTime,
        run_name: opts.runName,
      })
    ).run_info;
  }
  async setTerminated(runId: string, status = 'FINISHED'): Promise<void> {
    await this.updateRun(runId, { status, endTime: Date.now() });
  }
  async deleteRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/delete', { run_id: runId });
  }
  async restoreRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/restore', { run_id: runId });
  }
  async logMetric(
    runId: string,
    key: string,
    value: number,
    opts: { step?: number; timestamp?: number } = {},
  ): Promise<void> {
    await this.call('POST', 'runs/log-metric', {
      run_id: runId,
      key,
      value: Number.isNaN(value) ? 'NaN' : value,
      step: opts.step ?? 0,
      timestamp: opts.timestamp ?? Date.now(),
    });
  }
  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/log-parameter', { run_id: runId, key, value });
  }
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.call('POST', 'runs/delete-tag', { run_id: runId, key });
  }
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] }): Promise<void> {
    const ts = Date.now();
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: (batch.metrics ?? []).map((m) => ({ step: 0, timestamp: ts, ...m })),
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }
  async logInputs(runId: string, datasets: Json[]): Promise<void> {
    await this.call('POST', 'runs/log-inputs', { run_id: runId, datasets });
  }
  async getMetricHistory(runId: string, key: string): Promise<Json[]> {
    const out: Json[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.call('GET', 'metrics/get-history', {
        run_id: runId,
        metric_key: key,
        max_results: 25000,
        page_token: pageToken,
      });
      out.push(...(r.metrics ?? []));
      pageToken = r.next_page_token;
    } while (pageToken);
    return out;
  }
  searchRuns(
    experimentIds: string[],
    opts: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string; runViewType?: string } = {},
  ): Promise<Json> {
    return this.call('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter: opts.filter,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
      page_token: opts.pageToken,
      run_view_type: opts.runViewType,
    });
  }

  // artifacts (proxied)
  private artifactUrl(artifactUri: string, relPath = ''): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
    if (!m) throw new LakeboxError('INVALID_PARAMETER_VALUE', `not an mlflow-artifacts URI: ${artifactUri}`);
    const p = [m[1], relPath].filter(Boolean).join('/');
    return `${this.base}/api/2.0/mlflow-artifacts/artifacts/${p.split('/').map(encodeURIComponent).join('/')}`;
  }
  async uploadArtifact(artifactUri: string, relPath: string, data: Uint8Array | string): Promise<void> {
    const r = await fetch(this.artifactUrl(artifactUri, relPath), {
      method: 'PUT',
      headers: this.headers({ 'content-type': 'application/octet-stream' }),
      body: typeof data === 'string' ? data : Buffer.from(data),
    });
    if (!r.ok) {
      const j = (await r.json().catch(() => ({}))) as Json;
      throw new LakeboxError(String(j.error_code ?? 'INTERNAL_ERROR'), String(j.message ?? `HTTP ${r.status}`), {
        httpStatus: r.status,
      });
    }
  }
  async downloadArtifact(artifactUri: string, relPath: string): Promise<Buffer> {
    const r = await fetch(this.artifactUrl(artifactUri, relPath), { headers: this.headers() });
    if (!r.ok) {
      const j = (await r.json().catch(() => ({}))) as Json;
      throw new LakeboxError(String(j.error_code ?? 'INTERNAL_ERROR'), String(j.message ?? `HTTP ${r.status}`), {
        httpStatus: r.status,
      });
    }
    return Buffer.from(await r.arrayBuffer());
  }
  async listArtifacts(runId: string, relPath?: string): Promise<Json[]> {
    return (await this.call('GET', 'artifacts/list', { run_id: runId, path: relPath })).files ?? [];
  }

  // logged models
  async createLoggedModel(
    experimentId: string,
    opts: { name?: string; sourceRunId?: string; modelType?: string; params?: KeyValue[]; tags?: KeyValue[] } = {},
  ): Promise<Json> {
    return (
      await this.call('POST', 'logged-models', {
        experiment_id: experimentId,
        name: opts.name,
        source_run_id: opts.sourceRunId,
        model_type: opts.modelType,
        params: opts.params,
        tags: opts.tags,
      })
    ).model;
  }
  async getLoggedModel(modelId: string): Promise<Json> {
    return (await this.call('GET', `logged-models/${encodeURIComponent(modelId)}`)).model;
  }
  async finalizeLoggedModel(modelId: string, status = 'LOGGED_MODEL_READY'): Promise<Json> {
    return (await this.call('PATCH', `logged-models/${encodeURIComponent(modelId)}`, { model_id: modelId, status }))
      .model;
  }
  searchLoggedModels(
    experimentIds: string[],
    opts: { filter?: string; maxResults?: number; pageToken?: string } = {},
  ): Promise<Json> {
    return this.call('POST', 'logged-models/search', {
      experiment_ids: experimentIds,
      filter: opts.filter,
      max_results: opts.maxResults,
      page_token: opts.pageToken,
    });
  }

  // model registry
  async createRegisteredModel(name: string, opts: { description?: string; tags?: KeyValue[] } = {}): Promise<Json> {
    return (
      await this.call('POST', 'registered-models/create', { name, description: opts.description, tags: opts.tags })
    ).registered_model;
  }
  async getRegisteredModel(name: string): Promise<Json> {
    return (await this.call('GET', 'registered-models/get', { name })).registered_model;
  }
  async renameRegisteredModel(name: string, newName: string): Promise<Json> {
    return (await this.call('POST', 'registered-models/rename', { name, new_name: newName })).registered_model;
  }
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call('DELETE', 'registered-models/delete', { name });
  }
  searchRegisteredModels(
    opts: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } = {},
  ): Promise<Json> {
    return this.call('GET', 'registered-models/search', {
      filter: opts.filter,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
      page_token: opts.pageToken,
    });
  }
  async getLatestVersions(name: string, stages: string[] = []): Promise<Json[]> {
    return (await this.call('POST', 'registered-models/get-latest-versions', { name, stages })).model_versions ?? [];
  }
  async createModelVersion(
    name: string,
    source: string,
    opts: { runId?: string; modelId?: string; description?: string; tags?: KeyValue[] } = {},
  ): Promise<Json> {
    return (
      await this.call('POST', 'model-versions/create', {
        name,
        source,
        run_id: opts.runId,
        model_id: opts.modelId,
        description: opts.description,
        tags: opts.tags,
      })
    ).model_version;
  }
  async getModelVersion(name: string, version: string): Promise<Json> {
    return (await this.call('GET', 'model-versions/get', { name, version })).model_version;
  }
  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<Json> {
    return (
      await this.call('POST', 'model-versions/transition-stage', {
        name,
        version,
        stage,
        archive_existing_versions: archiveExistingVersions,
      })
    ).model_version;
  }
  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.call('DELETE', 'model-versions/delete', { name, version });
  }
  searchModelVersions(opts: { filter?: string; orderBy?: string[]; maxResults?: number } = {}): Promise<Json> {
    return this.call('GET', 'model-versions/search', {
      filter: opts.filter,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
    });
  }
  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return (await this.call('GET', 'model-versions/get-download-uri', { name, version })).artifact_uri;
  }
  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version, key, value });
  }
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'registered-models/set-tag', { name, key, value });
  }
  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias });
  }
  async getModelVersionByAlias(name: string, alias: string): Promise<Json> {
    return (await this.call('GET', 'registered-models/alias', { name, alias })).model_version;
  }
}
