import type { Column } from '../statements';

export type ChartType = 'bar' | 'line' | 'area' | 'scatter' | 'pie' | 'histogram' | 'counter';
export const CHART_TYPES: { key: ChartType; label: string }[] = [
  { key: 'bar', label: 'Bar' },
  { key: 'line', label: 'Line' },
  { key: 'area', label: 'Area' },
  { key: 'scatter', label: 'Scatter' },
  { key: 'pie', label: 'Pie' },
  { key: 'histogram', label: 'Histogram' },
  { key: 'counter', label: 'Counter' },
];

/** What is saved with a query: the chart type and which result columns it draws. */
export interface ChartConfig {
  type: ChartType;
  x?: string;
  y?: string[];
  bins?: number;
  title?: string;
}

export const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|LONG|SHORT|BYTE|FLOAT|DOUBLE|REAL|DECIMAL)/i;

/** A sensible first chart for a result: the first non-numeric column against the numeric ones. */
export function defaultChart(columns: Column[]): ChartConfig {
  const nums = columns.filter((c) => NUMERIC_TYPE.test(c.type)).map((c) => c.name);
  const x = columns.find((c) => !NUMERIC_TYPE.test(c.type))?.name ?? columns[0]?.name;
  const y = nums.filter((n) => n !== x).slice(0, 2);
  return { type: 'bar', x, y: y.length ? y : nums.slice(0, 1) };
}

/** Series colours of every chart (SQL results, run metrics, run comparison). */
export const PALETTE = [
  '#1f6feb',
  '#e8590c',
  '#2f9e44',
  '#ae3ec9',
  '#f08c00',
  '#0c8599',
  '#c2255c',
  '#5c7cfa',
  '#868e96',
  '#5f3dc4',
];

export type ChartResult =
  | { kind: 'echarts'; option: Record<string, unknown> }
  | { kind: 'counter'; value: string; label: string }
  | { kind: 'problem'; message: string };

/** The ECharts option (or counter value) for a chart config over a result. */
export function chartOption(cfg: ChartConfig, columns: Column[], rows: (string | null)[][]): ChartResult {
  const idx = (name: string | undefined) => columns.findIndex((c) => c.name === name);
  const xi = idx(cfg.x);
  const ys = (cfg.y ?? []).map(idx).filter((i) => i >= 0);
  if (cfg.type === 'counter') {
    const i = ys[0] ?? xi;
    if (i < 0) return { kind: 'problem', message: 'Choose the column whose value the counter shows.' };
    const v = rows[0]?.[i];
    const n = Number(v);
    return {
      kind: 'counter',
      value: v === null || v === undefined ? '—' : Number.isFinite(n) && v !== '' ? n.toLocaleString() : v,
      label: cfg.title || columns[i]!.name,
    };
  }
  if (cfg.type === 'histogram') {
    const i = ys[0] ?? xi;
    if (i < 0) return { kind: 'problem', message: 'Choose a numeric column for the histogram.' };
    const vals = rows.map((r) => Number(r[i])).filter((v) => Number.isFinite(v));
    if (!vals.length) return { kind: 'problem', message: `Column ${columns[i]!.name} has no numeric values.` };
    let min = Infinity;
    let max = -Infinity;
    for (const v of vals) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const bins = Math.max(1, Math.min(cfg.bins ?? 20, 200));
    const w = max > min ? (max - min) / bins : 1;
    const counts = new Array<number>(bins).fill(0);
    for (const v of vals) counts[Math.min(bins - 1, Math.floor((v - min) / w))]!++;
    const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
    return {
      kind: 'echarts',
      option: {
        color: PALETTE,
        tooltip: { trigger: 'axis' },
        grid: { left: 56, right: 24, top: 24, bottom: 48 },
        xAxis: {
          type: 'category',
          name: columns[i]!.name,
          nameLocation: 'middle',
          nameGap: 30,
          data: counts.map((_, b) => `${fmt(min + b * w)}–${fmt(min + (b + 1) * w)}`),
        },
        yAxis: { type: 'value', name: 'count' },
        series: [{ type: 'bar', data: counts, barCategoryGap: '2%' }],
      },
    };
  }
  if (xi < 0) return { kind: 'problem', message: 'Choose a column for the X axis.' };
  if (!ys.length) return { kind: 'problem', message: 'Choose at least one numeric column to plot.' };
  const num = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? null : Number(v));
  if (cfg.type === 'pie') {
    const yi = ys[0]!;
    return {
      kind: 'echarts',
      option: {
        color: PALETTE,
        tooltip: { trigger: 'item' },
        legend: { type: 'scroll', bottom: 0 },
        series: [
          {
            type: 'pie',
            radius: ['30%', '65%'],
            data: rows.slice(0, 200).map((r) => ({ name: r[xi] ?? 'NULL', value: num(r[yi]) })),
          },
        ],
      },
    };
  }
  const xNumeric = NUMERIC_TYPE.test(columns[xi]!.type) && cfg.type === 'scatter';
  const xTime = /^(DATE|TIMESTAMP)/i.test(columns[xi]!.type) && cfg.type !== 'bar';
  const limited = rows.slice(0, 5000);
  return {
    kind: 'echarts',
    option: {
      color: PALETTE,
      tooltip: { trigger: cfg.type === 'scatter' ? 'item' : 'axis' },
      legend: ys.length > 1 ? { top: 0 } : undefined,
      grid: { left: 56, right: 24, top: ys.length > 1 ? 32 : 20, bottom: 48 },
      xAxis: {
        type: xNumeric ? 'value' : xTime ? 'time' : 'category',
        name: columns[xi]!.name,
        nameLocation: 'middle',
        nameGap: 30,
        ...(xNumeric || xTime ? {} : { data: limited.map((r) => r[xi] ?? 'NULL') }),
      },
      yAxis: { type: 'value', scale: cfg.type === 'scatter' },
      series: ys.map((yi) => ({
        name: columns[yi]!.name,
        type: cfg.type === 'area' ? 'line' : cfg.type,
        ...(cfg.type === 'area' ? { areaStyle: { opacity: 0.25 } } : {}),
        ...(cfg.type === 'line' || cfg.type === 'area' ? { showSymbol: limited.length < 60 } : {}),
        data:
          xNumeric || xTime
            ? limited.map((r) => [xNumeric ? num(r[xi]) : r[xi], num(r[yi])])
            : limited.map((r) => num(r[yi])),
      })),
    },
  };
}
