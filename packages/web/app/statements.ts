import { ApiError, api } from './api';

// The SQL Statement Execution API (/api/2.0/sql/statements): submit, poll until done, fetch every
// result chunk, cancel. Used by the SQL editor and by the data explorer (sample, details, history).

const BASE = '/api/2.0/sql/statements';

export interface Column {
  name: string;
  type: string;
}
export interface ResultSet {
  columns: Column[];
  rows: (string | null)[][];
  truncated: boolean;
  statementId: string;
}
export interface Param {
  name: string;
  value: string;
}
export type Progress = (state: string, info: { rows?: number; total?: number }) => void;

export class StatementHandle {
  id: string | null = null;
  canceled = false;
  async cancel(): Promise<void> {
    this.canceled = true;
    if (this.id) await api.post(`${BASE}/${this.id}/cancel`, {}).catch(() => {});
  }
}

interface StatementView {
  statement_id: string;
  status: { state: string; error?: { error_code: string; message: string } };
  manifest?: {
    schema: { columns: { name: string; type_text: string }[] };
    total_chunk_count: number;
    total_row_count: number;
    truncated: boolean;
  };
  result?: { data_array?: (string | null)[][]; next_chunk_index?: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runStatement(
  statement: string,
  opts: { params?: Param[]; handle?: StatementHandle; onProgress?: Progress; rowLimit?: number } = {},
): Promise<ResultSet> {
  const handle = opts.handle ?? new StatementHandle();
  const progress = opts.onProgress ?? (() => {});
  progress('PENDING', {});
  let st = await api.post<StatementView>(BASE, {
    statement,
    // answer at once and poll: the statement id is known right away, so Cancel works at any moment
    wait_timeout: '0s',
    format: 'JSON_ARRAY',
    disposition: 'INLINE',
    ...(opts.rowLimit ? { row_limit: opts.rowLimit } : {}),
    ...(opts.params?.length ? { parameters: opts.params.map((p) => ({ name: p.name, value: p.value })) } : {}),
  });
  handle.id = st.statement_id;
  if (handle.canceled) await handle.cancel();
  let delay = 60;
  while (st.status.state === 'PENDING' || st.status.state === 'RUNNING') {
    progress(st.status.state, {});
    await sleep(delay);
    delay = Math.min(delay * 1.5, 1000);
    st = await api.get<StatementView>(`${BASE}/${st.statement_id}`);
  }
  if (st.status.state === 'CANCELED') throw new ApiError('The statement was canceled.', 0, 'CANCELED');
  if (st.status.state !== 'SUCCEEDED' || !st.manifest)
    throw new ApiError(
      st.status.error?.message ?? `The statement ended in state ${st.status.state}.`,
      400,
      st.status.error?.error_code ?? st.status.state,
    );
  const total = st.manifest.total_row_count;
  const rows: (string | null)[][] = [...(st.result?.data_array ?? [])];
  let next = st.result?.next_chunk_index;
  while (next !== undefined && !handle.canceled) {
    progress('FETCHING', { rows: rows.length, total });
    const c = await api.get<{ data_array?: (string | null)[][]; next_chunk_index?: number }>(
      `${BASE}/${st.statement_id}/result/chunks/${next}`,
    );
    for (const r of c.data_array ?? []) rows.push(r);
    next = c.next_chunk_index;
  }
  if (handle.canceled) throw new ApiError('The statement was canceled.', 0, 'CANCELED');
  return {
    columns: st.manifest.schema.columns.map((c) => ({ name: c.name, type: c.type_text })),
    rows,
    truncated: st.manifest.truncated,
    statementId: st.statement_id,
  };
}

/** Rows as objects keyed by column name. */
export function records(r: ResultSet): Record<string, string | null>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null])));
}

/** `catalog`.`schema`.`table` with backquotes where a part needs them. */
export function quoteName(parts: string[]): string {
  return parts.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `\`${p.replaceAll('`', '``')}\``)).join('.');
}

/** RFC 4180 CSV of a result. */
export function toCsv(r: { columns: Column[]; rows: (string | null)[][] }): string {
  const esc = (v: string | null) => (v === null ? '' : /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return (
    [r.columns.map((c) => esc(c.name)).join(','), ...r.rows.map((row) => row.map(esc).join(','))].join('\r\n') + '\r\n'
  );
}

/** The `:name` parameters of a statement, in order of first use (not in strings, comments or `::` casts). */
export function parameterNames(sql: string): string[] {
  const names: string[] = [];
  const re = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`[^`]*`|--[^\n]*|\/\*[\s\S]*?\*\/|::|:([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const m of sql.matchAll(re)) if (m[1] && !names.includes(m[1])) names.push(m[1]);
  return names;
}
