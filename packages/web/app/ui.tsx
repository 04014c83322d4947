import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { messageOf } from './api';

/** An error as a person reads it: the server's message, never a body or a stack. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      {messageOf(error)}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" /> {label}
    </div>
  );
}

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `fn` when `deps` change; keep the last data while reloading. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const my = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    fn().then(
      (data) => my === seq.current && setState({ data, error: undefined, loading: false }),
      (error) => my === seq.current && setState({ data: undefined, error, loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Tabs<K extends string>({
  tabs,
  active,
  onChange,
}: {
  tabs: { key: K; label: string }[];
  active: K;
  onChange: (k: K) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((t) => (
        <button
          key={t.key}
          role="tab"
          aria-selected={t.key === active}
          className={`tab${t.key === active ? ' active' : ''}`}
          onClick={() => onChange(t.key)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function formatTime(ms: number | string | undefined | null): string {
  if (ms === undefined || ms === null || ms === '') return '';
  const d = new Date(typeof ms === 'string' && /^\d+$/.test(ms) ? Number(ms) : ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatBytes(n: number | string | null | undefined): string {
  const v = Number(n);
  if (n === null || n === undefined || Number.isNaN(v)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

export function formatNumber(v: number | undefined): string {
  if (v === undefined || v === null) return '';
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toPrecision(5) : v.toFixed(4).replace(/0+$/, '');
}

/** Text that arrives later (e.g. a name for a breadcrumb), with a fallback meanwhile. */
export function Later({ get, fallback }: { get: () => Promise<string>; fallback: string }) {
  const [v, setV] = useState<string>();
  useEffect(() => {
    let live = true;
    get().then((x) => live && setV(x));
    return () => {
      live = false;
    };
  }, [get]);
  return <>{v ?? fallback}</>;
}

/** A list page's title row with a name search box (`label`, e.g. "Search models"). */
export function SearchTitle({
  title,
  label,
  query,
  onQuery,
}: {
  title: string;
  label: string;
  query: string;
  onQuery: (q: string) => void;
}) {
  return (
    <div className="row gap">
      <h1>{title}</h1>
      <span className="grow" />
      <input
        type="search"
        className="search inline"
        placeholder={label}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        aria-label={label}
      />
    </div>
  );
}

/** The items whose name contains `query`, ignoring case and surrounding spaces. */
export function byName<T extends { name: string }>(items: T[] | undefined, query: string): T[] {
  const q = query.trim().toLowerCase();
  return (items ?? []).filter((x) => x.name.toLowerCase().includes(q));
}
