import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../../../tests/support/lakebox.js';
import { venvPython } from '../../../tests/support/python.js';
import { REPO_ROOT } from '../../../tests/support/repo.js';

// Python UDFs through the real PySpark client (tests/peers/connect_udf_client.py) against
// `lakebox start`, whose Spark Connect server runs them in its Python worker (LAKEBOX_PYTHON).

const run = promisify(execFile);
let lb: RunningLakebox;

beforeAll(async () => {
  lb = await startLakebox({ sparkConnect: true, prefix: 'lakebox-udf-', env: { LAKEBOX_PYTHON: venvPython() } });
}, 60_000);

afterAll(async () => {
  await lb?.stop();
});

describe('Python UDFs over Spark Connect', () => {
  it('runs udf, pandas_udf, mapInPandas, mapInArrow, applyInPandas, registered UDFs and UDTFs', async () => {
    const { stdout } = await run(
      venvPython(),
      [
        path.join(REPO_ROOT, 'tests', 'peers', 'connect_udf_client.py'),
        `sc://localhost:${lb.sparkConnectPort}/;token=${lb.token}`,
      ],
      { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.batched).toEqual([
      [1, 'ANN!', 2],
      [2, 'BOB!', 3],
      [3, null, 4],
      [4, 'DEE!', 5],
    ]);
    expect(out.batched_columns).toEqual(['shout(name)']);
    expect(out.with_column).toEqual([
      [1, 'ANN!'],
      [2, 'BOB!'],
      [3, null],
      [4, 'DEE!'],
    ]);
    expect(out.filter).toEqual([[2], [4]]);
    expect(out.nested).toEqual([[3], [4], [5], [6]]);
    expect(out.names).toEqual(['<lambda>(<lambda>(id))', 'sum(<lambda>(id))']);
    expect(out.array).toEqual([[['a', 'n', 'n']]]);
    expect(out.mismatch).toEqual([[null]]);
    expect(out.pandas_scalar).toEqual([
      [1, 20],
      [2, null],
      [3, 60],
      [4, 80],
    ]);
    // keyword arguments (f(b=..., a=...)) for row-at-a-time and pandas UDFs
    expect(out.kwargs).toEqual([[-36], [-27], [-18], [-9]]);
    expect(out.kwargs_columns).toEqual(['<lambda>(b => (id * 10), a => id)']);
    expect(out.kwargs_agg).toEqual([
      [1, 5 / 3],
      [2, 134 / 18],
    ]);
    expect(out.pandas_iter).toEqual([[11], [12], [13], [14]]);
    expect(out.arrow_udf).toEqual([[3], [6], [9], [12]]);
    expect(out.order_by_udf).toEqual([[4], [3], [2], [1]]);
    expect(out.grouped_agg).toEqual([
      [1, 1.5],
      [2, 6],
    ]);
    expect(out.global_agg).toEqual([[4.2]]);
    expect(out.window_partition).toEqual([
      [1, 1, 1.5],
      [1, 2, 1.5],
      [2, 3, 6],
      [2, 5, 6],
      [2, 10, 6],
    ]);
    expect(out.window_rows).toEqual([
      [1, 1, 1],
      [1, 2, 1.5],
      [2, 3, 3],
      [2, 5, 4],
      [2, 10, 7.5],
    ]);
    expect(out.window_range.message).toContain('SQL_WINDOW_AGG_PANDAS_UDF');
    expect(out.map_in_pandas).toEqual([
      [1, 2, 20],
      [2, 3, 30],
      [2, 5, 50],
      [2, 10, 100],
    ]);
    expect(out.map_in_arrow).toEqual([[2], [4], [6], [10], [20]]);
    expect(out.apply_in_pandas).toEqual([
      [1, -0.5],
      [1, 0.5],
      [2, -3],
      [2, -1],
      [2, 4],
    ]);
    expect(out.apply_in_pandas_key).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(out.apply_in_arrow).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(out.cogroup).toEqual([
      [0, 1],
      [2, 0],
      [3, 1],
    ]);
    expect(out.null_keys).toEqual([
      [null, 2],
      [1, 1],
    ]);
    expect(out.aliased_key).toEqual([
      [0, 6],
      [1, 1.5],
    ]);
    expect(out.registered).toEqual([
      [1, 3],
      [2, 3],
      [3, null],
      [4, 3],
    ]);
    expect(out.registered_call).toEqual([[4]]);
    // ... and in spark.sql's select list
    expect(out.sql_registered).toEqual([
      [1, 4, 5],
      [2, 4, 5],
      [3, null, null],
    ]);
    expect(out.sql_registered_columns).toEqual(['name_len(name)']);
    expect(out.sql_no_from).toEqual([[[5]], ['name_len(abcde)']]);
    expect(out.sql_registered_group.message).toContain('registered Python UDFs in SQL other than');
    expect(out.struct).toEqual([[[20, 'bob']]]);
    // a UDF that raises: PythonException with the Python traceback, not a server stack trace
    expect(out.error.type).toBe('PythonException');
    expect(out.error.message).toContain('ValueError: boom at 1');
    expect(out.error.message).toContain('Traceback');
    expect(out.error.message).not.toMatch(/udf\.ts|node:internal/);
    // the server and the session survive; another session has its own worker
    expect(out.after_error).toEqual([[2], [3]]);
    expect(out.interrupt).toMatchObject({ alive: false, error: expect.stringContaining('OPERATION_CANCELED') });
    expect(out.after_interrupt).toEqual([[2]]);
    expect(out.other_session).toEqual([[0], [100], [200]]);
    // Python UDTFs
    expect(out.udtf).toEqual([
      [1, 1],
      [2, 4],
      [3, 9],
      [null, -1],
    ]);
    expect(out.udtf_sql).toEqual([[16], [9], [4]]);
    expect(out.udtf_lateral).toEqual([
      [0, 1, 0, 1],
      [1, 2, 1, 2],
    ]);
    expect(out.udtf_lateral_join.type).toBe('UnsupportedOperationException');
    expect(out.udtf_lateral_join.message).toContain('lateral Python UDTF calls other than');
    expect(out.foreach).toEqual([null, null]);
    expect(out.udtf_error.type).toBe('PythonException');
    expect(out.udtf_error.message).toContain('ZeroDivisionError');
  }, 240_000);

  it('lets only administrators run Python UDFs by default (LAKEBOX_PYTHON_UDFS)', async () => {
    // a non-admin principal: a service principal with a token issued on its behalf
    const sp = await lb.api('POST', '/api/2.0/preview/scim/v2/ServicePrincipals', { displayName: 'udf user' });
    const obo = await lb.api('POST', '/api/2.0/token-management/on-behalf-of/tokens', {
      application_id: sp.applicationId,
      lifetime_seconds: 600,
    });
    const program = [
      'import json, sys',
      'from pyspark.sql import SparkSession, functions as F',
      'spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()',
      'out = {"plain": spark.range(2).selectExpr("sum(id)").collect()[0][0]}',
      'try:',
      '    spark.range(2).select(F.udf(lambda x: x, "long")("id")).collect()',
      'except Exception as e:',
      '    out["error"] = type(e).__name__ + ": " + str(e)',
      'print(json.dumps(out))',
    ].join('\n');
    const { stdout } = await run(
      venvPython(),
      ['-c', program, `sc://localhost:${lb.sparkConnectPort}/;token=${obo.token_value}`],
      { timeout: 120_000 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.plain).toBe(1);
    expect(out.error).toContain('PERMISSION_DENIED');
    expect(out.error).toContain('only administrators may run them');
  }, 180_000);
});
