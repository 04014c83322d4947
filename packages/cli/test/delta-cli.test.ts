/** `lakebox delta history|describe|cat`, run through the real binary on golden Delta tables. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/lakebox.js', import.meta.url));
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLDEN = path.resolve(repo, '../shared/fixtures/delta-golden');
const UPDATES = path.join(GOLDEN, 'basic-with-inserts-updates', 'delta'); // v0: 100 rows written; v1: UPDATE id < 50
const DV = path.join(GOLDEN, 'dv-partitioned-with-checkpoint', 'delta');

async function lakebox(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('lakebox delta', () => {
  it('history lists the commits newest first', async () => {
    const { stdout, code } = await lakebox('delta', 'history', UPDATES, '--format', 'json');
    expect(code).toBe(0);
    const h = JSON.parse(stdout) as { version: number; operation: string; timestamp: string; readVersion?: number }[];
    expect(h.map((e) => [e.version, e.operation])).toEqual([
      [1, 'UPDATE'],
      [0, 'WRITE'],
    ]);
    expect(h[0]!.readVersion).toBe(0);
    expect(h[1]!.timestamp).toBe('2023-10-18T00:09:08.016Z');
    const table = await lakebox('delta', 'history', UPDATES, '--limit', '1');
    expect(table.stdout.split('\n')[0]).toMatch(/^version\s+\| timestamp/);
    expect(table.stdout).toContain('UPDATE');
    expect(table.stdout).not.toContain('WRITE');
  });

  it('describe shows schema, partitioning, protocol, features, properties, files, size and version', async () => {
    const { stdout, code } = await lakebox('delta', 'describe', DV, '--format', 'json');
    expect(code).toBe(0);
    const d = JSON.parse(stdout) as Record<string, unknown>;
    expect(d['version']).toBe(15);
    expect(d['partitionColumns']).toEqual(['part']);
    expect(d['protocol']).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    });
    expect(d['properties']).toEqual({ 'delta.enableDeletionVectors': 'true' });
    expect(d['numFiles']).toBe(15);
    expect(d['sizeInBytes']).toBeGreaterThan(0);
    expect((d['schema'] as { name: string; type: string }[]).map((f) => `${f.name}:${f.type}`)).toEqual([
      'part:integer',
      'col1:integer',
      'col2:string',
    ]);
    const text = await lakebox('delta', 'describe', DV);
    expect(text.stdout).toMatch(/version:\s+15/);
    expect(text.stdout).toMatch(/reader features:\s+deletionVectors/);
    expect(text.stdout).toMatch(/number of files:\s+15/);
  });

  it('cat prints rows as json, csv and table, with time travel by version and timestamp', async () => {
    const latest = await lakebox('delta', 'cat', UPDATES, '--format', 'json');
    expect(latest.code).toBe(0);
    const rows = latest.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; str: string });
    expect(rows).toHaveLength(100);
    expect(rows.filter((r) => r.id < 50).every((r) => r.str !== `val=${r.id}`)).toBe(true); // updated rows

    const v0 = await lakebox('delta', 'cat', UPDATES, '--version', '0', '--format', 'csv');
    const lines = v0.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,str');
    expect(lines).toHaveLength(101);
    expect(lines.slice(1).sort()).toContain('7,val=7');

    const byTime = await lakebox('delta', 'cat', UPDATES, '--timestamp', '2023-10-18 00:09:10', '--format', 'csv');
    expect(byTime.stdout).toBe(v0.stdout);

    const table = await lakebox('delta', 'cat', DV, '--limit', '2');
    expect(table.stdout.split('\n')[0]).toMatch(/^part \| col1 \| col2$/);
    expect(table.stdout).toContain('(2 rows, version 15)');
  });

  it('reports bad input as one line with an error class, never a stack trace', async () => {
    const missing = await lakebox('delta', 'cat', UPDATES, '--version', '9');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^lakebox: \[DELTA_VERSION_NOT_FOUND\] .*available versions are \[0, 1\]/);
    expect(missing.stderr).not.toContain('    at ');
    const notTable = await lakebox('delta', 'describe', path.join(GOLDEN, 'no-delta-log-folder', 'delta'));
    expect(notTable.stderr).toMatch(/\[DELTA_MISSING_DELTA_TABLE\]/);
    const badTs = await lakebox('delta', 'cat', UPDATES, '--timestamp', '2000-01-01');
    expect(badTs.stderr).toMatch(/\[DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION\]/);
    const badFormat = await lakebox('delta', 'cat', UPDATES, '--format', 'xml');
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toMatch(/--format must be one of json, csv, table/);
  });
});
