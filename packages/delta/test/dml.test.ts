import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deleteFromTable, mergeIntoTable, updateTable } from '../src/dml.js';
import { sqlString, withConnection } from '../src/duckdb.js';
import { readCommit } from '../src/log.js';
import { readRows } from '../src/scan.js';
import { DeltaTable } from '../src/table.js';
import { writeToTable } from '../src/write.js';
import { expectError, tableDir } from './support.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/delta-golden');

const loc = tableDir('lakebox-dml-test-');

type Row = Record<string, unknown>;
const norm = (rs: Row[]): string[] =>
  rs.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).sort();

async function rows(t: string): Promise<Row[]> {
  return readRows(await (await DeltaTable.open(t)).snapshot());
}

async function commitInfo(t: string, version: number): Promise<Record<string, unknown>> {
  const c = await readCommit((await DeltaTable.open(t)).store, version);
  return c.find((a) => a.commitInfo)!.commitInfo!;
}

async function people(name: string): Promise<string> {
  const t = loc(name);
  await writeToTable(
    t,
    {
      sql: `SELECT i::BIGINT AS id, 'name' || i AS name, (i % 3)::INTEGER AS grp, i * 10 AS score FROM range(12) t(i)`,
    },
    { partitionBy: ['grp'] },
  );
  return t;
}

describe('DELETE', () => {
  it('rewrites only files holding matching rows and reports Spark metrics', async () => {
    const t = await people('del');
    const before = await (await DeltaTable.open(t)).snapshot();
    const r = await deleteFromTable(t, 'score >= 50 AND grp = 1');
    // grp=1 holds ids 1,4,7,10 -> 7 and 10 deleted, 1 and 4 copied; only that partition's file is touched
    expect(r.metrics).toMatchObject({ numDeletedRows: 2, numCopiedRows: 2, numRemovedFiles: 1, numAddedFiles: 1 });
    const after = await (await DeltaTable.open(t)).snapshot();
    const untouched = before.activeFiles().filter((a) => !a.path.startsWith('grp=1/'));
    for (const a of untouched) expect(after.activeFiles().map((x) => x.path)).toContain(a.path);
    expect((await rows(t)).map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 11]);
    const info = await commitInfo(t, r.version);
    expect(info.operation).toBe('DELETE');
    expect(info.operationParameters).toEqual({ predicate: '["score >= 50 AND grp = 1"]' });
    expect(info.operationMetrics).toMatchObject({ numDeletedRows: '2', numCopiedRows: '2' });
  });

  it('drops whole files for a partition-only condition and accepts structured predicates', async () => {
    const t = await people('del-part');
    const r = await deleteFromTable(t, 'grp = 2');
    expect(r.metrics).toMatchObject({ numDeletedRows: 4, numCopiedRows: 0, numRemovedFiles: 1, numAddedFiles: 0 });
    const r2 = await deleteFromTable(t, { op: 'in', column: 'id', values: [0, 1] });
    expect(r2.metrics.numDeletedRows).toBe(2);
    expect((await rows(t)).map((x) => Number(x.id)).sort((a, b) => a - b)).toEqual([3, 4, 6, 7, 9, 10]);
    // a condition matching nothing commits nothing
    const v = await (await DeltaTable.open(t)).version();
    expect((await deleteFromTable(t, 'id > 1000')).version).toBe(v);
    const all = await deleteFromTable(t);
    expect(all.metrics.numDeletedRows).toBe(6);
    expect(await rows(t)).toEqual([]);
  });
});

describe('bad input', () => {
  it('reports SQL mistakes in conditions and expressions with Spark error classes, changing nothing', async () => {
    const t = await people('bad');
    const v = await (await DeltaTable.open(t)).version();
    const e = await expectError(deleteFromTable(t, 'no_such_col > 1'), 'UNRESOLVED_COLUMN.WITH_SUGGESTION');
    expect(e.message).toContain('no_such_col');
    await expectError(updateTable(t, { score: "'abc'" }, 'id = 1'), 'CAST_INVALID_INPUT');
    await expectError(updateTable(t, { nope: '1' }), 'UNRESOLVED_COLUMN.WITH_SUGGESTION');
    await expectError(deleteFromTable(t, 'id >'), 'PARSE_SYNTAX_ERROR');
    expect(await (await DeltaTable.open(t)).version()).toBe(v);
  });
});

describe('UPDATE', () => {
  it('updates matching rows, including a partition column, and keeps the rest', async () => {
    const t = await people('upd');
    const r = await updateTable(t, { score: 'score + 1', grp: '5' }, 'id IN (1, 2)');
    expect(r.metrics).toMatchObject({ numUpdatedRows: 2, numCopiedRows: 6, numRemovedFiles: 2 });
    const got = await rows(t);
    expect(
      got
        .filter((x) => Number(x.id) <= 2)
        .map((x) => [Number(x.id), x.grp, Number(x.score)])
        .sort(),
    ).toEqual([
      [0, 0, 0],
      [1, 5, 11],
      [2, 5, 21],
    ]);
    expect(got).toHaveLength(12);
    const snap = await (await DeltaTable.open(t)).snapshot();
    expect(snap.activeFiles().some((a) => a.partitionValues.grp === '5')).toBe(true);
  });

  it('enforces constraints and writes nothing when an update violates one', async () => {
    const t = await people('upd-check');
    const table = await DeltaTable.open(t);
    const txn = await table.startTransaction();
    txn.updateMetadata({
      ...txn.readSnapshot.metadata,
      configuration: { 'delta.constraints.score_small': 'score < 1000' },
    });
    await txn.commit({ operation: 'ADD CONSTRAINT' });
    const v = await table.version();
    const e = await expectError(
      updateTable(t, { score: 'score * 1000' }, 'id = 3'),
      'DELTA_VIOLATE_CONSTRAINT_WITH_VALUES',
    );
    expect(e.message).toContain('score_small');
    expect(e.message).toContain('score : 30000');
    expect(await table.version()).toBe(v);
    const referenced = new Set((await table.snapshot()).activeFiles().map((a) => decodeURIComponent(a.path)));
    const onDisk = (await table.store.list('')).filter((o) => !o.path.startsWith('_delta_log/')).map((o) => o.path);
    expect(onDisk.filter((p) => !referenced.has(p))).toEqual([]);
  });
});

describe('MERGE', () => {
  it('applies matched / not matched / not matched by source clauses in order', async () => {
    const t = await people('merge');
    const source = `SELECT * FROM (VALUES (1, 'one', 0), (2, 'two', 1), (3, 'three', 2), (100, 'hundred', 0), (101, 'skip', 0)) v(id, name, flag)`;
    const r = await mergeIntoTable(
      t,
      { sql: source },
      't.id = s.id',
      [
        { when: 'matched', condition: 's.flag = 1', action: 'delete' },
        { when: 'matched', action: 'update', set: { name: 's.name', score: 't.score + 1' } },
        {
          when: 'notMatched',
          condition: "s.name <> 'skip'",
          action: 'insert',
          values: { id: 's.id', name: 's.name', grp: '0', score: '-1' },
        },
        { when: 'notMatchedBySource', condition: 't.id >= 10', action: 'update', set: { name: "'stale'" } },
      ],
      { sourceAlias: 's', targetAlias: 't' },
    );
    expect(r.metrics).toMatchObject({
      numSourceRows: 5,
      numTargetRowsInserted: 1,
      numTargetRowsMatchedUpdated: 2,
      numTargetRowsMatchedDeleted: 1,
      numTargetRowsNotMatchedBySourceUpdated: 2,
      numTargetRowsUpdated: 4,
      numTargetRowsDeleted: 1,
    });
    const got = new Map((await rows(t)).map((x) => [Number(x.id), x]));
    expect(got.has(2)).toBe(false);
    expect(got.get(1)).toMatchObject({ name: 'one', score: 11n });
    expect(got.get(3)).toMatchObject({ name: 'three', score: 31n });
    expect(got.get(100)).toMatchObject({ name: 'hundred', grp: 0, score: -1n });
    expect(got.has(101)).toBe(false);
    expect(got.get(10)).toMatchObject({ name: 'stale' });
    expect(got.get(11)).toMatchObject({ name: 'stale' });
    expect(got.get(5)).toMatchObject({ name: 'name5' });
    expect(got.size).toBe(12);
    const info = await commitInfo(t, r.version);
    expect(info.operation).toBe('MERGE');
    expect(info.operationParameters).toMatchObject({ predicate: 't.id = s.id' });
    expect(JSON.parse((info.operationParameters as Record<string, string>).matchedPredicates!)).toEqual([
      { predicate: 's.flag = 1', actionType: 'delete' },
      { actionType: 'update' },
    ]);
  });

  it('upserts with UPDATE SET * / INSERT * and refuses ambiguous matches', async () => {
    const t = await people('upsert');
    await mergeIntoTable(
      t,
      { sql: `SELECT 5::BIGINT AS id, 'five' AS name, 2 AS grp, 55 AS score UNION ALL SELECT 50, 'fifty', 2, 500` },
      'target.id = source.id',
      [
        { when: 'matched', action: 'update', set: '*' },
        { when: 'notMatched', action: 'insert', values: '*' },
      ],
    );
    const got = new Map((await rows(t)).map((x) => [Number(x.id), x]));
    expect(got.get(5)).toEqual({ id: 5n, name: 'five', grp: 2, score: 55n });
    expect(got.get(50)).toEqual({ id: 50n, name: 'fifty', grp: 2, score: 500n });
    const v = await (await DeltaTable.open(t)).version();
    await expectError(
      mergeIntoTable(t, { sql: `SELECT 1 AS id UNION ALL SELECT 1` }, 'target.id = source.id', [
        { when: 'matched', action: 'delete' },
      ]),
      'DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE',
    );
    expect(await (await DeltaTable.open(t)).version()).toBe(v);
  });
});

describe('MERGE file pruning', () => {
  it('reads only the partitions the source reaches through a partition equality', async () => {
    const t = await people('merge-prune');
    const table = await DeltaTable.open(t);
    // Make another partition unreadable: a merge that touched it would fail.
    const other = (await table.snapshot()).activeFiles().find((a) => a.partitionValues.grp === '2')!;
    await fs.writeFile(path.join(t, decodeURIComponent(other.path)), 'not parquet');
    const r = await mergeIntoTable(
      t,
      { sql: `SELECT 3::BIGINT AS id, 0 AS grp, 'three' AS name UNION ALL SELECT 99, 0, 'new'` },
      'target.id = source.id AND target.grp = source.grp',
      [
        { when: 'matched', action: 'update', set: { name: 'source.name' } },
        {
          when: 'notMatched',
          action: 'insert',
          values: { id: 'source.id', grp: 'source.grp', name: 'source.name', score: '0' },
        },
      ],
    );
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 1, numTargetFilesRemoved: 1 });
    const grp0 = await readRows(await table.snapshot(), { filter: { op: '=', column: 'grp', value: 0 } });
    expect(grp0.map((x) => `${Number(x.id)}:${String(x.name)}`).sort()).toEqual([
      '0:name0',
      '3:three',
      '6:name6',
      '99:new',
      '9:name9',
    ]);
  });
});

describe('MERGE with schema evolution', () => {
  it('adds source columns to the table with mergeSchema and UPDATE SET * / INSERT *', async () => {
    const t = await people('merge-evolve');
    const source = `SELECT 1::BIGINT AS id, 'uno' AS name, 1 AS grp, 11::BIGINT AS score, 'gold' AS tier UNION ALL SELECT 77, 'new', 0, 0, 'silver'`;
    const clauses = [
      { when: 'matched', action: 'update', set: '*' },
      { when: 'notMatched', action: 'insert', values: '*' },
    ] as const;
    // without mergeSchema the extra source column is ignored
    const v = await (await DeltaTable.open(t)).version();
    await mergeIntoTable(t, { sql: source }, 'target.id = source.id', [...clauses]);
    expect((await (await DeltaTable.open(t)).snapshot()).schema.fields.map((f) => f.name)).toEqual([
      'id',
      'name',
      'grp',
      'score',
    ]);
    expect(await (await DeltaTable.open(t)).version()).toBe(v + 1);
    await mergeIntoTable(t, { sql: source }, 'target.id = source.id', [...clauses], { mergeSchema: true });
    const snap = await (await DeltaTable.open(t)).snapshot();
    expect(snap.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'grp', 'score', 'tier']);
    const got = new Map((await rows(t)).map((x) => [Number(x.id), x]));
    expect(got.get(1)).toEqual({ id: 1n, name: 'uno', grp: 1, score: 11n, tier: 'gold' });
    expect(got.get(77)).toEqual({ id: 77n, name: 'new', grp: 0, score: 0n, tier: 'silver' });
    expect(got.get(4)).toEqual({ id: 4n, name: 'name4', grp: 1, score: 40n, tier: null });
    expect(got.size).toBe(13);
  });
});

describe('DML on a table with deletion vectors written by Spark', () => {
  it('reads DV-filtered rows, rewrites those files and keeps the result consistent', async () => {
    const src = path.join(GOLDEN, 'dv-partitioned-with-checkpoint');
    const t = loc('dv');
    await fs.cp(path.join(src, 'delta'), t, { recursive: true });
    const expected: Row[] = await withConnection(
      async (c) =>
        (
          await c.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path.join(src, 'expected', '*.parquet'))})`)
        ).getRowObjectsJS() as Row[],
    );
    expect(norm(await rows(t))).toEqual(norm(expected));
    const snap = await (await DeltaTable.open(t)).snapshot();
    expect(snap.activeFiles().some((a) => a.deletionVector)).toBe(true);

    const r = await deleteFromTable(t, 'col1 % 2 = 0');
    const keep = expected.filter((x) => Number(x.col1) % 2 !== 0);
    expect(r.metrics.numDeletedRows).toBe(expected.length - keep.length);
    expect(norm(await rows(t))).toEqual(norm(keep));

    await updateTable(t, { col2: "col2 || '!'" }, 'part = 3');
    const updated = keep.map((x) => (Number(x.part) === 3 ? { ...x, col2: `${String(x.col2)}!` } : x));
    expect(norm(await rows(t))).toEqual(norm(updated));
    // the rewritten files no longer carry deletion vectors
    const after = await (await DeltaTable.open(t)).snapshot();
    for (const a of after.activeFiles()) if (a.path.startsWith('part=3/')) expect(a.deletionVector ?? null).toBeNull();
  });
});

describe('change data feed', () => {
  it('writes _change_data files for rewritten rows when delta.enableChangeDataFeed is set', async () => {
    const t = loc('cdf');
    await writeToTable(
      t,
      { sql: `SELECT i::BIGINT AS id, (i % 2)::INTEGER AS p, 'v' || i AS v FROM range(6) t(i)` },
      { partitionBy: ['p'], configuration: { 'delta.enableChangeDataFeed': 'true' } },
    );
    const table = await DeltaTable.open(t);
    const cdcRows = async (version: number): Promise<string[]> => {
      const commit = await readCommit(table.store, version);
      const files = commit.filter((a) => a.cdc).map((a) => a.cdc!);
      expect(files.every((f) => f.path.startsWith('_change_data/') && f.dataChange === false)).toBe(true);
      return withConnection(async (c) => {
        const list = files.map((f) => sqlString(path.join(t, decodeURIComponent(f.path)))).join(', ');
        const r = await c.runAndReadAll(
          `SELECT id, v, _change_type FROM read_parquet([${list}]) ORDER BY id, _change_type`,
        );
        return r.getRowObjectsJson().map((o) => `${String(o.id)}:${String(o.v)}:${String(o._change_type)}`);
      });
    };
    const u = await updateTable(t, { v: "'new'" }, 'id = 2');
    expect(u.metrics.numAddedChangeFiles).toBeGreaterThan(0);
    expect(await cdcRows(u.version)).toEqual(['2:new:update_postimage', '2:v2:update_preimage']);
    const d = await deleteFromTable(t, 'id = 3');
    expect(await cdcRows(d.version)).toEqual(['3:v3:delete']);
    const m = await mergeIntoTable(
      t,
      { sql: `SELECT 4::BIGINT AS id, 0 AS p, 'm' AS v UNION ALL SELECT 9, 1, 'ins'` },
      'target.id = source.id',
      [
        { when: 'matched', action: 'update', set: '*' },
        { when: 'notMatched', action: 'insert', values: '*' },
      ],
    );
    expect(await cdcRows(m.version)).toEqual(['4:m:update_postimage', '4:v4:update_preimage', '9:ins:insert']);
    const snap = await table.snapshot();
    const p = snap.protocol;
    expect(p.minWriterVersion >= 7 ? p.writerFeatures : ['changeDataFeed']).toContain('changeDataFeed');
    expect(p.minWriterVersion).toBeGreaterThanOrEqual(4);
    expect((await rows(t)).map((x) => `${Number(x.id)}:${String(x.v)}`).sort()).toEqual([
      '0:v0',
      '1:v1',
      '2:new',
      '4:m',
      '5:v5',
      '9:ins',
    ]);
  });
});
