import type { StatementResult } from '@lakebox/engine';

function cell(v: unknown, type: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (type === 'double' || type === 'float') {
    const n = Number(v);
    if (Number.isInteger(n) && Math.abs(n) < 1e7) return n.toFixed(1);
    return String(n);
  }
  if (Array.isArray(v)) return `[${v.map((x) => cell(x, '')).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.values(v as object)
      .map((x) => cell(x, ''))
      .join(', ')}}`;
  return String(v);
}

/** Spark's `Dataset.showString` table: `numRows` rows of `result` (which has up to numRows + 1). */
export function showString(result: StatementResult, numRows: number, truncate: number): string {
  const more = result.rows.length > numRows;
  const rows = result.rows.slice(0, numRows).map((r) =>
    r.map((v, i) => {
      const s = cell(v, result.columns[i]!.type);
      if (truncate > 0 && s.length > truncate)
        return truncate < 4 ? s.slice(0, truncate) : s.slice(0, truncate - 3) + '...';
      return s;
    }),
  );
  const header = result.columns.map((c) => c.name);
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
