import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { isUniqueViolation } from '@lakebox/catalog';
import type { Clause, OrderBy } from './search.js';
import { decodePageToken, encodePageToken, matches, parseFilter, parseOrderBy } from './search.js';
import {
  type Args,
  MAX_EXPERIMENT_TAG_VALUE,
  MAX_PARAM_VALUE,
  MAX_TAG_VALUE,
  alreadyExists,
  checkKey,
  checkValue,
  invalidParam,
  keyValues,
  notFound,
  objArray,
  optBool,
  optInt,
  optStr,
  optStrict,
  reqDouble,
  reqStr,
  strArray,
} from './validate.js';

// The MLflow tracking store and model registry over the metastore database (Kysely: SQLite or
// PostgreSQL). Methods take the request's fields (validated here) and return MLflow's JSON shapes.

type Row = Record<string, any>;
const now = () => Date.now();
const hex = (n: number) => randomBytes(n).toString('hex');
const ADJ = ['able', 'bold', 'calm', 'dapper', 'eager', 'fair', 'gentle', 'honest', 'jolly', 'keen', 'lucky', 'merry'];
const NOUN = ['ant', 'bee', 'cat', 'doe', 'eel', 'fox', 'gnu', 'hen', 'jay', 'koi', 'lark', 'mole', 'owl', 'ram'];
const randomName = () =>
  `${ADJ[randomBytes(1)[0]! % ADJ.length]}-${NOUN[randomBytes(1)[0]! % NOUN.length]}-${randomBytes(2).readUInt16BE() % 1000}`;

const STAGES: Record<string, string> = {
  none: 'None',
  staging: 'Staging',
  production: 'Production',
  archived: 'Archived',
};
const RUN_STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
const MAX_ENTITIES = 1000;

function jsonNumber(value: number, isNan: number): number | string {
  if (isNan) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}
const DOUBLE_MAX = 1.7976931348623157e308;
/** Infinite values are stored as the largest doubles (PostgreSQL and SQLite both take them). */
const storable = (v: number) => (Number.isNaN(v) ? 0 : v === Infinity ? DOUBLE_MAX : v === -Infinity ? -DOUBLE_MAX : v);
const fromStored = (v: number) => (v >= DOUBLE_MAX ? Infinity : v <= -DOUBLE_MAX ? -Infinity : v);

export function viewTypeStages(viewType: string | undefined): string[] {
  const v = (viewType ?? 'ACTIVE_ONLY').toUpperCase();
  if (v === 'ACTIVE_ONLY' || v === '1') return ['active'];
  if (v === 'DELETED_ONLY' || v === '2') return ['deleted'];
  if (v === 'ALL' || v === '3') return ['active', 'deleted'];
  throw invalidParam(`Invalid view type '${viewType}'`);
}

export class MlflowStore {
  readonly d: Kysely<any>;
  constructor(
    db: Kysely<any>,
    readonly dialect: 'sqlite' | 'postgres',
    readonly artifactRoot: string,
  ) {
    this.d = db;
  }

  async init(): Promise<void> {
    const e = await this.d
      .selectFrom('mlflow_experiments')
      .select('experiment_id')
      .where('experiment_id', '=', 0)
      .executeTakeFirst();
    if (!e) {
      const t = now();
      try {
        await this.d
          .insertInto('mlflow_experiments')
          .values({
            experiment_id: 0,
            name: 'Default',
            artifact_location: 'mlflow-artifacts:/0',
            lifecycle_stage: 'active',
            creation_time: t,
            last_update_time: t,
            owner: 'admin',
          })
          .execute();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }

  /** `mlflow-artifacts:/<path>` -> a directory under the artifact root (null for other schemes). */
  localArtifactPath(uri: string): string | null {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
    if (!m) return null;
    return path.join(this.artifactRoot, ...m[1]!.split('/').filter(Boolean));
  }

  // ---------------------------------------------------------------- experiments

  private async experimentRow(id: string, mustBeActive = false): Promise<Row> {
    if (!/^\d+$/.test(id)) throw notFound(`Could not find experiment with ID ${id}`);
    const e = await this.d
      .selectFrom('mlflow_experiments')
      .selectAll()
      .where('experiment_id', '=', Number(id))
      .executeTakeFirst();
    if (!e) throw notFound(`No Experiment with id=${id} exists`);
    if (mustBeActive && e.lifecycle_stage !== 'active')
      throw invalidParam(`The experiment ${id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`);
    return e;
  }

  private async experimentJson(e: Row): Promise<Row> {
    const tags = await this.d
      .selectFrom('mlflow_experiment_tags')
      .select(['key', 'value'])
      .where('experiment_id', '=', e.experiment_id)
      .execute();
    return {
      experiment_id: String(e.experiment_id),
      name: e.name,
      artifact_location: e.artifact_location,
      lifecycle_stage: e.lifecycle_stage,
      last_update_time: Number(e.last_update_time),
      creation_time: Number(e.creation_time),
      tags: [...tags, { key: 'mlflow.owner', value: e.owner }].filter(
        (t, i, all) => all.findIndex((x) => x.key === t.key) === i,
      ),
    };
  }

  async createExperiment(a: Args, user: string): Promise<Row> {
    const name = reqStr(a, 'name').trim();
    if (!name) throw invalidParam(`Invalid experiment name: '${a.name}'`);
    if (name.length > 500) throw invalidParam(`Experiment name exceeds the maximum length of 500 characters`);
    const tags = keyValues(a, 'tags');
    for (const t of tags) {
      checkKey(t.key, 'Tag');
      checkValue(t.value, MAX_EXPERIMENT_TAG_VALUE, 'tag', t.key);
    }
    const loc = optStr(a, 'artifact_location');
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.d.transaction().execute(async (tx) => {
          const existing = await tx
            .selectFrom('mlflow_experiments')
            .select(['lifecycle_stage'])
            .where('name', '=', name)
            .executeTakeFirst();
          if (existing)
            throw alreadyExists(
              existing.lifecycle_stage === 'deleted'
                ? `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment to create a new one.`
                : `Experiment '${name}' already exists.`,
            );
          const max = await tx
            .selectFrom('mlflow_experiments')
            .select((eb) => eb.fn.max('experiment_id').as('m'))
            .executeTakeFirst();
          const id = Number(max?.m ?? 0) + 1;
          const t = now();
          await tx
            .insertInto('mlflow_experiments')
            .values({
              experiment_id: id,
              name,
              artifact_location: loc || `mlflow-artifacts:/${id}`,
              lifecycle_stage: 'active',
              creation_time: t,
              last_update_time: t,
              owner: user,
            })
            .execute();
          for (const tg of tags)
            await tx
              .insertInto('mlflow_experiment_tags')
              .values({ experiment_id: id, ...tg })
              .execute();
          return { experiment_id: String(id) };
        });
      } catch (err) {
        if (attempt < 3 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async getExperiment(a: Args): Promise<Row> {
    return { experiment: await this.experimentJson(await this.experimentRow(reqStr(a, 'experiment_id'))) };
  }

  async getExperimentByName(a: Args): Promise<Row> {
    const name = reqStr(a, 'experiment_name');
    const e = await this.d.selectFrom('mlflow_experiments').selectAll().where('name', '=', name).executeTakeFirst();
    if (!e) throw notFound(`Could not find experiment with name '${name}'`);
    return { experiment: await this.experimentJson(e) };
  }

  async searchExperiments(a: Args): Promise<Row> {
    const stages = viewTypeStages(optStr(a, 'view_type'));
    const max = optInt(a, 'max_results') ?? 1000;
    if (max < 1 || max > 50000) throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied.`);
    const clauses = parseFilter(optStr(a, 'filter'));
    const order = parseOrderBy(strArray(a, 'order_by'));
    const offset = decodePageToken(optStr(a, 'page_token'));
    const rows = await this.d
      .selectFrom('mlflow_experiments')
      .selectAll()
      .where('lifecycle_stage', 'in', stages)
      .execute();
    const all = await Promise.all(rows.map((r) => this.experimentJson(r)));
    const attr = (e: Row, key: string) => {
      const k = key === 'experiment_id' || key === 'id' ? 'experiment_id' : key;
      if (
        ![
          'name',
          'experiment_id',
          'creation_time',
          'last_update_time',
          'artifact_location',
          'lifecycle_stage',
        ].includes(k)
      )
        throw invalidParam(
          `Invalid attribute key '${key}' specified. Valid keys are 'name', 'creation_time', 'last_update_time'`,
        );
      return e[k];
    };
    const hit = all.filter((e) =>
      clauses.every((c) =>
        c.type === 'tag'
          ? matches(e.tags.find((t: Row) => t.key === c.key)?.value, c)
          : c.type === 'attribute'
            ? matches(attr(e, c.key), c)
            : (() => {
                throw invalidParam(`Invalid entity type '${c.type}' in experiment filter`);
              })(),
      ),
    );
    const keys = order.length ? order : [{ type: 'attribute' as const, key: 'last_update_time', asc: false }];
    hit.sort((x, y) => {
      for (const o of keys) {
        const vx = o.type === 'tag' ? x.tags.find((t: Row) => t.key === o.key)?.value : attr(x, o.key);
        const vy = o.type === 'tag' ? y.tags.find((t: Row) => t.key === o.key)?.value : attr(y, o.key);
        if (vx === vy) continue;
        const c = vx < vy ? -1 : 1;
        return o.asc ? c : -c;
      }
      return Number(x.experiment_id) - Number(y.experiment_id);
    });
    const page = hit.slice(offset, offset + max);
    return {
      experiments: page,
      ...(offset + max < hit.length ? { next_page_token: encodePageToken(offset + max) } : {}),
    };
  }

  async updateExperiment(a: Args): Promise<Row> {
    const e = await this.experimentRow(reqStr(a, 'experiment_id'), true);
    const newName = optStr(a, 'new_name');
    if (newName !== undefined) {
      if (!newName.trim()) throw invalidParam(`Invalid experiment name: '${newName}'`);
      const clash = await this.d
        .selectFrom('mlflow_experiments')
        .select('experiment_id')
        .where('name', '=', newName)
        .executeTakeFirst();
      if (clash && Number(clash.experiment_id) !== Number(e.experiment_id))
        throw alreadyExists(`Experiment '${newName}' already exists.`);
      await this.d
        .updateTable('mlflow_experiments')
        .set({ name: newName, last_update_time: now() })
        .where('experiment_id', '=', e.experiment_id)
        .execute();
    }
    return {};
  }

  async setExperimentLifecycle(a: Args, stage: 'active' | 'deleted'): Promise<Row> {
    const id = reqStr(a, 'experiment_id');
    const e = await this.experimentRow(id);
    if (stage === 'deleted' && Number(e.experiment_id) === 0)
      throw invalidParam('Cannot delete the default experiment (ID 0).');
    if (stage === 'active' && e.lifecycle_stage === 'active')
      throw invalidParam(`Cannot restore an active experiment: ${id}`);
    if (stage === 'deleted' && e.lifecycle_stage === 'deleted')
      throw invalidParam(`Experiment ${id} is already deleted.`);
    const t = now();
    await this.d.transaction().execute(async (tx) => {
      await tx
        .updateTable('mlflow_experiments')
        .set({ lifecycle_stage: stage, last_update_time: t })
        .where('experiment_id', '=', e.experiment_id)
        .execute();
      await tx
        .updateTable('mlflow_runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? t : null })
        .where('experiment_id', '=', e.experiment_id)
        .execute();
    });
    return {};
  }

  async setExperimentTag(a: Args): Promise<Row> {
    const e = await this.experimentRow(reqStr(a, 'experiment_id'), true);
    const key = reqStr(a, 'key');
    const value = optStr(a, 'value') ?? '';
    checkKey(key, 'Tag');
    checkValue(value, MAX_EXPERIMENT_TAG_VALUE, 'tag', key);
    await this.d
      .insertInto('mlflow_experiment_tags')
      .values({ experiment_id: e.experiment_id, key, value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value }))
      .execute();
    return {};
  }

  async deleteExperimentTag(a: Args): Promise<Row> {
    const e = await this.experimentRow(reqStr(a, 'experiment_id'), true);
    const key = reqStr(a, 'key');
    const r = await this.d
      .deleteFrom('mlflow_experiment_tags')
      .where('experiment_id', '=', e.experiment_id)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0)
      throw notFound(`No tag with name: ${key} in experiment with id ${e.experiment_id}`);
    return {};
  }

  // ---------------------------------------------------------------- runs

  private async runRow(a: Args): Promise<Row> {
    const id = (optStr(a, 'run_id') || optStr(a, 'run_uuid')) ?? reqStr(a, 'run_id');
    const r = await this.d.selectFrom('mlflow_runs').selectAll().where('run_uuid', '=', id).executeTakeFirst();
    if (!r) throw notFound(`Run '${id}' not found`);
    return r;
  }
  private readonly runExperiments = new Map<string, string>();
  /**
   * The experiment a run belongs to (never changes, so remembered): for permission checks before
   * a run-scoped call. RESOURCE_DOES_NOT_EXIST when the run does not exist.
   */
  async runExperimentId(runId: string): Promise<string> {
    const known = this.runExperiments.get(runId);
    if (known !== undefined) return known;
    const r = await this.d
      .selectFrom('mlflow_runs')
      .select('experiment_id')
      .where('run_uuid', '=', runId)
      .executeTakeFirst();
    if (!r) throw notFound(`Run '${runId}' not found`);
    const id = String(r.experiment_id);
    if (this.runExperiments.size > 100_000) this.runExperiments.clear();
    this.runExperiments.set(runId, id);
    return id;
  }

  private async activeRun(a: Args): Promise<Row> {
    const r = await this.runRow(a);
    if (r.lifecycle_stage !== 'active')
      throw invalidParam(`The run ${r.run_uuid} must be in the 'active' state. Current state is ${r.lifecycle_stage}.`);
    return r;
  }

  private runInfo(r: Row): Row {
    return {
      run_id: r.run_uuid,
      run_uuid: r.run_uuid,
      run_name: r.name,
      experiment_id: String(r.experiment_id),
      user_id: r.user_id,
      status: r.status,
      start_time: Number(r.start_time),
      ...(r.end_time != null ? { end_time: Number(r.end_time) } : {}),
      artifact_uri: r.artifact_uri,
      lifecycle_stage: r.lifecycle_stage,
    };
  }

  /** Full Run objects for a set of run rows (four batched queries, in the given order). */
  private async runsJson(rows: Row[]): Promise<Row[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.run_uuid as string);
    const by = <T extends Row>(list: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of list) (m.get(x.run_uuid) ?? m.set(x.run_uuid, []).get(x.run_uuid)!).push(x);
      return m;
    };
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500));
    const q = async (table: string) =>
      (
        await Promise.all(chunks.map((c) => this.d.selectFrom(table).selectAll().where('run_uuid', 'in', c).execute()))
      ).flat();
    const [metrics, params, tags, inputs, modelIo] = await Promise.all([
      q('mlflow_latest_metrics'),
      q('mlflow_params'),
      q('mlflow_tags'),
      q('mlflow_run_inputs'),
      q('mlflow_run_model_io'),
    ]);
    const [bm, bp, bt, bi, bo] = [by(metrics), by(params), by(tags), by(inputs), by(modelIo)];
    return rows.map((r) => ({
      info: this.runInfo(r),
      data: {
        metrics: (bm.get(r.run_uuid) ?? []).map((m) => ({
          key: m.key,
          value: jsonNumber(fromStored(m.value), m.is_nan),
          timestamp: Number(m.timestamp),
          step: Number(m.step),
        })),
        params: (bp.get(r.run_uuid) ?? []).map((p) => ({ key: p.key, value: p.value })),
        tags: (bt.get(r.run_uuid) ?? []).map((t) => ({ key: t.key, value: t.value })),
      },
      inputs: {
        dataset_inputs: (bi.get(r.run_uuid) ?? []).map((i) => ({
          tags: JSON.parse(i.tags),
          dataset: {
            name: i.name,
            digest: i.digest,
            source_type: i.source_type,
            source: i.source,
            ...(i.schema != null ? { schema: i.schema } : {}),
            ...(i.profile != null ? { profile: i.profile } : {}),
          },
        })),
        model_inputs: (bo.get(r.run_uuid) ?? [])
          .filter((x) => x.direction === 'input')
          .map((x) => ({ model_id: x.model_id })),
      },
      outputs: {
        model_outputs: (bo.get(r.run_uuid) ?? [])
          .filter((x) => x.direction === 'output')
          .map((x) => ({ model_id: x.model_id, step: Number(x.step) })),
      },
    }));
  }

  async createRun(a: Args, principal: string): Promise<Row> {
    const e = await this.experimentRow(optStr(a, 'experiment_id') ?? '0', true);
    const tags = keyValues(a, 'tags');
    for (const t of tags) {
      checkKey(t.key, 'Tag');
      checkValue(t.value, MAX_TAG_VALUE, 'tag', t.key);
    }
    let name = optStr(a, 'run_name') || tags.find((t) => t.key === 'mlflow.runName')?.value || randomName();
    name = name.slice(0, 250);
    const id = hex(16);
    const row = {
      run_uuid: id,
      experiment_id: e.experiment_id,
      name,
      user_id: optStr(a, 'user_id') || principal,
      status: 'RUNNING',
      start_time: optInt(a, 'start_time') ?? now(),
      end_time: null,
      deleted_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `${String(e.artifact_location).replace(/\/+$/, '')}/${id}/artifacts`,
    };
    const allTags = [...tags.filter((t) => t.key !== 'mlflow.runName'), { key: 'mlflow.runName', value: name }];
    await this.d.transaction().execute(async (tx) => {
      await tx.insertInto('mlflow_runs').values(row).execute();
      for (const t of allTags)
        await tx
          .insertInto('mlflow_tags')
          .values({ run_uuid: id, ...t })
          .execute();
    });
    return { run: (await this.runsJson([row]))[0] };
  }

  async getRun(a: Args): Promise<Row> {
    return { run: (await this.runsJson([await this.runRow(a)]))[0] };
  }

  async updateRun(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const status = optStr(a, 'status');
    if (status !== undefined && !RUN_STATUSES.has(status)) throw invalidParam(`Invalid run status '${status}'`);
    const endTime = optInt(a, 'end_time');
    const name = optStr(a, 'run_name');
    const set: Row = {};
    if (status) set.status = status;
    if (endTime !== undefined) set.end_time = endTime;
    if (name) set.name = name.slice(0, 250);
    if (Object.keys(set).length) {
      await this.d.transaction().execute(async (tx) => {
        await tx.updateTable('mlflow_runs').set(set).where('run_uuid', '=', r.run_uuid).execute();
        if (name)
          await tx
            .insertInto('mlflow_tags')
            .values({ run_uuid: r.run_uuid, key: 'mlflow.runName', value: set.name })
            .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet({ value: set.name }))
            .execute();
      });
    }
    return { run_info: this.runInfo({ ...r, ...set }) };
  }

  async setRunLifecycle(a: Args, stage: 'active' | 'deleted'): Promise<Row> {
    const r = await this.runRow(a);
    if (stage === 'active') {
      const e = await this.experimentRow(String(r.experiment_id));
      if (e.lifecycle_stage !== 'active')
        throw invalidParam(`The experiment ${e.experiment_id} must be in the 'active' state.`);
    }
    await this.d
      .updateTable('mlflow_runs')
      .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now() : null })
      .where('run_uuid', '=', r.run_uuid)
      .execute();
    return {};
  }

  /** One metric point; `at` names it in messages (`metrics[3].` in a batch). Timestamp required, as in MLflow. */
  private parseMetric(m: Args, runId: string, at = ''): Row {
    const key = reqStr(m, 'key');
    checkKey(key, 'Metric');
    const v = reqDouble(m, 'value');
    const timestamp = optInt(m, 'timestamp');
    if (timestamp === undefined)
      throw invalidParam(
        `Missing value for required parameter '${at}timestamp'. See the API docs for more information about request parameters.`,
      );
    return {
      run_uuid: runId,
      key,
      value: storable(v),
      is_nan: Number.isNaN(v) ? 1 : 0,
      timestamp,
      step: optInt(m, 'step') ?? 0,
    };
  }

  /**
   * Append metric points and move each key's latest value forward. Hand-built multi-row statements
   * (one INSERT per 500 points, one upsert for the latest values) rather than Kysely's builder: a
   * 1,000-metric log_batch is three statements in one transaction.
   */
  private async writeMetrics(tx: Kysely<any>, rows: Row[], experimentId: number | string): Promise<void> {
    if (!rows.length) return;
    const runId = rows[0]!.run_uuid as string;
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const params: unknown[] = [];
      for (const r of chunk) params.push(runId, r.key, r.value, r.is_nan, r.timestamp, r.step);
      await tx.executeQuery(
        CompiledQuery.raw(
          `INSERT INTO mlflow_metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES ${this.placeholders(chunk.length, 6)}`,
          params,
        ),
      );
    }
    // latest per key: the point with the greatest (step, timestamp, value)
    const newest = new Map<string, Row>();
    const gt = (x: Row, y: Row) =>
      x.step !== y.step ? x.step > y.step : x.timestamp !== y.timestamp ? x.timestamp > y.timestamp : x.value > y.value;
    for (const r of rows) {
      const cur = newest.get(r.key);
      if (!cur || gt(r, cur)) newest.set(r.key, r);
    }
    const latest = [...newest.values()];
    for (let i = 0; i < latest.length; i += 500) {
      const chunk = latest.slice(i, i + 500);
      const params: unknown[] = [];
      for (const r of chunk) params.push(runId, r.key, r.value, r.is_nan, r.timestamp, r.step, Number(experimentId));
      const t = 'mlflow_latest_metrics';
      await tx.executeQuery(
        CompiledQuery.raw(
          `INSERT INTO ${t} (run_uuid, key, value, is_nan, timestamp, step, experiment_id) VALUES ${this.placeholders(chunk.length, 7)}
           ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
             timestamp = excluded.timestamp, step = excluded.step
           WHERE excluded.step > ${t}.step
              OR (excluded.step = ${t}.step AND excluded.timestamp > ${t}.timestamp)
              OR (excluded.step = ${t}.step AND excluded.timestamp = ${t}.timestamp AND excluded.value > ${t}.value)`,
          params,
        ),
      );
    }
  }

  /** `(?, ?), (?, ?)` for SQLite, `($1, $2), ($3, $4)` for PostgreSQL. */
  private placeholders(rows: number, cols: number): string {
    const out: string[] = [];
    let n = 1;
    for (let i = 0; i < rows; i++) {
      const one: string[] = [];
      for (let j = 0; j < cols; j++) one.push(this.dialect === 'postgres' ? `$${n++}` : '?');
      out.push(`(${one.join(', ')})`);
    }
    return out.join(', ');
  }

  private async writeParams(
    tx: Kysely<any>,
    runId: string,
    params: Array<{ key: string; value: string }>,
  ): Promise<void> {
    if (!params.length) return;
    const seen = new Map<string, string>();
    for (const p of params) {
      const prev = seen.get(p.key);
      if (prev !== undefined && prev !== p.value)
        throw invalidParam(
          `Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one param value per param key.`,
        );
      seen.set(p.key, p.value);
    }
    const existing = await tx
      .selectFrom('mlflow_params')
      .select(['key', 'value'])
      .where('run_uuid', '=', runId)
      .where('key', 'in', [...seen.keys()])
      .execute();
    const old = new Map(existing.map((e) => [e.key as string, e.value as string]));
    for (const [key, value] of seen) {
      const o = old.get(key);
      if (o !== undefined && o !== value)
        throw invalidParam(
          `Changing param values is not allowed. Param with key='${key}' was already logged with value='${o}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
        );
    }
    const fresh = [...seen].filter(([k]) => !old.has(k)).map(([key, value]) => ({ run_uuid: runId, key, value }));
    if (fresh.length) await tx.insertInto('mlflow_params').values(fresh).execute();
  }

  private async writeTags(tx: Kysely<any>, runId: string, tags: Array<{ key: string; value: string }>): Promise<void> {
    for (const t of tags) {
      await tx
        .insertInto('mlflow_tags')
        .values({ run_uuid: runId, ...t })
        .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet({ value: t.value }))
        .execute();
      if (t.key === 'mlflow.runName')
        await tx
          .updateTable('mlflow_runs')
          .set({ name: t.value.slice(0, 250) })
          .where('run_uuid', '=', runId)
          .execute();
    }
  }

  private checkParam(p: { key: string; value: string }): void {
    checkKey(p.key, 'Param');
    checkValue(p.value, MAX_PARAM_VALUE, 'param', p.key);
  }
  private checkTag(t: { key: string; value: string }): void {
    checkKey(t.key, 'Tag');
    checkValue(t.value, MAX_TAG_VALUE, 'tag', t.key);
  }

  async logMetric(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const m = this.parseMetric(a, r.run_uuid);
    await this.d.transaction().execute((tx) => this.writeMetrics(tx, [m], r.experiment_id));
    return {};
  }

  async logParam(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const p = { key: reqStr(a, 'key'), value: optStr(a, 'value') ?? '' };
    this.checkParam(p);
    await this.d.transaction().execute((tx) => this.writeParams(tx, r.run_uuid, [p]));
    return {};
  }

  async setTag(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const t = { key: reqStr(a, 'key'), value: optStrict(a, 'value') ?? '' };
    this.checkTag(t);
    await this.d.transaction().execute((tx) => this.writeTags(tx, r.run_uuid, [t]));
    return {};
  }

  async deleteTag(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const key = reqStr(a, 'key');
    const res = await this.d
      .deleteFrom('mlflow_tags')
      .where('run_uuid', '=', r.run_uuid)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw notFound(`No tag with name: ${key} in run with id ${r.run_uuid}`);
    return {};
  }

  async logBatch(a: Args): Promise<Row> {
    const metricsIn = objArray(a, 'metrics');
    const paramsIn = keyValues(a, 'params');
    const tagsIn = keyValues(a, 'tags');
    if (metricsIn.length > MAX_BATCH_METRICS)
      throw invalidParam(
        `A batch logging request can contain at most ${MAX_BATCH_METRICS} metrics. Got ${metricsIn.length} metrics. Please split up metrics across multiple requests and try again.`,
      );
    if (paramsIn.length > MAX_BATCH_PARAMS)
      throw invalidParam(
        `A batch logging request can contain at most ${MAX_BATCH_PARAMS} params. Got ${paramsIn.length} params. Please split up params across multiple requests and try again.`,
      );
    if (tagsIn.length > MAX_BATCH_TAGS)
      throw invalidParam(
        `A batch logging request can contain at most ${MAX_BATCH_TAGS} tags. Got ${tagsIn.length} tags. Please split up tags across multiple requests and try again.`,
      );
    const total = metricsIn.length + paramsIn.length + tagsIn.length;
    if (total > MAX_ENTITIES)
      throw invalidParam(
        `A batch logging request can contain at most ${MAX_ENTITIES} total metrics, params, and tags. Got ${total}.`,
      );
    const r = await this.activeRun(a);
    const metrics = metricsIn.map((m, i) => this.parseMetric(m, r.run_uuid, `metrics[${i}].`));
    paramsIn.forEach((p) => this.checkParam(p));
    tagsIn.forEach((t) => this.checkTag(t));
    await this.d.transaction().execute(async (tx) => {
      await this.writeParams(tx, r.run_uuid, paramsIn);
      await this.writeMetrics(tx, metrics, r.experiment_id);
      await this.writeTags(tx, r.run_uuid, tagsIn);
    });
    return {};
  }

  async logInputs(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const datasets = objArray(a, 'datasets').map((di) => {
      const ds = di.dataset;
      if (typeof ds !== 'object' || ds === null) throw invalidParam(`Missing value for required parameter 'dataset'.`);
      const d = ds as Args;
      return {
        run_uuid: r.run_uuid,
        name: reqStr(d, 'name'),
        digest: reqStr(d, 'digest'),
        source_type: reqStr(d, 'source_type'),
        source: reqStr(d, 'source'),
        schema: optStr(d, 'schema') ?? null,
        profile: optStr(d, 'profile') ?? null,
        tags: JSON.stringify(keyValues(di, 'tags')),
      };
    });
    const models = objArray(a, 'models').map((m) => reqStr(m, 'model_id'));
    await this.d.transaction().execute(async (tx) => {
      for (const d of datasets)
        await tx
          .insertInto('mlflow_run_inputs')
          .values(d)
          .onConflict((oc) => oc.columns(['run_uuid', 'name', 'digest']).doNothing())
          .execute();
      for (const model_id of models)
        await tx
          .insertInto('mlflow_run_model_io')
          .values({ run_uuid: r.run_uuid, direction: 'input', model_id, step: 0 })
          .onConflict((oc) => oc.columns(['run_uuid', 'direction', 'model_id']).doNothing())
          .execute();
    });
    return {};
  }

  async logOutputs(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const models = objArray(a, 'models').map((m) => ({
      model_id: reqStr(m, 'model_id'),
      step: optInt(m, 'step') ?? 0,
    }));
    for (const m of models)
      await this.d
        .insertInto('mlflow_run_model_io')
        .values({ run_uuid: r.run_uuid, direction: 'output', ...m })
        .onConflict((oc) => oc.columns(['run_uuid', 'direction', 'model_id']).doUpdateSet({ step: m.step }))
        .execute();
    return {};
  }

  /** MLflow 2's runs/log-model: appends the model's JSON to the run's `mlflow.log-model.history` tag. */
  async logModel(a: Args): Promise<Row> {
    const r = await this.activeRun(a);
    const modelJson = reqStr(a, 'model_json');
    let model: unknown;
    try {
      model = JSON.parse(modelJson);
    } catch {
      throw invalidParam(`Malformed model info. \n ${modelJson} \n is not a valid JSON.`);
    }
    const cur = await this.d
      .selectFrom('mlflow_tags')
      .select('value')
      .where('run_uuid', '=', r.run_uuid)
      .where('key', '=', 'mlflow.log-model.history')
      .executeTakeFirst();
    const hist = cur ? (JSON.parse(cur.value) as unknown[]) : [];
    hist.push(model);
    await this.d
      .transaction()
      .execute((tx) =>
        this.writeTags(tx, r.run_uuid, [{ key: 'mlflow.log-model.history', value: JSON.stringify(hist) }]),
      );
    return {};
  }

  async metricHistory(a: Args): Promise<Row> {
    const r = await this.runRow(a);
    const key = reqStr(a, 'metric_key');
    const max = optInt(a, 'max_results');
    const offset = decodePageToken(optStr(a, 'page_token'));
    let q = this.d
      .selectFrom('mlflow_metrics')
      .select(['key', 'value', 'is_nan', 'timestamp', 'step'])
      .where('run_uuid', '=', r.run_uuid)
      .where('key', '=', key)
      .orderBy('step')
      .orderBy('timestamp')
      .offset(offset);
    if (max !== undefined) q = q.limit(max + 1);
    else q = q.limit(-1 >>> 0);
    const rows = await q.execute();
    const page = max !== undefined ? rows.slice(0, max) : rows;
    return {
      metrics: page.map((m) => ({
        key: m.key,
        value: jsonNumber(fromStored(m.value), m.is_nan),
        timestamp: Number(m.timestamp),
        step: Number(m.step),
      })),
      ...(max !== undefined && rows.length > max ? { next_page_token: encodePageToken(offset + max) } : {}),
    };
  }

  /** `metrics/get-history-bulk` (the UI's call): every point of one key for up to 100 runs. */
  async metricHistoryBulk(a: Args): Promise<Row> {
    const runIds = strArray(a, 'run_id');
    if (!runIds.length) throw invalidParam('GetMetricHistoryBulk request must specify at least one run_id.');
    if (runIds.length > 100)
      throw invalidParam(
        `GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received ${runIds.length} run_ids.`,
      );
    const key = optStr(a, 'metric_key');
    if (!key) throw invalidParam('GetMetricHistoryBulk request must specify a metric_key.');
    const max = optInt(a, 'max_results') ?? 25000;
    if (max < 1) throw invalidParam(`max_results must be at least 1, got ${max}.`);
    const out: Row[] = [];
    for (const id of [...new Set(runIds)].sort()) {
      const rows = await this.d
        .selectFrom('mlflow_metrics')
        .select(['value', 'is_nan', 'timestamp', 'step'])
        .where('run_uuid', '=', id)
        .where('key', '=', key)
        .orderBy('timestamp')
        .orderBy('step')
        .orderBy('value')
        .limit(max)
        .execute();
      for (const m of rows)
        out.push({
          key,
          value: jsonNumber(fromStored(m.value), m.is_nan),
          timestamp: Number(m.timestamp),
          step: Number(m.step),
          run_id: id,
        });
      if (out.length >= max) break;
    }
    return { metrics: out.slice(0, max) };
  }

  /**
   * `metrics/get-history-bulk-interval`: the points of up to `max_results` evenly spaced steps
   * (MLflow's sampling: every ceil(n / max)-th step of all the runs' steps in the range, plus
   * each run's first and last step in the range), for up to 100 runs.
   */
  async metricHistoryBulkInterval(a: Args): Promise<Row> {
    const runIds = strArray(a, 'run_ids');
    if (!runIds.length)
      throw invalidParam(
        `Missing value for required parameter 'run_ids'. See the API docs for more information about request parameters.`,
      );
    if (runIds.length > 100)
      throw invalidParam(
        `GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received ${runIds.length} run_ids.`,
      );
    const key = reqStr(a, 'metric_key');
    const max = optInt(a, 'max_results') ?? 320;
    if (max < 1 || max > 2500) throw invalidParam(`max_results must be between 1 and 2500, got ${max}.`);
    let start = optInt(a, 'start_step');
    let end = optInt(a, 'end_step');
    if ((start === undefined) !== (end === undefined))
      throw invalidParam('If either start step or end step are specified, both must be specified.');
    if (start !== undefined && end !== undefined && start > end)
      throw invalidParam(`end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`);
    // the distinct steps of each run come from the (run, key, step, timestamp) index alone; only
    // the points of the sampled steps are read
    const perRun: number[][] = [];
    for (const id of runIds)
      perRun.push(
        (
          await this.d
            .selectFrom('mlflow_metrics')
            .select('step')
            .distinct()
            .where('run_uuid', '=', id)
            .where('key', '=', key)
            .orderBy('step')
            .execute()
        ).map((x) => Number(x.step)),
      );
    const all = [...new Set(perRun.flat())].sort((x, y) => x - y);
    if (start === undefined || end === undefined) {
      start = 0;
      end = all.length ? all[all.length - 1]! : 0;
    }
    const lo = start;
    const hi = end;
    const inRange = all.filter((s) => s >= lo && s <= hi);
    const keep = new Set<number>();
    if (inRange.length <= max) inRange.forEach((s) => keep.add(s));
    else {
      const every = Math.ceil(inRange.length / max);
      for (let i = 0; i < inRange.length; i += every) keep.add(inRange[i]!);
    }
    for (const steps of perRun)
      if (steps.length) for (const s of [steps[0]!, steps[steps.length - 1]!]) if (s >= lo && s <= hi) keep.add(s);
    const sampled = [...keep].sort((x, y) => x - y);
    const out: Row[] = [];
    if (!sampled.length) return { metrics: out };
    for (const id of runIds) {
      const rows = await this.d
        .selectFrom('mlflow_metrics')
        .select(['value', 'is_nan', 'timestamp', 'step'])
        .where('run_uuid', '=', id)
        .where('key', '=', key)
        .where('step', 'in', sampled)
        .orderBy('step')
        .orderBy('timestamp')
        .orderBy('value')
        .execute();
      for (const m of rows)
        out.push({
          key,
          value: jsonNumber(fromStored(m.value), m.is_nan),
          timestamp: Number(m.timestamp),
          step: Number(m.step),
          run_id: id,
        });
    }
    return { metrics: out };
  }

  // ---------------------------------------------------------------- run search (in SQL)

  private strCond(col: RawBuilder<unknown>, c: Clause): RawBuilder<unknown> {
    const v = c.value;
    switch (c.op) {
      case '=':
      case '!=':
        return sql`${col} ${sql.raw(c.op)} ${String(v)}`;
      case 'LIKE':
        if (this.dialect === 'sqlite') return sql`${col} GLOB ${likeToGlob(String(v))}`;
        return sql`${col} LIKE ${String(v)}`;
      case 'ILIKE':
        return sql`LOWER(${col}) LIKE LOWER(${String(v)})`;
      case 'IN':
      case 'NOT IN': {
        const list = v as string[];
        return sql`${col} ${sql.raw(c.op)} (${sql.join(list.map((x) => sql`${x}`))})`;
      }
      default:
        throw invalidParam(
          `Invalid comparator '${c.op}' for string value of '${c.key}'. Valid comparators: =, !=, LIKE, ILIKE`,
        );
    }
  }

  private numCond(col: RawBuilder<unknown>, c: Clause): RawBuilder<unknown> {
    if (!['=', '!=', '<', '<=', '>', '>='].includes(c.op) || typeof c.value !== 'number')
      throw invalidParam(
        `Invalid comparison for '${c.type === 'metric' ? 'metrics.' : ''}${c.key}': expected a numeric comparison (=, !=, <, <=, >, >=) with a number`,
      );
    return sql`${col} ${sql.raw(c.op)} ${c.value}`;
  }

  private runAttr(key: string): { col: RawBuilder<unknown>; numeric: boolean } {
    switch (key) {
      case 'run_id':
      case 'run_uuid':
      case 'id':
        return { col: sql`r.run_uuid`, numeric: false };
      case 'run_name':
        return { col: sql`r.name`, numeric: false };
      case 'status':
        return { col: sql`r.status`, numeric: false };
      case 'user_id':
        return { col: sql`r.user_id`, numeric: false };
      case 'artifact_uri':
        return { col: sql`r.artifact_uri`, numeric: false };
      case 'lifecycle_stage':
        return { col: sql`r.lifecycle_stage`, numeric: false };
      case 'start_time':
      case 'created':
      case 'Created':
        return { col: sql`r.start_time`, numeric: true };
      case 'end_time':
        return { col: sql`r.end_time`, numeric: true };
      default:
        throw invalidParam(
          `Invalid attribute key '${key}' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', 'created']'`,
        );
    }
  }

  private clauseSql(c: Clause): RawBuilder<unknown> {
    switch (c.type) {
      case 'metric':
        return sql`EXISTS (SELECT 1 FROM mlflow_latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ${c.key} AND m.is_nan = 0 AND ${this.numCond(sql`m.value`, c)})`;
      case 'param':
      case 'tag': {
        const t = sql.raw(c.type === 'param' ? 'mlflow_params' : 'mlflow_tags');
        if (c.op === 'IS NULL')
          return sql`NOT EXISTS (SELECT 1 FROM ${t} p WHERE p.run_uuid = r.run_uuid AND p.key = ${c.key})`;
        if (c.op === 'IS NOT NULL')
          return sql`EXISTS (SELECT 1 FROM ${t} p WHERE p.run_uuid = r.run_uuid AND p.key = ${c.key})`;
        if (typeof c.value === 'number')
          throw invalidParam(
            `Parameter value is either not quoted or unidentified quote types used for string value ${c.value}. Use either single or double quotes.`,
          );
        return sql`EXISTS (SELECT 1 FROM ${t} p WHERE p.run_uuid = r.run_uuid AND p.key = ${c.key} AND ${this.strCond(sql`p.value`, c)})`;
      }
      case 'attribute': {
        const { col, numeric } = this.runAttr(c.key);
        if (numeric) return this.numCond(col, c);
        if (typeof c.value === 'number') throw invalidParam(`Invalid string value for attribute '${c.key}': quote it`);
        return this.strCond(col, c);
      }
      case 'dataset': {
        if (c.key === 'name' || c.key === 'digest') {
          return sql`EXISTS (SELECT 1 FROM mlflow_run_inputs i WHERE i.run_uuid = r.run_uuid AND ${this.strCond(sql.ref(`i.${c.key}`) as RawBuilder<unknown>, c)})`;
        }
        if (c.key === 'context') {
          const values = c.op === 'IN' ? (c.value as string[]) : c.op === '=' ? [String(c.value)] : null;
          if (!values) throw invalidParam(`Only '=' and 'IN' are supported for datasets.context`);
          const likes = values.map(
            (v) => sql`i.tags LIKE ${`%"key":"mlflow.data.context","value":${JSON.stringify(v)}%`}`,
          );
          return sql`EXISTS (SELECT 1 FROM mlflow_run_inputs i WHERE i.run_uuid = r.run_uuid AND (${sql.join(likes, sql` OR `)}))`;
        }
        throw invalidParam(`Invalid dataset key '${c.key}'. Valid keys are 'name', 'digest', 'context'`);
      }
    }
  }

  async searchRuns(a: Args): Promise<Row> {
    const expIds = strArray(a, 'experiment_ids');
    if (expIds.some((x) => !/^\d+$/.test(x))) throw invalidParam(`Invalid experiment ID in ${JSON.stringify(expIds)}`);
    const stages = viewTypeStages(optStr(a, 'run_view_type'));
    const max = optInt(a, 'max_results') ?? 1000;
    if (max < 1 || max > 50000)
      throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most 50000`);
    const clauses = parseFilter(optStr(a, 'filter'));
    const order = parseOrderBy(strArray(a, 'order_by'));
    const offset = decodePageToken(optStr(a, 'page_token'));
    if (!expIds.length) return { runs: [] };
    const exps = sql.join(expIds.map((x) => sql`${Number(x)}`));
    const base = [
      sql`r.experiment_id IN (${exps})`,
      sql`r.lifecycle_stage IN (${sql.join(stages.map((x) => sql`${x}`))})`,
    ];
    const orderSql = (list: OrderBy[]): RawBuilder<unknown>[] => {
      const out: RawBuilder<unknown>[] = [];
      for (const o of list) {
        let expr: RawBuilder<unknown>;
        if (o.type === 'metric')
          expr = sql`(SELECT CASE WHEN m.is_nan = 1 THEN NULL ELSE m.value END FROM mlflow_latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ${o.key})`;
        else if (o.type === 'param' || o.type === 'tag')
          expr = sql`(SELECT p.value FROM ${sql.raw(o.type === 'param' ? 'mlflow_params' : 'mlflow_tags')} p WHERE p.run_uuid = r.run_uuid AND p.key = ${o.key})`;
        else if (o.type === 'attribute') expr = this.runAttr(o.key).col;
        else throw invalidParam(`Invalid order_by entity 'datasets'`);
        out.push(sql`CASE WHEN ${expr} IS NULL THEN 1 ELSE 0 END`, sql`${expr} ${sql.raw(o.asc ? 'ASC' : 'DESC')}`);
      }
      if (!order.some((o) => o.type === 'attribute' && ['start_time', 'created', 'Created'].includes(o.key)))
        out.push(sql`r.start_time DESC`);
      out.push(sql`r.run_uuid ASC`);
      return out;
    };
    const page = (rows: Row[]) => ({
      rows: rows.slice(0, max),
      more: rows.length > max,
    });
    let result: { rows: Row[]; more: boolean };
    const first = order[0];
    if (first && first.type === 'metric') {
      // Ordered by a metric: walk the (experiment, key, value) index of the latest metrics, so a
      // page costs about its own size. Runs with a value come first (in that order); then the
      // runs whose latest value is NaN, then those without the metric (MLflow's order).
      const k = first.key;
      const onKey = (c: Clause) => c.type === 'metric' && c.key === k;
      const where1 = [
        sql`o.experiment_id IN (${exps})`,
        sql`o.key = ${k}`,
        sql`o.is_nan = 0`,
        sql`r.run_uuid = o.run_uuid`,
        ...base,
        ...clauses.map((c) => (onKey(c) ? this.numCond(sql`o.value`, c) : this.clauseSql(c))),
      ];
      const order1 = [sql`o.value ${sql.raw(first.asc ? 'ASC' : 'DESC')}`, ...orderSql(order.slice(1))];
      const from1 = sql`mlflow_latest_metrics o CROSS JOIN mlflow_runs r WHERE ${sql.join(where1, sql` AND `)}`;
      const rows1 = (
        await sql<Row>`SELECT r.* FROM ${from1} ORDER BY ${sql.join(order1)} LIMIT ${max + 1} OFFSET ${offset}`.execute(
          this.d,
        )
      ).rows;
      if (rows1.length > max) result = page(rows1);
      else {
        let count1 = offset + rows1.length;
        if (!rows1.length && offset > 0)
          count1 = Number((await sql<Row>`SELECT COUNT(*) AS n FROM ${from1}`.execute(this.d)).rows[0]!.n);
        const where2 = [
          ...base,
          ...clauses.map((c) => this.clauseSql(c)),
          sql`NOT EXISTS (SELECT 1 FROM mlflow_latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ${k} AND m.is_nan = 0)`,
        ];
        const order2 = [
          sql`CASE WHEN EXISTS (SELECT 1 FROM mlflow_latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ${k}) THEN 0 ELSE 1 END`,
          ...orderSql(order.slice(1)),
        ];
        const rows2 = (
          await sql<Row>`SELECT r.* FROM mlflow_runs r WHERE ${sql.join(where2, sql` AND `)} ORDER BY ${sql.join(order2)} LIMIT ${max + 1 - rows1.length} OFFSET ${Math.max(0, offset - count1)}`.execute(
            this.d,
          )
        ).rows;
        result = page([...rows1, ...rows2]);
      }
    } else {
      const where = [...base, ...clauses.map((c) => this.clauseSql(c))];
      const q = sql<Row>`SELECT r.* FROM mlflow_runs r WHERE ${sql.join(where, sql` AND `)} ORDER BY ${sql.join(orderSql(order))} LIMIT ${max + 1} OFFSET ${offset}`;
      result = page((await q.execute(this.d)).rows);
    }
    return {
      runs: await this.runsJson(result.rows),
      ...(result.more ? { next_page_token: encodePageToken(offset + max) } : {}),
    };
  }

  // ---------------------------------------------------------------- logged models (MLflow 3)

  private async loggedModelRow(id: string): Promise<Row> {
    const m = await this.d
      .selectFrom('mlflow_logged_models')
      .selectAll()
      .where('model_id', '=', id)
      .where('lifecycle_stage', '=', 'active')
      .executeTakeFirst();
    if (!m) throw notFound(`Logged model with ID '${id}' not found.`);
    return m;
  }

  private async loggedModelJson(m: Row): Promise<Row> {
    const [tags, params, versions, metrics] = await Promise.all([
      this.d
        .selectFrom('mlflow_logged_model_tags')
        .select(['key', 'value'])
        .where('model_id', '=', m.model_id)
        .execute(),
      this.d
        .selectFrom('mlflow_logged_model_params')
        .select(['key', 'value'])
        .where('model_id', '=', m.model_id)
        .execute(),
      this.d
        .selectFrom('mlflow_model_versions')
        .select(['name', 'version'])
        .where('model_id', '=', m.model_id)
        .execute(),
      m.source_run_id
        ? this.d.selectFrom('mlflow_latest_metrics').selectAll().where('run_uuid', '=', m.source_run_id).execute()
        : Promise.resolve([] as Row[]),
    ]);
    return {
      info: {
        model_id: m.model_id,
        experiment_id: String(m.experiment_id),
        name: m.name,
        creation_timestamp_ms: Number(m.creation_time),
        last_updated_timestamp_ms: Number(m.last_update_time),
        artifact_uri: m.artifact_location,
        status: m.status,
        ...(m.model_type ? { model_type: m.model_type } : {}),
        ...(m.source_run_id ? { source_run_id: m.source_run_id } : {}),
        ...(m.status_message ? { status_message: m.status_message } : {}),
        tags,
        registrations: versions.map((v) => ({ name: v.name, version: String(v.version) })),
      },
      data: {
        params,
        metrics: metrics.map((x) => ({
          key: x.key,
          value: jsonNumber(fromStored(x.value), x.is_nan),
          timestamp: Number(x.timestamp),
          step: Number(x.step),
          run_id: x.run_uuid,
          model_id: m.model_id,
        })),
      },
    };
  }

  async createLoggedModel(a: Args, user: string): Promise<Row> {
    const e = await this.experimentRow(reqStr(a, 'experiment_id'), true);
    const id = `m-${hex(16)}`;
    const name = optStr(a, 'name') || randomName();
    const sourceRun = optStr(a, 'source_run_id');
    if (sourceRun) await this.runRow({ run_id: sourceRun });
    const params = keyValues(a, 'params');
    const tags = keyValues(a, 'tags');
    params.forEach((p) => this.checkParam(p));
    tags.forEach((t) => this.checkTag(t));
    const t = now();
    const row = {
      model_id: id,
      experiment_id: e.experiment_id,
      name,
      artifact_location: `${String(e.artifact_location).replace(/\/+$/, '')}/models/${id}/artifacts`,
      status: 'LOGGED_MODEL_PENDING',
      status_message: null,
      model_type: optStr(a, 'model_type') ?? null,
      source_run_id: sourceRun ?? null,
      creator_id: user,
      lifecycle_stage: 'active',
      creation_time: t,
      last_update_time: t,
    };
    await this.d.transaction().execute(async (tx) => {
      await tx.insertInto('mlflow_logged_models').values(row).execute();
      for (const p of params)
        await tx
          .insertInto('mlflow_logged_model_params')
          .values({ model_id: id, ...p })
          .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: p.value }))
          .execute();
      for (const tg of tags)
        await tx
          .insertInto('mlflow_logged_model_tags')
          .values({ model_id: id, ...tg })
          .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: tg.value }))
          .execute();
    });
    return { model: await this.loggedModelJson(row) };
  }

  async getLoggedModel(id: string): Promise<Row> {
    return { model: await this.loggedModelJson(await this.loggedModelRow(id)) };
  }

  async finalizeLoggedModel(id: string, a: Args): Promise<Row> {
    const m = await this.loggedModelRow(id);
    const status = reqStr(a, 'status');
    const known = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'];
    const s = /^\d+$/.test(status) ? known[Number(status) - 1] : status;
    if (!s || !known.includes(s)) throw invalidParam(`Invalid logged model status '${status}'`);
    await this.d
      .updateTable('mlflow_logged_models')
      .set({ status: s, last_update_time: now() })
      .where('model_id', '=', m.model_id)
      .execute();
    return this.getLoggedModel(id);
  }

  async deleteLoggedModel(id: string): Promise<Row> {
    const m = await this.loggedModelRow(id);
    await this.d
      .updateTable('mlflow_logged_models')
      .set({ lifecycle_stage: 'deleted', last_update_time: now() })
      .where('model_id', '=', m.model_id)
      .execute();
    return {};
  }

  async setLoggedModelTags(id: string, a: Args): Promise<Row> {
    const m = await this.loggedModelRow(id);
    const tags = keyValues(a, 'tags');
    tags.forEach((t) => this.checkTag(t));
    for (const t of tags)
      await this.d
        .insertInto('mlflow_logged_model_tags')
        .values({ model_id: m.model_id, ...t })
        .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: t.value }))
        .execute();
    return {};
  }

  async deleteLoggedModelTag(id: string, key: string): Promise<Row> {
    const m = await this.loggedModelRow(id);
    const r = await this.d
      .deleteFrom('mlflow_logged_model_tags')
      .where('model_id', '=', m.model_id)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound(`No tag with key '${key}' on logged model ${id}`);
    return {};
  }

  async logLoggedModelParams(id: string, a: Args): Promise<Row> {
    const m = await this.loggedModelRow(id);
    const params = keyValues(a, 'params');
    params.forEach((p) => this.checkParam(p));
    for (const p of params)
      await this.d
        .insertInto('mlflow_logged_model_params')
        .values({ model_id: m.model_id, ...p })
        .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: p.value }))
        .execute();
    return {};
  }

  async searchLoggedModels(a: Args): Promise<Row> {
    const expIds = strArray(a, 'experiment_ids');
    const max = optInt(a, 'max_results') ?? 100;
    const offset = decodePageToken(optStr(a, 'page_token'));
    const clauses = parseFilter(optStr(a, 'filter'));
    let q = this.d.selectFrom('mlflow_logged_models').selectAll().where('lifecycle_stage', '=', 'active');
    if (expIds.length) q = q.where('experiment_id', 'in', expIds.map(Number));
    const rows = await q.orderBy('creation_time', 'desc').orderBy('model_id').execute();
    const all = await Promise.all(rows.map((r) => this.loggedModelJson(r)));
    const hit = all.filter((m) =>
      clauses.every((c) => {
        if (c.type === 'tag') return matches(m.info.tags.find((t: Row) => t.key === c.key)?.value, c);
        if (c.type === 'param') return matches(m.data.params.find((t: Row) => t.key === c.key)?.value, c);
        if (c.type === 'metric') {
          const v = m.data.metrics.find((t: Row) => t.key === c.key)?.value;
          return typeof v === 'number' && matches(v, c);
        }
        const k =
          c.key === 'creation_time'
            ? 'creation_timestamp_ms'
            : c.key === 'last_updated_timestamp'
              ? 'last_updated_timestamp_ms'
              : c.key;
        return matches(m.info[k], c);
      }),
    );
    const page = hit.slice(offset, offset + max);
    return { models: page, ...(offset + max < hit.length ? { next_page_token: encodePageToken(offset + max) } : {}) };
  }

  // ---------------------------------------------------------------- model registry

  private async registeredModelRow(name: string): Promise<Row> {
    const m = await this.d
      .selectFrom('mlflow_registered_models')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!m) throw notFound(`Registered Model with name=${name} not found`);
    return m;
  }

  private async versionRow(name: string, version: string): Promise<Row> {
    if (!/^\d+$/.test(version)) throw invalidParam(`Parameter 'version' must be an integer, got '${version}'.`);
    const v = await this.d
      .selectFrom('mlflow_model_versions')
      .selectAll()
      .where('name', '=', name)
      .where('version', '=', Number(version))
      .executeTakeFirst();
    if (!v) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return v;
  }

  private async versionsJson(rows: Row[]): Promise<Row[]> {
    if (!rows.length) return [];
    const names = [...new Set(rows.map((r) => r.name as string))];
    const [tags, aliases] = await Promise.all([
      this.d.selectFrom('mlflow_model_version_tags').selectAll().where('name', 'in', names).execute(),
      this.d.selectFrom('mlflow_aliases').selectAll().where('name', 'in', names).execute(),
    ]);
    return rows.map((v) => ({
      name: v.name,
      version: String(v.version),
      creation_timestamp: Number(v.creation_time),
      last_updated_timestamp: Number(v.last_update_time),
      user_id: v.user_id,
      current_stage: v.current_stage,
      description: v.description ?? '',
      source: v.source,
      ...(v.run_id ? { run_id: v.run_id } : {}),
      ...(v.run_link ? { run_link: v.run_link } : {}),
      ...(v.model_id ? { model_id: v.model_id } : {}),
      status: v.status,
      tags: tags
        .filter((t) => t.name === v.name && Number(t.version) === Number(v.version))
        .map((t) => ({ key: t.key, value: t.value })),
      aliases: aliases.filter((x) => x.name === v.name && Number(x.version) === Number(v.version)).map((x) => x.alias),
    }));
  }

  private async latestVersions(name: string, stages?: string[]): Promise<Row[]> {
    const vs = await this.d
      .selectFrom('mlflow_model_versions')
      .selectAll()
      .where('name', '=', name)
      .orderBy('version')
      .execute();
    const latest = new Map<string, Row>();
    for (const v of vs) latest.set(v.current_stage, v);
    const want = stages?.length ? stages.map((s) => canonicalStage(s)) : [...latest.keys()];
    return this.versionsJson(want.map((s) => latest.get(s)).filter((x): x is Row => !!x));
  }

  private async registeredModelJson(m: Row): Promise<Row> {
    const [tags, aliases, latest] = await Promise.all([
      this.d.selectFrom('mlflow_registered_model_tags').select(['key', 'value']).where('name', '=', m.name).execute(),
      this.d.selectFrom('mlflow_aliases').select(['alias', 'version']).where('name', '=', m.name).execute(),
      this.latestVersions(m.name),
    ]);
    return {
      name: m.name,
      creation_timestamp: Number(m.creation_time),
      last_updated_timestamp: Number(m.last_update_time),
      user_id: m.owner,
      description: m.description ?? '',
      latest_versions: latest,
      tags,
      aliases: aliases.map((x) => ({ alias: x.alias, version: String(x.version) })),
    };
  }

  async createRegisteredModel(a: Args, user: string): Promise<Row> {
    const name = reqStr(a, 'name');
    if (!name.trim()) throw invalidParam('Registered model name cannot be empty.');
    const tags = keyValues(a, 'tags');
    tags.forEach((t) => this.checkTag(t));
    const t = now();
    try {
      await this.d.transaction().execute(async (tx) => {
        await tx
          .insertInto('mlflow_registered_models')
          .values({
            name,
            description: optStr(a, 'description') ?? null,
            owner: user,
            creation_time: t,
            last_update_time: t,
          })
          .execute();
        for (const tg of tags)
          await tx
            .insertInto('mlflow_registered_model_tags')
            .values({ name, ...tg })
            .execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
      throw err;
    }
    return { registered_model: await this.registeredModelJson(await this.registeredModelRow(name)) };
  }

  async getRegisteredModel(a: Args): Promise<Row> {
    return { registered_model: await this.registeredModelJson(await this.registeredModelRow(reqStr(a, 'name'))) };
  }

  async renameRegisteredModel(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    const newName = reqStr(a, 'new_name');
    await this.registeredModelRow(name);
    const clash = await this.d
      .selectFrom('mlflow_registered_models')
      .select('name')
      .where('name', '=', newName)
      .executeTakeFirst();
    if (clash) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
    await this.d.transaction().execute(async (tx) => {
      for (const t of [
        'mlflow_registered_models',
        'mlflow_registered_model_tags',
        'mlflow_model_versions',
        'mlflow_model_version_tags',
        'mlflow_aliases',
      ])
        await tx.updateTable(t).set({ name: newName }).where('name', '=', name).execute();
      await tx
        .updateTable('mlflow_registered_models')
        .set({ last_update_time: now() })
        .where('name', '=', newName)
        .execute();
    });
    return { registered_model: await this.registeredModelJson(await this.registeredModelRow(newName)) };
  }

  async updateRegisteredModel(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    await this.d
      .updateTable('mlflow_registered_models')
      .set({ description: optStr(a, 'description') ?? null, last_update_time: now() })
      .where('name', '=', name)
      .execute();
    return { registered_model: await this.registeredModelJson(await this.registeredModelRow(name)) };
  }

  async deleteRegisteredModel(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    await this.d.transaction().execute(async (tx) => {
      for (const t of [
        'mlflow_registered_models',
        'mlflow_registered_model_tags',
        'mlflow_model_versions',
        'mlflow_model_version_tags',
        'mlflow_aliases',
      ])
        await tx.deleteFrom(t).where('name', '=', name).execute();
    });
    return {};
  }

  async searchRegisteredModels(a: Args): Promise<Row> {
    const max = optInt(a, 'max_results') ?? 100;
    if (max < 1 || max > 1000)
      throw invalidParam(
        `Invalid value for request parameter max_results. It must be at most 1000, but got value ${max}`,
      );
    const clauses = parseFilter(optStr(a, 'filter'));
    const order = parseOrderBy(strArray(a, 'order_by'));
    const offset = decodePageToken(optStr(a, 'page_token'));
    const rows = await this.d.selectFrom('mlflow_registered_models').selectAll().execute();
    const all = await Promise.all(rows.map((r) => this.registeredModelJson(r)));
    const hit = all.filter((m) =>
      clauses.every((c) => {
        if (c.type === 'tag') return matches(m.tags.find((t: Row) => t.key === c.key)?.value, c);
        if (c.type === 'attribute' && c.key === 'name') return matches(m.name, c);
        throw invalidParam(`Invalid filter '${a.filter}'. Registered models can be filtered by name and tags.`);
      }),
    );
    sortBy(
      hit,
      order,
      {
        name: 'name',
        timestamp: 'last_updated_timestamp',
        last_updated_timestamp: 'last_updated_timestamp',
        creation_timestamp: 'creation_timestamp',
      },
      'name',
    );
    const page = hit.slice(offset, offset + max);
    return {
      registered_models: page,
      ...(offset + max < hit.length ? { next_page_token: encodePageToken(offset + max) } : {}),
    };
  }

  async getLatestVersions(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    return { model_versions: await this.latestVersions(name, strArray(a, 'stages')) };
  }

  async setRegisteredModelTag(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    const t = { key: reqStr(a, 'key'), value: optStr(a, 'value') ?? '' };
    this.checkTag(t);
    await this.d
      .insertInto('mlflow_registered_model_tags')
      .values({ name, ...t })
      .onConflict((oc) => oc.columns(['name', 'key']).doUpdateSet({ value: t.value }))
      .execute();
    return {};
  }

  async deleteRegisteredModelTag(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    const key = reqStr(a, 'key');
    const r = await this.d
      .deleteFrom('mlflow_registered_model_tags')
      .where('name', '=', name)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound(`Registered model tag with name=${name}, key=${key} not found`);
    return {};
  }

  /** Where a version's files are: a logged model's or a run's artifact location, else the source itself. */
  private async storageLocation(source: string): Promise<string> {
    const lm = /^models:\/(m-[0-9a-f]+)\/?$/.exec(source);
    if (lm) return (await this.loggedModelRow(lm[1]!)).artifact_location;
    // a registered version (copy_model_version sends `models:/<name>/<version>`): its location
    const mv = /^models:\/([^/@]+)\/(\d+)\/?$/.exec(source);
    if (mv) {
      const v = await this.versionRow(mv[1]!, mv[2]!);
      return v.storage_location ?? v.source;
    }
    const run = /^runs:\/([0-9a-f]+)\/?(.*)$/.exec(source);
    if (run) {
      const r = await this.runRow({ run_id: run[1]! });
      return run[2] ? `${r.artifact_uri}/${run[2]}` : r.artifact_uri;
    }
    return source;
  }

  async createModelVersion(a: Args, user: string): Promise<Row> {
    const name = reqStr(a, 'name');
    const source = reqStr(a, 'source');
    await this.registeredModelRow(name);
    // as in MLflow, run_id is a link that is not checked (a version may come from another server)
    const runId = optStr(a, 'run_id');
    const modelId = optStr(a, 'model_id');
    if (modelId) await this.loggedModelRow(modelId);
    if (/(^|\/)\.\.(\/|$)/.test(source))
      throw invalidParam(`Invalid model version source: '${source}'. Path traversal is not allowed.`);
    const tags = keyValues(a, 'tags');
    tags.forEach((t) => this.checkTag(t));
    const storage = await this.storageLocation(source);
    for (let attempt = 0; ; attempt++) {
      try {
        const version = await this.d.transaction().execute(async (tx) => {
          const max = await tx
            .selectFrom('mlflow_model_versions')
            .select((eb) => eb.fn.max('version').as('m'))
            .where('name', '=', name)
            .executeTakeFirst();
          const version = Number(max?.m ?? 0) + 1;
          const t = now();
          await tx
            .insertInto('mlflow_model_versions')
            .values({
              name,
              version,
              description: optStr(a, 'description') ?? null,
              user_id: user,
              current_stage: 'None',
              source,
              storage_location: storage,
              run_id: runId ?? null,
              run_link: optStr(a, 'run_link') ?? null,
              model_id: modelId ?? null,
              status: 'READY',
              creation_time: t,
              last_update_time: t,
            })
            .execute();
          for (const tg of tags)
            await tx
              .insertInto('mlflow_model_version_tags')
              .values({ name, version, ...tg })
              .execute();
          await tx
            .updateTable('mlflow_registered_models')
            .set({ last_update_time: t })
            .where('name', '=', name)
            .execute();
          return version;
        });
        return { model_version: (await this.versionsJson([await this.versionRow(name, String(version))]))[0] };
      } catch (err) {
        if (attempt < 5 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async getModelVersion(a: Args): Promise<Row> {
    return {
      model_version: (await this.versionsJson([await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'))]))[0],
    };
  }

  async updateModelVersion(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    const description = optStr(a, 'description');
    if (description !== undefined)
      await this.d
        .updateTable('mlflow_model_versions')
        .set({ description, last_update_time: now() })
        .where('name', '=', v.name)
        .where('version', '=', v.version)
        .execute();
    return this.getModelVersion(a);
  }

  async transitionStage(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    const stage = canonicalStage(reqStr(a, 'stage'));
    const archive = optBool(a, 'archive_existing_versions') ?? false;
    const t = now();
    await this.d.transaction().execute(async (tx) => {
      if (archive && (stage === 'Staging' || stage === 'Production'))
        await tx
          .updateTable('mlflow_model_versions')
          .set({ current_stage: 'Archived', last_update_time: t })
          .where('name', '=', v.name)
          .where('current_stage', '=', stage)
          .where('version', '!=', v.version)
          .execute();
      await tx
        .updateTable('mlflow_model_versions')
        .set({ current_stage: stage, last_update_time: t })
        .where('name', '=', v.name)
        .where('version', '=', v.version)
        .execute();
      await tx
        .updateTable('mlflow_registered_models')
        .set({ last_update_time: t })
        .where('name', '=', v.name)
        .execute();
    });
    return this.getModelVersion(a);
  }

  async deleteModelVersion(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    await this.d.transaction().execute(async (tx) => {
      for (const t of ['mlflow_model_versions', 'mlflow_model_version_tags', 'mlflow_aliases'])
        await tx.deleteFrom(t).where('name', '=', v.name).where('version', '=', v.version).execute();
      await tx
        .updateTable('mlflow_registered_models')
        .set({ last_update_time: now() })
        .where('name', '=', v.name)
        .execute();
    });
    return {};
  }

  async searchModelVersions(a: Args): Promise<Row> {
    const max = optInt(a, 'max_results') ?? 10000;
    if (max < 1 || max > 200000) throw invalidParam(`Invalid value for request parameter max_results: ${max}`);
    const clauses = parseFilter(optStr(a, 'filter'));
    const order = parseOrderBy(strArray(a, 'order_by'));
    const offset = decodePageToken(optStr(a, 'page_token'));
    const rows = await this.d.selectFrom('mlflow_model_versions').selectAll().execute();
    const all = await this.versionsJson(rows);
    const attrs: Record<string, string> = {
      name: 'name',
      run_id: 'run_id',
      source_path: 'source',
      source: 'source',
      version_number: 'version',
      version: 'version',
      current_stage: 'current_stage',
      model_id: 'model_id',
    };
    const hit = all.filter((v) =>
      clauses.every((c) => {
        if (c.type === 'tag') return matches(v.tags.find((t: Row) => t.key === c.key)?.value, c);
        const k = attrs[c.key];
        if (c.type !== 'attribute' || !k) throw invalidParam(`Invalid filter '${a.filter}': unknown key '${c.key}'`);
        return matches(k === 'version' && typeof c.value === 'number' ? Number(v.version) : v[k], c);
      }),
    );
    // MLflow's order: the requested keys, then (those not requested) last update newest first,
    // name, version newest first
    const fields: Record<string, string> = {
      name: 'name',
      version_number: 'version',
      version: 'version',
      creation_timestamp: 'creation_timestamp',
      last_updated_timestamp: 'last_updated_timestamp',
    };
    const used = new Set(order.map((o) => fields[o.key]));
    const full: Array<{ key: string; asc: boolean }> = [...order];
    if (!used.has('last_updated_timestamp')) full.push({ key: 'last_updated_timestamp', asc: false });
    if (!used.has('name')) full.push({ key: 'name', asc: true });
    if (!used.has('version')) full.push({ key: 'version', asc: false });
    sortBy(hit, full, fields, 'name', true);
    const page = hit.slice(offset, offset + max);
    return {
      model_versions: page,
      ...(offset + max < hit.length ? { next_page_token: encodePageToken(offset + max) } : {}),
    };
  }

  async getDownloadUri(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    return { artifact_uri: v.storage_location ?? v.source };
  }

  async setModelVersionTag(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    const t = { key: reqStr(a, 'key'), value: optStr(a, 'value') ?? '' };
    this.checkTag(t);
    await this.d
      .insertInto('mlflow_model_version_tags')
      .values({ name: v.name, version: v.version, ...t })
      .onConflict((oc) => oc.columns(['name', 'version', 'key']).doUpdateSet({ value: t.value }))
      .execute();
    return {};
  }

  async deleteModelVersionTag(a: Args): Promise<Row> {
    const v = await this.versionRow(reqStr(a, 'name'), reqStr(a, 'version'));
    const key = reqStr(a, 'key');
    const r = await this.d
      .deleteFrom('mlflow_model_version_tags')
      .where('name', '=', v.name)
      .where('version', '=', v.version)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0)
      throw notFound(`Model version tag with name=${v.name}, version=${v.version}, key=${key} not found`);
    return {};
  }

  async setAlias(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    const alias = reqStr(a, 'alias');
    if (alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias) || !/^[\w-]+$/.test(alias) || alias.length > 255)
      throw invalidParam(
        `Invalid alias name: '${alias}'. Aliases may only contain alphanumerics, underscores and dashes, and cannot be 'latest' or look like a version ('v1').`,
      );
    const v = await this.versionRow(name, reqStr(a, 'version'));
    await this.d
      .insertInto('mlflow_aliases')
      .values({ name, alias, version: v.version })
      .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version: v.version }))
      .execute();
    return {};
  }

  async deleteAlias(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    await this.registeredModelRow(name);
    const alias = reqStr(a, 'alias');
    await this.d.deleteFrom('mlflow_aliases').where('name', '=', name).where('alias', '=', alias).execute();
    return {};
  }

  async getByAlias(a: Args): Promise<Row> {
    const name = reqStr(a, 'name');
    const alias = reqStr(a, 'alias');
    await this.registeredModelRow(name);
    const x = await this.d
      .selectFrom('mlflow_aliases')
      .select('version')
      .where('name', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst();
    if (!x) throw notFound(`Registered model alias ${alias} not found.`);
    return { model_version: (await this.versionsJson([await this.versionRow(name, String(x.version))]))[0] };
  }
}

function canonicalStage(s: string): string {
  const c = STAGES[s.toLowerCase()];
  if (!c)
    throw invalidParam(`Invalid Model Version stage: ${s}. Value must be one of None, Staging, Production, Archived.`);
  return c;
}

function sortBy(
  list: Row[],
  order: Array<{ key: string; asc: boolean }>,
  fields: Record<string, string>,
  tiebreak: string,
  versionDesc = false,
): void {
  const keys = order.map((o) => {
    const f = fields[o.key];
    if (!f)
      throw invalidParam(`Invalid order by key '${o.key}' specified. Valid keys are ${Object.keys(fields).join(', ')}`);
    return { f, asc: o.asc };
  });
  list.sort((x, y) => {
    for (const k of keys) {
      const vx = k.f === 'version' ? Number(x.version) : x[k.f];
      const vy = k.f === 'version' ? Number(y.version) : y[k.f];
      if (vx === vy) continue;
      return (vx < vy ? -1 : 1) * (k.asc ? 1 : -1);
    }
    if (x[tiebreak] !== y[tiebreak]) return x[tiebreak] < y[tiebreak] ? -1 : 1;
    return versionDesc ? Number(y.version) - Number(x.version) : 0;
  });
}

/** A LIKE pattern as an SQLite GLOB (case-sensitive, as MLflow's LIKE is). */
export function likeToGlob(p: string): string {
  let g = '';
  for (const ch of p) {
    if (ch === '%') g += '*';
    else if (ch === '_') g += '?';
    else if (ch === '*' || ch === '?' || ch === '[') g += `[${ch}]`;
    else g += ch;
  }
  return g;
}
