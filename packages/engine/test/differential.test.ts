import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError, userMessage } from '@lakebox/common';
import { SqlEngine, type TableResolver } from '../src/index.js';
import { TABLES } from './differential/data.js';
import { allCases } from './differential/cases.js';
import { sameResult } from './differential/compare.js';

/**
 * The differential suite: every case runs on Lakebox and on Apache Spark (PySpark, local[2], one
 * JVM for the whole batch) over the same Parquet input, and the results must be identical
 * (numbers compared to 1e-9 relative; unordered queries compared as multisets).
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const python = path.join(repo, '.venv/bin/python');
const runner = path.join(repo, 'tests/peers/spark_sql_batch.py');
// DIFF_ONLY=<regex> runs a subset (while developing); the suite runs them all.
const only = process.env.DIFF_ONLY ? new RegExp(process.env.DIFF_ONLY) : undefined;
const cases = allCases().filter((c) => !only || only.test(c.id));

interface Outcome {
  ok: boolean;
  rows?: unknown[][];
  error?: string;
}

const spark = new Map<string, Outcome>();
const lakebox = new Map<string, Outcome>();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-diff-'));
  const paths: Record<string, string> = {};
  const resolver: TableResolver = {
    async resolve(ref) {
      const p = paths[ref.parts[ref.parts.length - 1].toLowerCase()];
      if (!p) throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `no table ${ref.parts.join('.')}`);
      return `SELECT * FROM read_parquet('${p}')`;
    },
  };
  const engine = new SqlEngine({ resolver });
  const conn: DuckDBConnection = await engine.connect();
  try {
    for (const [name, sql] of Object.entries(TABLES)) {
      paths[name] = path.join(dir, `${name}.parquet`);
      await conn.run(`COPY (${sql}) TO '${paths[name]}' (FORMAT parquet)`);
    }
    const batchFile = path.join(dir, 'batch.json');
    writeFileSync(batchFile, JSON.stringify({ tables: paths, cases }));
    const sparkRun = promisify(execFile)(python, [runner, batchFile], {
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PYSPARK_PYTHON: python },
    });
    for (const c of cases) {
      try {
        const r = await engine.execute(c.sql, { conn });
        lakebox.set(c.id, { ok: true, rows: r.rows });
      } catch (e) {
        lakebox.set(c.id, { ok: false, error: userMessage(e) });
      }
    }
    const { stdout } = await sparkRun;
    for (const r of JSON.parse(stdout).results as (Outcome & { id: string })[]) spark.set(r.id, r);
  } finally {
    conn.closeSync();
  }
}, 900_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lakebox vs Apache Spark', () => {
  it('ran every case on Spark', () => {
    expect(spark.size).toBe(cases.length);
    if (!only) expect(cases.length).toBeGreaterThanOrEqual(300);
  });
  it.each(cases.map((c) => [c.id, c.sql]))('%s: %s', (id, sql) => {
    const s = spark.get(id);
    const l = lakebox.get(id);
    expect(s?.ok, `Spark failed: ${s?.error}`).toBe(true);
    expect(l?.ok, `Lakebox failed: ${l?.error}`).toBe(true);
    const ordered = /\border\s+by\b[^)]*$/i.test(sql);
    const verdict = sameResult(l!.rows!, s!.rows!, ordered);
    expect(
      verdict.same,
      `${verdict.reason}\nlakebox: ${JSON.stringify(l!.rows)}\nspark:   ${JSON.stringify(s!.rows)}`,
    ).toBe(true);
  });
});
