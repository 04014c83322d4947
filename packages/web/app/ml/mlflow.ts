import { MLFLOW, api } from '../api';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: { key: string; value: string }[];
}
export interface KV {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}
export interface Run {
  info: {
    run_id: string;
    run_name?: string;
    experiment_id: string;
    status?: string;
    start_time?: number;
    end_time?: number;
    artifact_uri?: string;
    user_id?: string;
    lifecycle_stage?: string;
  };
  data: { metrics?: Metric[]; params?: KV[]; tags?: KV[] };
}

export const searchExperiments = (filter?: string) =>
  api
    .post<{ experiments?: Experiment[] }>(`${MLFLOW}/experiments/search`, {
      max_results: 1000,
      ...(filter ? { filter } : {}),
      order_by: ['last_update_time DESC'],
    })
    .then((r) => r.experiments ?? []);

export const getExperiment = (id: string) =>
  api.get<{ experiment: Experiment }>(`${MLFLOW}/experiments/get`, { experiment_id: id }).then((r) => r.experiment);

export const searchRuns = (experimentId: string, filter: string, orderBy: string[]) =>
  api
    .post<{ runs?: Run[] }>(`${MLFLOW}/runs/search`, {
      experiment_ids: [experimentId],
      filter,
      order_by: orderBy,
      max_results: 1000,
    })
    .then((r) => r.runs ?? []);

export const getRun = (id: string) => api.get<{ run: Run }>(`${MLFLOW}/runs/get`, { run_id: id }).then((r) => r.run);

export const metricHistory = (runId: string, key: string) =>
  api
    .get<{ metrics?: Metric[] }>(`${MLFLOW}/metrics/get-history`, {
      run_id: runId,
      metric_key: key,
      max_results: 25000,
    })
    .then((r) => r.metrics ?? []);

export const runName = (r: Run) =>
  r.info.run_name || r.data.tags?.find((t) => t.key === 'mlflow.runName')?.value || r.info.run_id.slice(0, 8);

export const visibleTags = (tags: KV[] = []) => tags.filter((t) => !t.key.startsWith('mlflow.'));

const experimentNames = new Map<string, Promise<string>>();
/** An experiment's name (cached), for breadcrumbs. */
export function experimentName(id: string): Promise<string> {
  if (!experimentNames.has(id))
    experimentNames.set(
      id,
      getExperiment(id).then(
        (e) => e.name,
        () => 'Experiment',
      ),
    );
  return experimentNames.get(id)!;
}
