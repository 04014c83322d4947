import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMetastoreDb, runMigrations, type MetastoreDb } from '@lakebox/catalog';
import { mlflowMigrations } from './migrations.js';
import { MlflowStore } from './store.js';

// search_runs ordered by a metric walks the latest-metrics index and then appends the runs whose
// value is NaN or missing: its pages must equal one ordering of all runs computed here.

let m: MetastoreDb;
let s: MlflowStore;
let exp = '';
let other = '';
interface R {
  id: string;
  score: number | null; // null: no metric, NaN: NaN
  group: string;
  start: number;
}
const runs: R[] = [];

beforeAll(async () => {
  m = openMetastoreDb({ url: ':memory:' });
  await runMigrations(m.db as never, mlflowMigrations, 'lakebox_mlflow_migrations');
  s = new MlflowStore(m.db as never, 'sqlite', '/tmp/unused-artifacts');
  await s.init();
  exp = (await s.createExperiment({ name: 'order' }, 'u')).experiment_id as string;
  other = (await s.createExperiment({ name: 'other' }, 'u')).experiment_id as string;
  for (let i = 0; i < 40; i++) {
    const start = 1000 + (i % 7);
    const id = ((await s.createRun({ experiment_id: exp, start_time: start }, 'u')).run as any).info.run_id;
    const score = i % 9 === 0 ? null : i % 11 === 0 ? NaN : (i * 37) % 10;
    if (score !== null) await s.logMetric({ run_id: id, key: 'score', value: score, timestamp: 1, step: 0 });
    // an older point never replaces the latest value
    if (score !== null) await s.logMetric({ run_id: id, key: 'score', value: 99, timestamp: 0, step: -1 });
    const group = i % 2 ? 'a' : 'b';
    await s.logParam({ run_id: id, key: 'group', value: group });
    runs.push({ id, score, group, start });
  }
  const o = ((await s.createRun({ experiment_id: other }, 'u')).run as any).info.run_id;
  await s.logMetric({ run_id: o, key: 'score', value: 5, timestamp: 1, step: 0 });
});
afterAll(async () => {
  await m?.close();
});

function expected(list: R[], asc: boolean): string[] {
  const rank = (r: R) => (r.score === null ? 2 : Number.isNaN(r.score) ? 1 : 0);
  return [...list]
    .sort(
      (x, y) =>
        rank(x) - rank(y) ||
        (rank(x) === 0 ? (asc ? x.score! - y.score! : y.score! - x.score!) : 0) ||
        y.start - x.start ||
        (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
    )
    .map((r) => r.id);
}

async function all(args: Record<string, unknown>, pageSize: number): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const res = (await s.searchRuns({ ...args, max_results: pageSize, page_token: token })) as any;
    out.push(...res.runs.map((r: any) => r.info.run_id));
    token = res.next_page_token;
    if (!token) break;
  }
  return out;
}

describe('search_runs ordered by a metric', () => {
  it('pages through values, then NaN, then missing, in MLflow order', async () => {
    for (const asc of [false, true])
      for (const size of [1, 3, 7, 100])
        expect(await all({ experiment_ids: [exp], order_by: [`metrics.score ${asc ? 'ASC' : 'DESC'}`] }, size)).toEqual(
          expected(runs, asc),
        );
  });

  it('applies filters on the ordering metric and on other entities', async () => {
    const got = await all(
      { experiment_ids: [exp], filter: "metrics.score >= 4 and params.group = 'a'", order_by: ['metrics.score DESC'] },
      4,
    );
    expect(got).toEqual(
      expected(
        runs.filter((r) => r.score !== null && r.score >= 4 && r.group === 'a'),
        false,
      ),
    );
    expect(got.length).toBeGreaterThan(3);
  });

  it('searches several experiments at once', async () => {
    const res = (await s.searchRuns({ experiment_ids: [exp, other], order_by: ['metrics.score DESC'] })) as any;
    expect(res.runs).toHaveLength(41);
  });
});
