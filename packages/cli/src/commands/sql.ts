import { appendFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { LakeboxError, userMessage } from '@lakebox/common';
import type { ResultColumn, StatementResult } from '@lakebox/engine';

type Format = 'table' | 'json' | 'csv';

interface SqlOptions {
  execute?: string;
  file?: string;
  format: string;
  data?: string;
  config?: string;
  param?: string[];
  server?: string;
  token?: string;
}

/** `lakebox sql`: run Spark SQL on the embedded store (one-shot with -e/-f, else interactive). */
export function registerSql(program: Command): void {
  program
    .command('sql')
    .description('run Spark SQL on the embedded store: -e "SQL" / -f file, or an interactive shell')
    .option('-e, --execute <sql>', 'run these statements and exit')
    .option('-f, --file <path>', 'run the statements in this file and exit')
    .option('--format <format>', 'output format: table, json or csv', 'table')
    .option('-p, --param <name=value...>', 'named parameter for :name / {{name}} (repeatable)')
    .option('--data <dir>', 'data directory (default ./.lakebox, or LAKEBOX_HOME)')
    .option('--config <file>', 'config file (default: <data>/config.json)')
    .option('--server <url>', 'run on a running Lakebox server (default: LAKEBOX_URL) through its SQL statements API')
    .option('--token <token>', 'access token for --server (default: LAKEBOX_TOKEN)')
    .action(async (o: SqlOptions) => {
      if (!['table', 'json', 'csv'].includes(o.format)) {
        throw new LakeboxError('INVALID_PARAMETER_VALUE', `--format must be table, json or csv, not ${o.format}`);
      }
      const params = Object.fromEntries(
        (o.param ?? []).map((p) => {
          const eq = p.indexOf('=');
          if (eq < 1) throw new LakeboxError('INVALID_PARAMETER_VALUE', `--param needs name=value, got ${p}`);
          return [p.slice(0, eq), { value: p.slice(eq + 1) }];
        }),
      );
      const server = o.server ?? process.env.LAKEBOX_URL;
      if (server) {
        const token = o.token ?? process.env.LAKEBOX_TOKEN;
        if (!token)
          throw new LakeboxError('UNAUTHENTICATED', 'talking to a server needs a token: --token or LAKEBOX_TOKEN');
        const run = (sql: string) => remoteRun(server, token, sql, params);
        const script = o.execute ?? (o.file ? readFileSync(o.file, 'utf8') : undefined);
        if (script !== undefined) process.stdout.write(render(await run(script), o.format as Format));
        else await repl(run, o.format as Format, os.homedir());
        return;
      }
      const { loadConfig } = await import('@lakebox/server');
      const { openEmbedded } = await import('@lakebox/engine');
      const cfg = loadConfig({ ...(o.data ? { dataDir: o.data } : {}), ...(o.config ? { configFile: o.config } : {}) });
      const db = await openEmbedded({
        metastoreUrl: cfg.metastoreUrl,
        storageRoot: cfg.storageRoot,
        volumesRoot: cfg.volumesRoot,
        user: process.env.LAKEBOX_USER ?? 'admin',
      });
      try {
        const script = o.execute ?? (o.file ? readFileSync(o.file, 'utf8') : undefined);
        if (script !== undefined) {
          const r = await db.run(script, params);
          process.stdout.write(render(r, o.format as Format));
          return;
        }
        await repl(db.run, o.format as Format, cfg.dataDir);
      } finally {
        await db.close();
      }
    });
}

/** Run a statement on a server through POST /api/2.0/sql/statements, polling and fetching every chunk. */
async function remoteRun(
  server: string,
  token: string,
  sql: string,
  params: Record<string, { value: string }>,
): Promise<StatementResult> {
  const call = async (method: 'GET' | 'POST', p: string, body?: unknown): Promise<any> => {
    const url = new URL(p, server.endsWith('/') ? server : server + '/');
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw new LakeboxError('SERVER_UNREACHABLE', `cannot reach ${server}: ${(e as Error).message}`);
    }
    const json: any = await res.json().catch(() => ({}));
    if (!res.ok) throw new LakeboxError(json.error_code ?? `HTTP_${res.status}`, json.message ?? `HTTP ${res.status}`);
    return json;
  };
  let st = await call('POST', 'api/2.0/sql/statements', {
    statement: sql,
    warehouse_id: 'lakebox',
    wait_timeout: '30s',
    parameters: Object.entries(params).map(([name, v]) => ({ name, value: v.value })),
  });
  while (st.status.state === 'PENDING' || st.status.state === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 200));
    st = await call('GET', `api/2.0/sql/statements/${st.statement_id}`);
  }
  if (st.status.state !== 'SUCCEEDED') {
    const err = st.status.error ?? {
      error_code: st.status.state,
      message: `statement ${st.status.state.toLowerCase()}`,
    };
    throw new LakeboxError(err.error_code, err.message);
  }
  const columns: ResultColumn[] = (st.manifest?.schema?.columns ?? []).map((c: any) => ({
    name: c.name,
    type: String(c.type_text).toLowerCase(),
  }));
  const rows: unknown[][] = [...(st.result?.data_array ?? [])];
  let next = st.result?.next_chunk_internal_link as string | undefined;
  while (next) {
    const ch = await call('GET', next.replace(/^\//, ''));
    rows.push(...(ch.data_array ?? []));
    next = ch.next_chunk_internal_link;
  }
  // JSON_ARRAY results carry every value as a string (as Databricks does): give them back their types.
  const convert = columns.map((c) => typedValue(c.type));
  return {
    columns,
    rows: rows.map((row) => row.map((v, i) => (v === null || v === undefined ? null : convert[i](v)))),
  };
}

function typedValue(type: string): (v: unknown) => unknown {
  if (/^(int|integer|smallint|tinyint|short|byte|float|double|real)\b/.test(type)) return (v) => Number(v);
  if (/^(bigint|long)\b/.test(type)) return (v) => (Number.isSafeInteger(Number(v)) ? Number(v) : String(v));
  if (type === 'boolean') return (v) => v === true || v === 'true';
  if (/^(array|struct|map)\b/.test(type))
    return (v) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    };
  return (v) => v;
}

async function repl(run: (sql: string) => Promise<StatementResult>, format: Format, dataDir: string): Promise<void> {
  const histFile = path.join(dataDir, '.sql_history');
  let history: string[] = [];
  try {
    history = readFileSync(histFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500);
  } catch {
    // no history yet
  }
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    history,
    historySize: 500,
    terminal: process.stdin.isTTY,
  });
  let buf = '';
  const prompt = () => rl.setPrompt(buf ? '     -> ' : 'lakebox> ');
  prompt();
  rl.prompt();
  for await (const line of rl) {
    if (!buf && /^\s*(exit|quit|\\q)\s*;?\s*$/i.test(line)) break;
    buf += (buf ? '\n' : '') + line;
    if (!endsStatement(buf)) {
      prompt();
      rl.prompt();
      continue;
    }
    const sql = buf;
    buf = '';
    try {
      appendFileSync(histFile, sql.replaceAll('\n', ' ') + os.EOL);
    } catch {
      // history is best effort
    }
    const t0 = performance.now();
    try {
      const r = await run(sql);
      process.stdout.write(render(r, format));
      process.stdout.write(
        `${r.rows.length} row${r.rows.length === 1 ? '' : 's'} in ${((performance.now() - t0) / 1000).toFixed(3)} s\n`,
      );
    } catch (e) {
      process.stdout.write(`Error: ${userMessage(e)}\n`);
    }
    prompt();
    rl.prompt();
  }
  rl.close();
}

/** Does the buffer end with a semicolon outside strings and comments? */
export function endsStatement(s: string): boolean {
  let q: string | undefined;
  let last = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') q = c;
    else if (c === '-' && s[i + 1] === '-') {
      while (i < s.length && s[i] !== '\n') i++;
      continue;
    }
    if (!/\s/.test(c)) last = c;
  }
  return !q && last === ';';
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function render(r: StatementResult, format: Format): string {
  if (!r.columns.length) return format === 'json' ? '[]\n' : '';
  if (format === 'json') {
    const objs = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    return JSON.stringify(objs) + '\n';
  }
  if (format === 'csv') {
    const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    const lines = [r.columns.map((c) => esc(c.name)).join(',')];
    for (const row of r.rows)
      lines.push(
        row
          .map((v) => (v === null || v === undefined ? '' : esc(typeof v === 'object' ? JSON.stringify(v) : String(v))))
          .join(','),
      );
    return lines.join('\n') + '\n';
  }
  return table(r.columns, r.rows);
}

function table(columns: ResultColumn[], rows: unknown[][]): string {
  const cells = rows.map((row) => row.map(cell));
  const widths = columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((c) => /^(int|bigint|smallint|tinyint|double|float|decimal)/.test(c.type));
  const line = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const fmt = (vals: string[], head = false) =>
    '|' + vals.map((v, i) => ` ${numeric[i] && !head ? v.padStart(widths[i]) : v.padEnd(widths[i])} `).join('|') + '|';
  return (
    [
      line,
      fmt(
        columns.map((c) => c.name),
        true,
      ),
      line,
      ...cells.map((r) => fmt(r)),
      line,
    ].join('\n') + '\n'
  );
}
