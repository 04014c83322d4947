import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../tests/support/ports.js';
import { venvPython } from '../../../tests/support/python.js';
import { REPO_ROOT } from '../../../tests/support/repo.js';

// The real `lakebox start` (free ports, temp data dir) and the real PySpark Spark Connect client
// (pyspark 4.0.1, tests/peers/connect_client.py): config, spark.sql with arguments, DDL/DML,
// DataFrame operations compiled to SQL, createDataFrame from pandas, joins, show(), toPandas(),
// saveAsTable, and Spark's exception classes for errors.

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../cli/bin/lakebox.js', import.meta.url));
let child: ChildProcess | undefined;
let dir: string;
let scPort: number;
let token: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-connect-'));
  const httpPort = await freePort();
  scPort = await freePort();
  const args = ['start', '--port', String(httpPort), '--spark-connect-port', String(scPort)];
  child = spawn(process.execPath, [bin, ...args, '--data', path.join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('"service":"spark-connect"')) resolve();
    };
    child!.stdout!.on('data', check);
    child!.once('exit', (code) => reject(new Error(`lakebox start exited with ${code}:\n${out}`)));
  });
  token = /lbx_[0-9a-f]{64}/.exec(out)![0];
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('PySpark (Spark Connect) against lakebox start', () => {
  it('runs SQL and DataFrame programs with Spark semantics and errors', async () => {
    // PySpark sends a token over a plaintext channel only to "localhost" (local credentials).
    const { stdout } = await run(
      venvPython(),
      [path.join(REPO_ROOT, 'tests', 'peers', 'connect_client.py'), `sc://localhost:${scPort}/;token=${token}`],
      { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.version).toBe('4.0.1');
    expect([out.conf_tz, out.conf_ansi, out.conf_set, out.conf_default]).toEqual(['UTC', 'true', 'x', 'fallback']);
    expect(out.sql).toEqual([[1, 'a', 2.5]]);
    expect(out.sql_args).toEqual([[42]]);
    expect(out.decimal).toEqual([['12.34', null]]);
    expect(out.decimal_types).toEqual(['decimal(10,2)', 'decimal(5,1)']);
    expect(out.nested).toEqual([[[1, 2, null], { x: 1, y: 'b' }, { k: 1.5 }]]);
    expect(out.nested_types).toEqual(['array<int>', 'struct<x:int,y:string>', 'map<string,double>']);
    expect(out.range).toEqual([[0], [2], [4]]);
    expect(out.schema).toEqual([
      ['id', 'bigint'],
      ['name', 'string'],
      ['dept', 'string'],
      ['salary', 'double'],
    ]);
    expect(out.filter_select).toEqual([
      ['ann', 200],
      ['bob', 160],
    ]);
    expect(out.group_agg).toEqual([
      ['ops', 2, 70, 'dee'],
      ['eng', 2, 180, 'bob'],
    ]);
    expect(out.group_agg_columns).toEqual(['dept', 'max(name)']);
    expect(out.join).toEqual([
      ['ann', 3],
      ['bob', 3],
      ['cid', 1],
      ['dee', 1],
    ]);
    expect(out.join_cond).toEqual([
      ['dee', 1],
      ['cid', 1],
      ['bob', 3],
      ['ann', 3],
    ]);
    expect(out.with_columns).toEqual([
      [1, 'ann', 100, 'ANN'],
      [2, 'bob', 80, 'BOB'],
    ]);
    expect(out.offset).toEqual([[4, 'dee', 'ops', null]]);
    expect(out.pandas).toEqual([
      [1, 'ann'],
      [2, 'bob'],
      [3, 'cid'],
      [4, 'dee'],
    ]);
    expect(out.show).toBe(
      [
        '+---+----+----+------+',
        '| id|name|dept|salary|',
        '+---+----+----+------+',
        '|  1| ann| eng| 100.0|',
        '|  2| bob| eng|  80.0|',
        '|  3| cid| ops|  70.0|',
        '|  4| dee| ops|  NULL|',
        '+---+----+----+------+',
        '',
      ].join('\n'),
    );
    expect(out.when_isin).toEqual([
      ['ann', 'some'],
      ['dee', 'none'],
    ]);
    expect(out.count).toBe(4);
    expect(out.first).toEqual([1, 'ann', 'eng', 100]);
    expect(out.renamed).toEqual(['who']);
    expect(out.distinct).toEqual([['eng'], ['ops']]);
    expect(out.union).toEqual([[1], [4]]);
    expect(out.tree).toBe(
      'root\n |-- id: long (nullable = true)\n |-- name: string (nullable = true)\n' +
        ' |-- dept: string (nullable = true)\n |-- salary: double (nullable = true)\n',
    );
    expect(out.explain_has_sql).toBe(true);
    expect(out.parquet).toEqual([
      [2, 'y'],
      [3, 'z'],
    ]);
    expect(out.expr).toEqual([[10], [20]]);
    expect(out.window).toEqual([
      ['ann', 1],
      ['bob', 2],
      ['cid', 1],
      ['dee', 2],
    ]);
    expect(out.window_frame).toEqual([
      [1, 100],
      [2, 180],
      [3, 250],
      [4, 250],
    ]);
    expect(out.view_sql).toEqual([
      ['ann', 3],
      ['bob', 3],
    ]);
    expect(out.view_table).toBe(2);
    expect(out.view_exists).toMatchObject({
      type: 'AnalysisException',
      error_class: 'TEMP_TABLE_OR_VIEW_ALREADY_EXISTS',
    });
    expect(out.saved).toEqual([
      ['eng', 3],
      ['ops', 1],
    ]);
    expect(out.appended).toEqual([
      [5, 'eve'],
      [6, 'fay'],
    ]);
    expect(out.overwritten).toEqual([[7, 'gus']]);
    expect(out.err_exists).toMatchObject({ type: 'AnalysisException', error_class: 'TABLE_OR_VIEW_ALREADY_EXISTS' });
    expect(out.err_table).toMatchObject({ type: 'AnalysisException', error_class: 'TABLE_OR_VIEW_NOT_FOUND' });
    expect(out.err_parse).toMatchObject({ type: 'ParseException', error_class: 'PARSE_SYNTAX_ERROR' });
    expect(out.err_column).toMatchObject({
      type: 'AnalysisException',
      error_class: 'UNRESOLVED_COLUMN.WITH_SUGGESTION',
    });
    expect(out.err_unsupported).toMatchObject({
      type: 'UnsupportedOperationException',
      error_class: 'UNSUPPORTED_FEATURE',
    });
    expect(out.err_unsupported.message).toContain('relation transpose');
    // relations beyond projections
    expect(out.sample_same_seed).toBe(true);
    expect(out.random_split).toEqual([100, 0]);
    expect(out.tail).toEqual([[3], [4]]);
    expect(out.hint_repartition).toBe(4);
    expect(out.fillna).toEqual([
      [1, 100],
      [2, 80],
      [3, 70],
      [4, 0],
    ]);
    expect(out.fillna_str).toEqual([
      ['ann', 'dev'],
      ['bob', 'dev'],
      ['cid', 'ops'],
      ['dee', 'ops'],
    ]);
    expect([out.dropna, out.dropna_thresh]).toEqual([3, 3]);
    expect(out.describe).toEqual([
      ['count', '3'],
      ['mean', '83.33333333333333'],
      ['stddev', '15.275252316519465'],
      ['min', '70.0'],
      ['max', '100.0'],
    ]);
    expect(out.summary).toEqual(['count', 'mean', 'stddev', 'min', '25%', '50%', '75%', 'max']);
    expect(out.corr_cov).toEqual([-0.981981, -15]);
    expect(out.crosstab).toEqual([
      ['eng', 1, 0],
      ['ops', 0, 1],
    ]);
    expect(out.freq_items).toEqual(['eng', 'ops']);
    expect(out.approx_quantile).toEqual([
      [1, 4],
      [70, 100],
    ]);
    expect(out.sample_by).toBe(2);
    expect(out.unpivot).toEqual([
      [1, 'name', 'ann'],
      [1, 'dept', 'eng'],
    ]);
    expect(out.to_schema).toEqual([
      ['name', 'string'],
      ['id', 'string'],
    ]);
    expect(out.union_by_name).toEqual([
      [1, 'x', null],
      [2, null, 'y'],
    ]);
    expect(out.drop_duplicates_subset).toBe(2);
    expect(out.pivot).toEqual([
      ['eng', 100, null],
      ['ops', null, 70],
    ]);
    expect(out.show_vertical).toBe('-RECORD 0---\n id   | 1   \n name | ann \n');
    expect(out.nested_create).toEqual([[[1, 2, 3], { a: 1 }, { p: 5, q: 's' }]]);
    expect(out.lambdas).toEqual([[[2, 4, 6], [2, 3], 6, true, true, [2, 4, 6], { a: 1 }]]);
    expect(out.empty_with_schema).toEqual([
      ['a', 'int'],
      ['b', 'string'],
    ]);
    // spark.catalog
    expect(out.cat_current).toEqual(['main', 'default']);
    expect(out.cat_dbs).toBe(true);
    expect(out.cat_tables).toEqual(['dv', 'people', 'rich']);
    expect(out.cat_columns).toEqual(out.schema);
    expect(out.cat_exists).toEqual([true, false]);
    expect(out.cat_cached).toBe(false);
    expect(out.cat_drop_view).toEqual([true, false]);
    expect(out.cat_create).toEqual([['k', 'bigint']]);
    expect(out.cat_set_db).toBe('other');
    // writing by path and writeTo
    expect(out.path_counts).toEqual([4, 4, 4]);
    expect(out.delta_merge_schema).toEqual([5, ['dept', 'extra', 'id', 'name']]);
    expect(out.delta_replace_where).toEqual([
      [1, 'ANN'],
      [2, 'BOB'],
      [3, 'cid'],
      [4, 'dee'],
    ]);
    expect(out.write_to).toBe(5);
    expect(out.write_to_overwrite).toEqual([1, 1, 3, 4]);
    // several Arrow batches; Interrupt cancels the running query
    expect(out.batches).toEqual([25000, 624975000]);
    expect(out.batch_count).toBe(25);
    expect(out.interrupted_ids).toBe(1);
    expect(out.interrupt).toMatchObject({ alive: false, error: expect.stringContaining('OPERATION_CANCELED') });
    expect(out.after_errors).toEqual([[2]]);
    expect(out.err_token).toMatchObject({ error_class: 'UNAUTHENTICATED' });
  }, 200_000);
});
