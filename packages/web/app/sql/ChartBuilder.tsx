import { Suspense, lazy, useMemo } from 'react';
import type { Column } from '../statements';
import { Spinner } from '../ui';
import { CHART_TYPES, chartOption, type ChartConfig } from '../charts/chartOption';

const EChart = lazy(() => import('../charts/EChart'));

/** Pick a chart type and columns; the chart is drawn from the result already fetched. */
export function ChartBuilder({
  columns,
  rows,
  config,
  onChange,
}: {
  columns: Column[];
  rows: (string | null)[][];
  config: ChartConfig;
  onChange: (c: ChartConfig) => void;
}) {
  const result = useMemo(() => chartOption(config, columns, rows), [config, columns, rows]);
  const single = config.type === 'histogram' || config.type === 'counter' || config.type === 'pie';
  const yValue = config.y ?? [];
  return (
    <div className="chart-builder">
      <div className="chart-controls">
        <label>
          Chart
          <select
            aria-label="Chart type"
            value={config.type}
            onChange={(e) => onChange({ ...config, type: e.target.value as ChartConfig['type'] })}
          >
            {CHART_TYPES.map((t) => (
              <option key={t.key} value={t.key}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        {config.type !== 'histogram' && config.type !== 'counter' && (
          <label>
            {config.type === 'pie' ? 'Labels' : 'X axis'}
            <select
              aria-label="X column"
              value={config.x ?? ''}
              onChange={(e) => onChange({ ...config, x: e.target.value })}
            >
              {columns.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          {config.type === 'histogram' ? 'Column' : config.type === 'counter' ? 'Value' : 'Y axis'}
          {single ? (
            <select
              aria-label="Y column"
              value={yValue[0] ?? ''}
              onChange={(e) => onChange({ ...config, y: [e.target.value] })}
            >
              <option value="">choose…</option>
              {columns.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
          ) : (
            <span className="checks">
              {columns
                .filter((c) => c.name !== config.x)
                .map((c) => (
                  <label key={c.name} className="check">
                    <input
                      type="checkbox"
                      checked={yValue.includes(c.name)}
                      onChange={(e) =>
                        onChange({
                          ...config,
                          y: e.target.checked ? [...yValue, c.name] : yValue.filter((n) => n !== c.name),
                        })
                      }
                    />
                    {c.name}
                  </label>
                ))}
            </span>
          )}
        </label>
        {config.type === 'histogram' && (
          <label>
            Bins
            <input
              type="number"
              min={1}
              max={200}
              value={config.bins ?? 20}
              onChange={(e) => onChange({ ...config, bins: Number(e.target.value) || 20 })}
              style={{ width: 70 }}
            />
          </label>
        )}
        {config.type === 'counter' && (
          <label>
            Label
            <input
              value={config.title ?? ''}
              placeholder="optional"
              onChange={(e) => onChange({ ...config, title: e.target.value })}
            />
          </label>
        )}
      </div>
      <div className="chart-area" data-testid="chart">
        {result.kind === 'problem' && <div className="empty">{result.message}</div>}
        {result.kind === 'counter' && (
          <div className="counter" data-testid="counter">
            <div className="counter-value">{result.value}</div>
            <div className="counter-label">{result.label}</div>
          </div>
        )}
        {result.kind === 'echarts' && (
          <Suspense fallback={<Spinner label="Loading charts…" />}>
            <EChart option={result.option} height={300} testId="echart" />
          </Suspense>
        )}
      </div>
    </div>
  );
}
