import { sparkTypeName, type StatementResult } from '@lakebox/engine';
import { clientName } from './types.js';

/** The type arguments of `map<k,v>` / `array<t>` / `struct<a:t,...>` (top-level commas only). */
function typeArgs(t: string): string[] {
  const inner = t.slice(t.indexOf('<') + 1, -1);
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of inner) {
    if (ch === '<' || ch === '(') depth++;
    if (ch === '>' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** A value as Spark's show() prints it; `type` is the Spark type (DuckDB spellings are mapped). */
function cell(v: unknown, type: string): string {
  if (v === null || v === undefined) return 'NULL';
  const t = /[A-Z]/.test(type) && !/^(map|array|struct)</.test(type) ? sparkTypeName(type) : type;
  if (t === 'double' || t === 'float') {
    const n = Number(v);
    if (Number.isInteger(n) && Math.abs(n) < 1e7) return n.toFixed(1);
    return String(n);
  }
  // binary arrives base64-encoded; Spark prints the bytes in hex: [61 62 63]
  if (t === 'binary' && typeof v === 'string')
    return `[${[...Buffer.from(v, 'base64')].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}]`;
  if (Array.isArray(v)) {
    const et = t.startsWith('array<') ? typeArgs(t)[0]! : '';
    return `[${v.map((x) => cell(x, et)).join(', ')}]`;
  }
  if (typeof v === 'object') {
    if (t.startsWith('map<')) {
      const [, vt = ''] = typeArgs(t);
      return `{${Object.entries(v as object)
        .map(([k, x]) => `${k} -> ${cell(x, vt)}`)
        .join(', ')}}`;
    }
    const fts = t.startsWith('struct<') ? typeArgs(t).map((f) => f.slice(f.indexOf(':') + 1)) : [];
    return `{${Object.values(v as object)
      .map((x, i) => cell(x, fts[i] ?? ''))
      .join(', ')}}`;
  }
  return String(v);
}

function cells(result: StatementResult, numRows: number, truncate: number): string[][] {
  return result.rows.slice(0, numRows).map((r) =>
    r.map((v, i) => {
      const s = cell(v, result.columns[i]!.type);
      if (truncate > 0 && s.length > truncate)
        return truncate < 4 ? s.slice(0, truncate) : s.slice(0, truncate - 3) + '...';
      return s;
    }),
  );
}

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/** Spark's `Dataset.htmlString` (what notebooks display for a DataFrame with eager evaluation). */
export function htmlString(result: StatementResult, numRows: number, truncate: number): string {
  const rows = cells(result, numRows, truncate);
  let out = "<table border='1'>\n";
  out += `<tr>${result.columns.map((c) => `<th>${escapeHtml(clientName(c.name))}</th>`).join('')}</tr>\n`;
  for (const r of rows) out += `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>\n`;
  out += '</table>\n';
  if (result.rows.length > numRows) out += `only showing top ${numRows} ${numRows === 1 ? 'row' : 'rows'}\n`;
  return out;
}

/** Spark's `Dataset.showString` table: `numRows` rows of `result` (which has up to numRows + 1). */
export function showString(result: StatementResult, numRows: number, truncate: number, vertical = false): string {
  const more = result.rows.length > numRows;
  const rows = cells(result, numRows, truncate);
  const header = result.columns.map((c) => clientName(c.name));
  if (vertical) {
    const nameWidth = Math.max(0, ...header.map((h) => h.length));
    const dataWidth = Math.max(0, ...rows.flat().map((c) => c.length));
    let out = '';
    rows.forEach((r, i) => {
      out += `-RECORD ${i}`.padEnd(nameWidth + dataWidth + 5, '-') + '\n';
      out += r.map((c, j) => ` ${header[j]!.padEnd(nameWidth)} | ${c.padEnd(dataWidth)} `).join('\n') + '\n';
    });
    if (!rows.length) out += '(0 rows)\n';
    if (more) out += `only showing top ${numRows} ${numRows === 1 ? 'row' : 'rows'}\n`;
    return out;
  }
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (s: string, w: number) => (truncate > 0 ? s.padStart(w) : s.padEnd(w));
  const sep = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+\n';
  let out = sep;
  out += '|' + header.map((h, i) => pad(h, widths[i]!)).join('|') + '|\n';
  out += sep;
  for (const r of rows) out += '|' + r.map((c, i) => pad(c, widths[i]!)).join('|') + '|\n';
  out += sep;
  if (more) out += `only showing top ${numRows} ${numRows === 1 ? 'row' : 'rows'}\n`;
  return out;
}
