import { useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Column } from '../statements';
import { toCsv } from '../statements';

const NUMERIC = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|LONG|SHORT|BYTE|FLOAT|DOUBLE|REAL|DECIMAL)/i;
const ROW_H = 28;

function widthOf(c: Column, rows: (string | null)[][], i: number): number {
  // header: name, a gap, the type in a smaller font, room for the sort arrow
  let w = c.name.length + c.type.length * 0.8 + 4;
  for (let r = 0; r < Math.min(rows.length, 50); r++) w = Math.max(w, (rows[r]![i] ?? 'NULL').length);
  return Math.min(Math.max(w * 7.5 + 24, 80), 360);
}

/**
 * A virtualised results grid: only the visible rows are in the DOM (100,000 rows scroll as fast as
 * 100). Click a header to sort (again to reverse, a third time to clear); click a cell to select it,
 * Ctrl/Cmd+C copies it; "Copy" copies the whole result as tab-separated text.
 */
export function ResultGrid({
  columns,
  rows,
  height = 360,
  testId,
}: {
  columns: Column[];
  rows: (string | null)[][];
  height?: number | string;
  testId?: string;
}) {
  const [sort, setSort] = useState<{ col: number; desc: boolean } | null>(null);
  const [sel, setSel] = useState<{ r: number; c: number } | null>(null);
  const [copied, setCopied] = useState('');
  const scrollRef = useRef<HTMLDivElement>(null);
  const widths = useMemo(() => columns.map((c, i) => widthOf(c, rows, i)), [columns, rows]);
  const template = `${String(rows.length).length * 8 + 24}px ${widths.map((w) => `${w}px`).join(' ')}`;
  const order = useMemo(() => {
    const idx = rows.map((_, i) => i);
    if (!sort) return idx;
    const numeric = NUMERIC.test(columns[sort.col]?.type ?? '');
    const k = sort.col;
    idx.sort((a, b) => {
      const x = rows[a]![k] ?? null;
      const y = rows[b]![k] ?? null;
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      const d = numeric ? Number(x) - Number(y) : x < y ? -1 : 1;
      return sort.desc ? -d : d;
    });
    return idx;
  }, [rows, columns, sort]);
  const virt = useVirtualizer({
    count: order.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 12,
  });

  const clickHeader = (i: number) =>
    setSort((s) => (!s || s.col !== i ? { col: i, desc: false } : !s.desc ? { col: i, desc: true } : null));
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
    } catch {
      setCopied('Copy failed: the browser did not allow clipboard access');
    }
    setTimeout(() => setCopied(''), 2000);
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (!sel) return;
    if ((e.ctrlKey || e.metaKey) && e.key === 'c') {
      e.preventDefault();
      void copy(rows[order[sel.r]!]![sel.c] ?? '', 'Cell copied');
    } else if (e.key === 'ArrowDown') setSel({ ...sel, r: Math.min(sel.r + 1, order.length - 1) });
    else if (e.key === 'ArrowUp') setSel({ ...sel, r: Math.max(sel.r - 1, 0) });
    else if (e.key === 'ArrowRight') setSel({ ...sel, c: Math.min(sel.c + 1, columns.length - 1) });
    else if (e.key === 'ArrowLeft') setSel({ ...sel, c: Math.max(sel.c - 1, 0) });
    else return;
    if (e.key.startsWith('Arrow')) {
      e.preventDefault();
      virt.scrollToIndex(e.key === 'ArrowDown' ? Math.min(sel.r + 1, order.length - 1) : Math.max(sel.r - 1, 0));
    }
  };
  const tsv = () =>
    [columns.map((c) => c.name).join('\t'), ...order.map((i) => rows[i]!.map((v) => v ?? '').join('\t'))].join('\n');

  if (columns.length === 0) return <div className="empty">The statement returned no columns.</div>;
  return (
    <div className="grid-wrap" data-testid={testId}>
      <div className="grid-toolbar">
        <span className="muted" data-testid="row-count">
          {rows.length.toLocaleString()} row{rows.length === 1 ? '' : 's'}
          {sort ? ` · sorted by ${columns[sort.col]!.name} ${sort.desc ? '↓' : '↑'}` : ''}
        </span>
        <span className="grow" />
        {copied && <span className="muted">{copied}</span>}
        <button className="btn small" onClick={() => void copy(tsv(), 'Result copied')}>
          Copy
        </button>
      </div>
      <div className="grid" ref={scrollRef} style={{ height }} tabIndex={0} onKeyDown={onKey} role="grid">
        <div className="grid-head" style={{ gridTemplateColumns: template }} role="row">
          <div className="grid-cell rownum">#</div>
          {columns.map((c, i) => (
            <div
              key={i}
              className="grid-cell head"
              role="columnheader"
              title={`${c.name} ${c.type} (click to sort)`}
              onClick={() => clickHeader(i)}
            >
              <span className="col-name">{c.name}</span>
              <span className="col-type">{c.type.toLowerCase()}</span>
              {sort?.col === i && <span className="sort">{sort.desc ? '▼' : '▲'}</span>}
            </div>
          ))}
        </div>
        {rows.length === 0 ? (
          <div className="empty">No rows.</div>
        ) : (
          <div style={{ height: virt.getTotalSize(), position: 'relative', minWidth: 'max-content' }}>
            {virt.getVirtualItems().map((v) => {
              const row = rows[order[v.index]!]!;
              return (
                <div
                  key={v.key}
                  className="grid-row"
                  role="row"
                  style={{ gridTemplateColumns: template, transform: `translateY(${v.start}px)`, height: ROW_H }}
                >
                  <div className="grid-cell rownum">{v.index + 1}</div>
                  {row.map((val, c) => (
                    <div
                      key={c}
                      role="gridcell"
                      className={`grid-cell${val === null ? ' null' : ''}${sel?.r === v.index && sel.c === c ? ' selected' : ''}${NUMERIC.test(columns[c]?.type ?? '') ? ' num' : ''}`}
                      onClick={() => setSel({ r: v.index, c })}
                      title={val ?? 'NULL'}
                    >
                      {val ?? 'NULL'}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

export function downloadCsv(r: { columns: Column[]; rows: (string | null)[][] }, name: string): void {
  const blob = new Blob([toCsv(r)], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name.replace(/[^\w.-]+/g, '_') || 'result'}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
