/**
 * Read compatibility with the Delta golden tables (../shared/fixtures/delta-golden, read-only):
 * each table behaves as MANIFEST.json says. Rows are compared with `expected/` as multisets, with
 * timestamps compared as UTC instants at microsecond precision.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { withConnection, sqlIdent, sqlString } from '../src/duckdb.js';
import { readHistory } from '../src/history.js';
import { listLog } from '../src/log.js';
import { pruneFiles, type Predicate } from '../src/predicate.js';
import { readRows, scanSql } from '../src/scan.js';
import { loadSnapshot, tableStore } from '../src/snapshot.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLDEN = path.resolve(repo, '../shared/fixtures/delta-golden');

interface Entry {
  expect: 'match' | 'error';
  why?: string;
  note?: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'MANIFEST.json'), 'utf8')) as Record<string, Entry>;

/** Expected error code and a word its message must contain, per error table. */
const ERRORS: Record<string, { code: string; mentions: RegExp }> = {
  'deltalog-invalid-protocol-version': { code: 'DELTA_INVALID_PROTOCOL_VERSION', mentions: /reader version 99/ },
  'deltalog-state-reconstruction-from-checkpoint-missing-metadata': {
    code: 'DELTA_STATE_RECOVER_ERROR',
    mentions: /metaData/,
  },
  'deltalog-state-reconstruction-from-checkpoint-missing-protocol': {
    code: 'DELTA_STATE_RECOVER_ERROR',
    mentions: /protocol/,
  },
  'deltalog-state-reconstruction-without-metadata': { code: 'DELTA_STATE_RECOVER_ERROR', mentions: /metaData/ },
  'no-delta-log-folder': { code: 'DELTA_MISSING_DELTA_TABLE', mentions: /not a Delta table/ },
};

/** Canonical rows of a query: one JSON text per row, timestamps as epoch microseconds, sorted. */
async function canonicalRows(sql: string): Promise<{ columns: string[]; rows: string[] }> {
  return withConnection(async (conn) => {
    await conn.run(`SET TimeZone = 'UTC'`);
    const d = await conn.runAndReadAll(`DESCRIBE ${sql}`);
    const cols = d.getRowObjectsJson().map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
    const exprs = cols.map((c) =>
      /^TIMESTAMP/.test(c.type)
        ? `CAST(epoch_us(${sqlIdent(c.name)}) AS VARCHAR)`
        : `CAST(${sqlIdent(c.name)} AS VARCHAR)`,
    );
    const sorted = [...cols].sort((a, b) => (a.name < b.name ? -1 : 1));
    const order = sorted.map((c) => exprs[cols.indexOf(c)]!);
    const r = await conn.runAndReadAll(`SELECT to_json([${order.join(', ')}]::VARCHAR[]) AS j FROM (${sql}) AS q`);
    const rows = r.getRowObjectsJson().map((x) => String(x['j']));
    rows.sort();
    return { columns: sorted.map((c) => c.name), rows };
  });
}

const tables = Object.keys(manifest).sort();

/** Live files expected after log replay for the tables without expected/ rows (checked by hand). */
const LIVE_FILES: Record<string, string[]> = {
  // add and remove of one file written in different path forms (/x, file:/x, file:///x, escapes)
  'canonicalized-paths-normal-a': [],
  'canonicalized-paths-normal-b': [],
  'canonicalized-paths-special-a': [],
  'canonicalized-paths-special-b': [],
  // removed in version 1, re-added in version 2 with a new modification time
  'delete-re-add-same-file-different-transactions': ['foo@1700000000000', 'bar@1697064972263'],
};

describe('delta golden tables', () => {
  it('the fixtures are present', () => {
    expect(tables.length).toBeGreaterThan(50);
  });

  for (const name of tables) {
    const entry = manifest[name]!;
    const dir = path.join(GOLDEN, name);
    const store = tableStore(path.join(dir, 'delta'));
    const hasExpected = fs.existsSync(path.join(dir, 'expected'));

    if (entry.expect === 'error') {
      it(`${name}: fails with a typed error (${entry.why})`, async () => {
        const want = ERRORS[name];
        expect(want, `no expected error recorded for ${name}`).toBeDefined();
        let err: unknown;
        try {
          const s = await loadSnapshot(store);
          await scanSql(s);
        } catch (e) {
          err = e;
        }
        expect(isLakeboxError(err), `expected a LakeboxError, got ${String(err)}`).toBe(true);
        expect((err as { code: string }).code).toBe(want!.code);
        expect((err as Error).message).toMatch(want!.mentions);
      });
      continue;
    }

    if (name === 'data-reader-partition-values') {
      // The `as_timestamp` partition value is stored without a zone ('2021-09-08 11:11:11'): a
      // wall-clock time of the writer, whose zone the log does not record. The expected/ rows come
      // from a writer in America/Los_Angeles; read in that zone (like Spark with that session
      // time zone) the table matches exactly. By default such values are read as UTC.
      it(`${name}: equals expected/ when zone-less timestamp partitions are read in the writer's zone`, async () => {
        const snapshot = await loadSnapshot(store);
        const expectedGlob = sqlString(path.join(dir, 'expected', '*.parquet'));
        const expected = await canonicalRows(`SELECT * FROM read_parquet(${expectedGlob})`);
        const actual = await canonicalRows(await scanSql(snapshot, { timeZone: 'America/Los_Angeles' }));
        expect(actual.columns).toEqual(expected.columns);
        expect(actual.rows).toEqual(expected.rows);
        const utc = await scanSql(snapshot);
        const ts = await canonicalRows(`SELECT as_timestamp FROM (${utc}) WHERE as_timestamp IS NOT NULL`);
        const micros = `["${Date.UTC(2021, 8, 8, 11, 11, 11) * 1000}"]`;
        expect(ts.rows).toEqual([micros, micros]);
        // pruning agrees with the zone the scan uses
        const at = (iso: string): Predicate => ({ op: '=', column: 'as_timestamp', value: new Date(iso) });
        expect(pruneFiles(snapshot, at('2021-09-08T18:11:11Z'), { timeZone: 'America/Los_Angeles' })).toHaveLength(2);
        expect(pruneFiles(snapshot, at('2021-09-08T18:11:11Z'))).toHaveLength(0);
        expect(pruneFiles(snapshot, at('2021-09-08T11:11:11Z'))).toHaveLength(2);
      });
      continue;
    }

    if (hasExpected) {
      it(`${name}: latest snapshot equals expected/`, async () => {
        const snapshot = await loadSnapshot(store);
        const actual = await canonicalRows(await scanSql(snapshot));
        const expectedGlob = path.join(dir, 'expected', '*.parquet');
        const expected = await canonicalRows(
          `SELECT * FROM read_parquet(${sqlString(expectedGlob)}, union_by_name = true)`,
        );
        expect(actual.columns).toEqual(expected.columns);
        expect(actual.rows.length).toBe(expected.rows.length);
        expect(actual.rows).toEqual(expected.rows);
      });
    } else {
      it(`${name}: snapshot loads; versions and history are consistent`, async () => {
        const listing = await listLog(store);
        const versions = [...listing.commits.keys()].sort((a, b) => a - b);
        const history = await readHistory(store);
        expect(history.map((h) => h.version)).toEqual([...versions].reverse());
        const snapshot = await loadSnapshot(store).catch((e: unknown) => e);
        if (name === 'data-reader-absolute-paths-escaped-chars' || name === 'deltalog-commit-info') {
          // These log-only fixtures have no (complete) metaData action, so no snapshot can be
          // built; the reader must say so with a typed error instead of inventing a schema.
          expect(isLakeboxError(snapshot)).toBe(true);
          return;
        }
        if (!(snapshot instanceof Object) || isLakeboxError(snapshot)) throw snapshot;
        const snap = snapshot as Awaited<ReturnType<typeof loadSnapshot>>;
        expect(snap.version).toBe(versions[versions.length - 1]);
        const live = LIVE_FILES[name];
        if (live) expect(snap.activeFiles().map((f) => `${f.path}@${f.modificationTime}`)).toEqual(live);
        else expect(snap.activeFiles().length).toBeGreaterThan(0);
      });
    }
  }
});

/**
 * Data skipping with the statistics Spark wrote: the one data file holds a single row with every
 * column equal to 0 (as_date 2000-01-01, as_timestamp 2000-01-01T08:00:00Z). Predicates that
 * contradict the stats must prune it; predicates it satisfies must keep it; the filtered rows
 * must be right either way.
 */
describe('data skipping on golden statistics', () => {
  const ts0 = new Date('2000-01-01T08:00:00Z');
  const cases: [Predicate, number][] = [
    [{ op: '=', column: 'as_int', value: 0 }, 1],
    [{ op: '=', column: 'as_int', value: 1 }, 0],
    [{ op: '>', column: 'as_long', value: 0 }, 0],
    [{ op: '>=', column: 'as_long', value: 0 }, 1],
    [{ op: '<', column: 'as_short', value: 0 }, 0],
    [{ op: '<=', column: 'as_byte', value: 0 }, 1],
    [{ op: '>', column: 'as_double', value: 0.5 }, 0],
    [{ op: '=', column: 'as_float', value: 0 }, 1],
    [{ op: '=', column: 'as_string', value: '1' }, 0],
    [{ op: 'in', column: 'as_string', values: ['x', '0'] }, 1],
    [{ op: 'in', column: 'as_string', values: ['x', 'y'] }, 0],
    [{ op: '>', column: 'as_date', value: '2000-01-01' }, 0],
    [{ op: '=', column: 'as_date', value: '2000-01-01' }, 1],
    [{ op: '<', column: 'as_timestamp', value: ts0 }, 0],
    [{ op: '=', column: 'as_timestamp', value: ts0 }, 1],
    [{ op: '>', column: 'as_timestamp', value: new Date('2000-01-01T08:00:01Z') }, 0],
    [{ op: '=', column: 'as_big_decimal', value: 1 }, 0],
    [{ op: 'isNull', column: 'as_int' }, 0],
    [{ op: 'isNotNull', column: 'as_int' }, 1],
    [
      {
        op: 'and',
        args: [
          { op: '=', column: 'as_int', value: 0 },
          { op: '=', column: 'as_long', value: 1 },
        ],
      },
      0,
    ],
    [
      {
        op: 'or',
        args: [
          { op: '=', column: 'as_int', value: 5 },
          { op: '=', column: 'as_long', value: 0 },
        ],
      },
      1,
    ],
    [{ op: 'not', arg: { op: '=', column: 'as_int', value: 0 } }, 0],
  ];
  for (const name of [
    'data-skipping-basic-stats-all-types',
    'data-skipping-basic-stats-all-types-checkpoint',
    'data-skipping-basic-stats-all-types-columnmapping-name',
    'data-skipping-basic-stats-all-types-columnmapping-id',
  ]) {
    it(`${name}: stats prune exactly the impossible predicates`, async () => {
      const snapshot = await loadSnapshot(tableStore(path.join(GOLDEN, name, 'delta')));
      expect(snapshot.activeFiles()).toHaveLength(1);
      for (const [pred, files] of cases) {
        expect(pruneFiles(snapshot, pred).length, JSON.stringify(pred)).toBe(files);
        expect((await readRows(snapshot, { filter: pred })).length, JSON.stringify(pred)).toBe(files);
      }
    });
  }
});
