import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../support/lakebox.js';
import { venvPython } from '../support/python.js';
import { REPO_ROOT, cacheDir } from '../support/repo.js';

// Apache Spark + delta-spark + the Unity Catalog Spark connector against a real `lakebox start`
// (tests/peers/uc_spark.py). The connector (io.unitycatalog:unitycatalog-spark_*) is not served by
// the Maven Central this project reaches, so this test runs only when LAKEBOX_UC_SPARK_JARS names
// the connector jar built elsewhere plus unitycatalog-client and jackson-databind-nullable
// (comma-separated paths); CI skips it. docs/compat/unity-catalog.md tells how the jar was built
// for the development run whose results this test checks.

const JARS = process.env.LAKEBOX_UC_SPARK_JARS ?? '';
// Delta Lake 4.1.0 for Spark 4.0 (4.0.1 passed the same development run)
const DELTA = 'io.delta:delta-spark_4.0_2.13:4.1.0';
const run = promisify(execFile);

let lb: RunningLakebox;
let work: string;
const sql = async (statement: string) => {
  const r = await lb.api('POST', '/api/2.0/sql/statements', { statement, wait_timeout: '50s' });
  return r as { status: { state: string; error?: { error_code: string } }; result?: { data_array?: unknown[][] } };
};

/** A GET with a JSON body, as Delta sends it to /delta/preview/commits (fetch() refuses that). */
function getWithBody(url: string, token: string, body: unknown): Promise<any> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': data.length,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += String(c)));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe.skipIf(!JARS)('Spark with the Unity Catalog connector against lakebox start', () => {
  beforeAll(async () => {
    lb = await startLakebox({ prefix: 'lakebox-uc-spark-' });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-uc-spark-ext-'));
  }, 60_000);
  afterAll(async () => {
    await lb?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists, reads and writes Lakebox tables through the Unity Catalog API with a Lakebox token', async () => {
    expect(
      (await sql('CREATE TABLE main.default.orders (id BIGINT, amount DECIMAL(10,2), name STRING) USING DELTA')).status
        .state,
    ).toBe('SUCCEEDED');
    await sql("INSERT INTO main.default.orders VALUES (1, 9.99, 'a'), (2, 5.00, NULL)");
    const ivy = process.env.LAKEBOX_IVY_DIR ?? cacheDir('ivy');
    const ext = pathToFileURL(path.join(work, 'ext')).href;
    const { stdout } = await run(
      venvPython(),
      [path.join(REPO_ROOT, 'tests', 'peers', 'uc_spark.py'), lb.base, lb.token, JARS, DELTA, ivy, ext],
      { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!);

    // Spark's side
    expect(out.namespaces).toEqual([['default']]);
    expect(out.tables).toEqual(['orders']);
    expect(out.read).toEqual([
      [1, '9.99', 'a'],
      [2, '5.00', null],
    ]);
    expect(out.read_after).toEqual([
      [1, 'a'],
      [2, null],
      [3, 'from spark sql'],
      [4, 'from a dataframe'],
    ]);
    for (const k of ['insert', 'create_external', 'insert_external', 'create_managed', 'insert_managed'])
      expect(out[k], k).toEqual([]);
    expect(out.read_managed).toEqual([
      [10, 'a'],
      [11, 'b'],
      [12, 'c'],
    ]);
    expect(out.ctas_managed).toEqual([]);
    expect(out.read_ctas).toEqual([[4, 4]]);
    expect(out.tables_after).toEqual(['orders', 'spark_ctas', 'spark_managed', 'spark_ext'].sort());

    // Lakebox's side: Spark's appends and the external table Spark made, read by Lakebox's engine
    expect((await sql('SELECT id, name FROM main.default.orders ORDER BY id')).result?.data_array).toEqual([
      ['1', 'a'],
      ['2', null],
      ['3', 'from spark sql'],
      ['4', 'from a dataframe'],
    ]);
    expect((await sql('SELECT * FROM main.default.spark_ext ORDER BY id')).result?.data_array).toEqual([
      ['1', 'x'],
      ['2', 'y'],
    ]);
    // the Unity Catalog entries Spark registered, with the columns of their Delta logs
    const managed = await lb.api('GET', '/api/2.1/unity-catalog/tables/main.default.spark_managed');
    expect(managed).toMatchObject({ table_type: 'MANAGED', data_source_format: 'DELTA' });
    expect(managed.columns.map((c: { name: string; type_name: string }) => [c.name, c.type_name])).toEqual([
      ['id', 'LONG'],
      ['s', 'STRING'],
    ]);
    expect(managed.properties['io.unitycatalog.tableId']).toMatch(/^[0-9a-f-]{36}$/);
    const external = await lb.api('GET', '/api/2.1/unity-catalog/tables/main.default.spark_ext');
    expect([external.table_type, external.storage_location, external.columns.length]).toEqual(['EXTERNAL', ext, 2]);
    // the managed table's commits went through Lakebox: versions 1 and 2 (0 is the CREATE)
    const commits = await getWithBody(`${lb.base}/api/2.1/unity-catalog/delta/preview/commits`, lb.token, {
      table_id: managed.table_id,
      table_uri: managed.storage_location,
      start_version: 0,
    });
    expect(commits.latest_table_version).toBe(2);
  }, 900_000);
});
