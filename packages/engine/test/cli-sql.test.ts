import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../cli/bin/lakebox.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakebox-cli-sql-'));
const sql = (args: string[]) => run(process.execPath, [bin, 'sql', '--data', dir, ...args]);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lakebox sql', () => {
  it('-e runs statements on the embedded store, in table, csv and json formats', async () => {
    const a = await sql([
      '-e',
      "CREATE TABLE t (a INT, b STRING); INSERT INTO t VALUES (1, 'x'), (22, NULL); SELECT * FROM t ORDER BY a",
    ]);
    expect(a.stdout).toBe(
      ['+----+------+', '| a  | b    |', '+----+------+', '|  1 | x    |', '| 22 | NULL |', '+----+------+', ''].join(
        '\n',
      ),
    );
    const c = await sql(['--format', 'csv', '-e', 'SELECT a, b FROM t ORDER BY a']);
    expect(c.stdout).toBe('a,b\n1,x\n22,\n');
    const j = await sql(['--format', 'json', '-e', 'SELECT * FROM t WHERE a = :a', '-p', 'a=22']);
    expect(JSON.parse(j.stdout)).toEqual([{ a: 22, b: null }]);
  });
  it('reports bad SQL on one line with its position and a non-zero exit', async () => {
    const e = await sql(['-e', 'SELECT 1\nFROM nope']).catch((x) => x);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/TABLE_OR_VIEW_NOT_FOUND/);
    const s = await sql(['-e', 'SELEC 1']).catch((x) => x);
    expect(s.stderr).toBe("lakebox: [PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC' (line 1, pos 0)\n");
  });
  it('interactive: multi-line statements, timing, errors do not end the session', async () => {
    const child = spawn(process.execPath, [bin, 'sql', '--data', dir]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.end('SELECT 1\n  + 1 AS x;\nSELECT nope;\nSHOW TABLES;\n');
    await new Promise((r) => child.on('close', r));
    expect(out).toContain('| 2 |');
    expect(out).toMatch(/1 row in \d+\.\d{3} s/);
    expect(out).toContain('UNRESOLVED_COLUMN');
    expect(out).toContain('| default   | t         | false       |');
  });
});
