import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EditorView } from '@codemirror/view';
import { api, messageOf } from '../api';
import { ResultGrid, downloadCsv } from '../components/ResultGrid';
import { StatementHandle, parameterNames, runStatement, type ResultSet } from '../statements';
import { Empty, ErrorBox, Tabs, formatTime } from '../ui';
import { defaultChart, type ChartConfig } from '../charts/chartOption';
import { ChartBuilder } from './ChartBuilder';
import { CatalogCache, createEditor, statementAt } from './editor';

interface EditorTab {
  id: string;
  title: string;
  sql: string;
  savedId?: string;
  chart?: ChartConfig | null;
  params: Record<string, string>;
}
interface SavedQuery {
  id: string;
  name: string;
  sql: string;
  chart: ChartConfig | null;
  updated_at: number;
}
interface HistoryEntry {
  sql: string;
  at: number;
  ms: number;
  ok: boolean;
  rows?: number;
  error?: string;
}
interface RunState {
  status: 'running' | 'done' | 'error' | 'canceled';
  statement: string;
  started: number;
  finished?: number;
  progress?: string;
  result?: ResultSet;
  error?: unknown;
  handle?: StatementHandle;
}

const TABS_KEY = 'lakebox.sql.tabs';
const HISTORY_KEY = 'lakebox.sql.history';
const QUERIES = '/api/2.0/lakebox/queries';
const newId = () => Math.random().toString(36).slice(2, 10);
// Results survive a visit to another page of the app (not a reload).
let keptRuns: Record<string, RunState> = {};

function loadTabs(): { tabs: EditorTab[]; active: string } {
  try {
    const v = JSON.parse(localStorage.getItem(TABS_KEY) ?? 'null');
    if (v && Array.isArray(v.tabs) && v.tabs.length) return v;
  } catch {
    /* start fresh */
  }
  const id = newId();
  return { tabs: [{ id, title: 'Query 1', sql: 'SELECT 1 AS one', params: {} }], active: id };
}
function loadHistory(): HistoryEntry[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
  } catch {
    return [];
  }
}

function TabEditor({
  tab,
  visible,
  cache,
  onChange,
  onRun,
  viewRef,
}: {
  tab: EditorTab;
  visible: boolean;
  cache: CatalogCache;
  onChange: (sql: string) => void;
  onRun: (view: EditorView) => void;
  viewRef: (v: EditorView | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const cb = useRef({ onChange, onRun });
  cb.current = { onChange, onRun };
  useEffect(() => {
    const view = createEditor({
      parent: host.current!,
      doc: tab.sql,
      cache,
      onChange: (d) => cb.current.onChange(d),
      onRun: (v) => cb.current.onRun(v),
    });
    viewRef(view);
    return () => {
      viewRef(null);
      view.destroy();
    };
  }, []);
  useEffect(() => {
    if (visible) setTimeout(() => host.current?.querySelector<HTMLElement>('.cm-content')?.focus(), 0);
  }, [visible]);
  return (
    <div
      ref={host}
      className="editor-host"
      style={{ display: visible ? 'block' : 'none' }}
      data-testid={visible ? 'editor' : undefined}
    />
  );
}

function Elapsed({ since, until }: { since: number; until?: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (until) return;
    const t = setInterval(() => tick((n) => n + 1), 200);
    return () => clearInterval(t);
  }, [until]);
  const s = ((until ?? Date.now()) - since) / 1000;
  return <span>{s < 10 ? s.toFixed(1) : s.toFixed(0)} s</span>;
}

export default function SqlPage() {
  const initial = useMemo(loadTabs, []);
  const [tabs, setTabs] = useState<EditorTab[]>(initial.tabs);
  const [active, setActive] = useState(initial.active);
  const [runs, setRuns] = useState<Record<string, RunState>>(() => keptRuns);
  useEffect(() => {
    keptRuns = runs;
  }, [runs]);
  const [view, setView] = useState<'results' | 'chart'>('results');
  const [side, setSide] = useState<'saved' | 'history'>('saved');
  const [history, setHistory] = useState<HistoryEntry[]>(loadHistory);
  const [saved, setSaved] = useState<SavedQuery[] | null>(null);
  const [savedError, setSavedError] = useState<unknown>();
  const [saving, setSaving] = useState<{ name: string } | null>(null);
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const cache = useMemo(() => new CatalogCache(), []);
  const views = useRef(new Map<string, EditorView>());
  const tab = tabs.find((t) => t.id === active) ?? tabs[0]!;
  const run = runs[tab.id];

  useEffect(() => localStorage.setItem(TABS_KEY, JSON.stringify({ tabs, active })), [tabs, active]);
  useEffect(() => localStorage.setItem(HISTORY_KEY, JSON.stringify(history.slice(0, 100))), [history]);
  const reloadSaved = useCallback(() => {
    api.get<{ queries: SavedQuery[] }>(QUERIES).then(
      (r) => (setSaved(r.queries), setSavedError(undefined)),
      (e) => setSavedError(e),
    );
  }, []);
  useEffect(reloadSaved, [reloadSaved]);

  const update = (id: string, patch: Partial<EditorTab>) =>
    setTabs((ts) => ts.map((t) => (t.id === id ? { ...t, ...patch } : t)));
  const openTab = (t: Omit<EditorTab, 'id'>) => {
    const id = newId();
    setTabs((ts) => [...ts, { ...t, id }]);
    setActive(id);
    return id;
  };
  const closeTab = (id: string) => {
    setTabs((ts) => {
      if (ts.length === 1) {
        const nid = newId();
        setActive(nid);
        return [{ id: nid, title: 'Query 1', sql: '', params: {} }];
      }
      const i = ts.findIndex((t) => t.id === id);
      const next = ts.filter((t) => t.id !== id);
      if (id === active) setActive(next[Math.max(0, i - 1)]!.id);
      return next;
    });
  };
  const nextTitle = () => {
    let n = tabs.length + 1;
    while (tabs.some((t) => t.title === `Query ${n}`)) n++;
    return `Query ${n}`;
  };

  // ?q=... (from "Query in SQL editor") opens a new tab with that statement
  useEffect(() => {
    const q = new URLSearchParams(window.location.search).get('q');
    if (q) {
      openTab({ title: nextTitle(), sql: q, params: {} });
      window.history.replaceState(null, '', '/sql');
    }
  }, []);

  const execute = useCallback(
    async (t: EditorTab, statement: string) => {
      if (!statement.trim()) {
        setNotice({ text: 'Nothing to run: write a statement first.', error: true });
        return;
      }
      const names = parameterNames(statement);
      const missing = names.filter((n) => (t.params[n] ?? '') === '');
      if (missing.length) {
        setNotice({
          text: `Give a value for ${missing.map((m) => `:${m}`).join(', ')} above the results.`,
          error: true,
        });
        return;
      }
      setNotice(null);
      const handle = new StatementHandle();
      const started = Date.now();
      setRuns((r) => ({ ...r, [t.id]: { status: 'running', statement, started, handle, progress: 'Submitting…' } }));
      try {
        const result = await runStatement(statement, {
          handle,
          params: names.map((n) => ({ name: n, value: t.params[n]! })),
          onProgress: (state, info) =>
            setRuns((r) =>
              r[t.id]?.handle === handle
                ? {
                    ...r,
                    [t.id]: {
                      ...r[t.id]!,
                      progress:
                        state === 'FETCHING'
                          ? `Fetching rows… ${info.rows?.toLocaleString()} of ${info.total?.toLocaleString()}`
                          : state === 'RUNNING'
                            ? 'Running…'
                            : 'Waiting to start…',
                    },
                  }
                : r,
            ),
        });
        const finished = Date.now();
        setRuns((r) =>
          r[t.id]?.handle === handle ? { ...r, [t.id]: { status: 'done', statement, started, finished, result } } : r,
        );
        setHistory((h) =>
          [{ sql: statement, at: started, ms: finished - started, ok: true, rows: result.rows.length }, ...h].slice(
            0,
            100,
          ),
        );
        if (/^\s*(create|drop|alter)\b/i.test(statement)) cache.clear();
      } catch (error) {
        const finished = Date.now();
        const canceled = handle.canceled;
        setRuns((r) =>
          r[t.id]?.handle === handle
            ? { ...r, [t.id]: { status: canceled ? 'canceled' : 'error', statement, started, finished, error } }
            : r,
        );
        setHistory((h) =>
          [
            {
              sql: statement,
              at: started,
              ms: finished - started,
              ok: false,
              error: canceled ? 'canceled' : messageOf(error),
            },
            ...h,
          ].slice(0, 100),
        );
      }
    },
    [cache],
  );

  const runCurrent = useCallback(
    (v?: EditorView) => {
      const ed = v ?? views.current.get(tab.id);
      if (!ed) return;
      const { text } = statementAt(ed.state);
      void execute(tabsRef.current.find((t) => t.id === tab.id) ?? tab, text);
    },
    [tab, execute],
  );
  const tabsRef = useRef(tabs);
  tabsRef.current = tabs;

  // keyboard: Alt+N new tab, Alt+W close, Alt+1..9 switch
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.code === 'KeyN') {
        e.preventDefault();
        openTab({ title: nextTitle(), sql: '', params: {} });
      } else if (e.code === 'KeyW') {
        e.preventDefault();
        closeTab(active);
      } else if (/^Digit[1-9]$/.test(e.code)) {
        const t = tabs[Number(e.code.slice(5)) - 1];
        if (t) {
          e.preventDefault();
          setActive(t.id);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const params = parameterNames(tab.sql);
  const save = async (name?: string) => {
    try {
      const body = { name: name ?? tab.title, sql: tab.sql, chart: tab.chart ?? null };
      if (tab.savedId) {
        await api.patch(`${QUERIES}/${tab.savedId}`, body);
        update(tab.id, { title: body.name });
      } else {
        const q = await api.post<SavedQuery>(QUERIES, body);
        update(tab.id, { savedId: q.id, title: q.name });
      }
      setSaving(null);
      setNotice({ text: `Saved “${body.name}”.` });
      reloadSaved();
    } catch (e) {
      setNotice({ text: messageOf(e), error: true });
    }
  };
  const openSaved = (q: SavedQuery) => {
    const open = tabs.find((t) => t.savedId === q.id);
    if (open) return setActive(open.id);
    openTab({ title: q.name, sql: q.sql, savedId: q.id, chart: q.chart, params: {} });
    if (q.chart) setView('chart');
  };
  const deleteSaved = async (q: SavedQuery) => {
    if (!window.confirm(`Delete the saved query “${q.name}”?`)) return;
    try {
      await api.del(`${QUERIES}/${q.id}`);
      setTabs((ts) => ts.map((t) => (t.savedId === q.id ? { ...t, savedId: undefined } : t)));
      reloadSaved();
    } catch (e) {
      setNotice({ text: messageOf(e), error: true });
    }
  };

  const result = run?.status === 'done' ? run.result : undefined;
  const chart = tab.chart ?? (result ? defaultChart(result.columns) : null);

  return (
    <div className="sql-page">
      <aside className="sidebar sql-side">
        <Tabs
          tabs={[
            { key: 'saved', label: 'Saved' },
            { key: 'history', label: 'History' },
          ]}
          active={side}
          onChange={setSide}
        />
        {side === 'saved' && (
          <div className="side-list" data-testid="saved-list">
            <ErrorBox error={savedError} />
            {saved?.length === 0 && (
              <div className="tree-note">
                No saved queries yet. Write one and press Save; <code>:name</code> parameters become inputs.
              </div>
            )}
            {saved?.map((q) => (
              <div key={q.id} className={`side-item${tab.savedId === q.id ? ' active' : ''}`}>
                <button className="side-link" onClick={() => openSaved(q)} title={q.sql}>
                  <span className="side-title">{q.name}</span>
                  <span className="muted small">{formatTime(q.updated_at)}</span>
                </button>
                <button
                  className="chip-x"
                  title="Delete"
                  aria-label={`Delete ${q.name}`}
                  onClick={() => void deleteSaved(q)}
                >
                  ×
                </button>
              </div>
            ))}
          </div>
        )}
        {side === 'history' && (
          <div className="side-list" data-testid="history-list">
            {history.length === 0 && <div className="tree-note">Statements you run appear here.</div>}
            {history.map((h, i) => (
              <button
                key={i}
                className="side-link history"
                title="Open in a new tab"
                onClick={() => openTab({ title: nextTitle(), sql: h.sql, params: { ...tab.params } })}
              >
                <span className={`dot ${h.ok ? 'ok' : 'bad'}`} />
                <span className="side-sql">{h.sql}</span>
                <span className="muted small">
                  {formatTime(h.at)} · {(h.ms / 1000).toFixed(1)} s{h.ok ? ` · ${h.rows} rows` : ` · ${h.error}`}
                </span>
              </button>
            ))}
            {history.length > 0 && (
              <button className="btn small ghost" onClick={() => setHistory([])}>
                Clear history
              </button>
            )}
          </div>
        )}
      </aside>
      <section className="sql-main">
        <div className="editor-tabs" role="tablist">
          {tabs.map((t, i) => (
            <div
              key={t.id}
              className={`editor-tab${t.id === tab.id ? ' active' : ''}`}
              role="tab"
              aria-selected={t.id === tab.id}
            >
              <button className="editor-tab-title" onClick={() => setActive(t.id)} title={`${t.title} (Alt+${i + 1})`}>
                {runs[t.id]?.status === 'running' && <span className="spinner tiny" />}
                {t.title}
              </button>
              <button className="chip-x" aria-label={`Close ${t.title}`} onClick={() => closeTab(t.id)}>
                ×
              </button>
            </div>
          ))}
          <button
            className="editor-tab-add"
            title="New tab (Alt+N)"
            aria-label="New tab"
            onClick={() => openTab({ title: nextTitle(), sql: '', params: {} })}
          >
            +
          </button>
        </div>
        <div className="editor-box">
          {tabs.map((t) => (
            <TabEditor
              key={t.id}
              tab={t}
              visible={t.id === tab.id}
              cache={cache}
              onChange={(sql) => update(t.id, { sql })}
              onRun={(v) => {
                const cur = tabsRef.current.find((x) => x.id === t.id) ?? t;
                void execute(cur, statementAt(v.state).text);
              }}
              viewRef={(v) => (v ? views.current.set(t.id, v) : views.current.delete(t.id))}
            />
          ))}
        </div>
        <div className="run-bar">
          {run?.status === 'running' ? (
            <button className="btn danger" onClick={() => void run.handle?.cancel()}>
              Cancel
            </button>
          ) : (
            <button
              className="btn primary"
              onClick={() => runCurrent()}
              title="Run the statement at the cursor, or the selection"
            >
              ▶ Run
            </button>
          )}
          <span className="muted small kbd-hint">Ctrl/⌘+Enter runs the statement at the cursor or the selection</span>
          <span className="grow" />
          {saving ? (
            <form
              className="row gap"
              onSubmit={(e) => {
                e.preventDefault();
                void save(saving.name.trim() || tab.title);
              }}
            >
              <input
                autoFocus
                aria-label="Query name"
                value={saving.name}
                onChange={(e) => setSaving({ name: e.target.value })}
                placeholder="Query name"
              />
              <button className="btn primary">Save</button>
              <button type="button" className="btn ghost" onClick={() => setSaving(null)}>
                Cancel
              </button>
            </form>
          ) : (
            <button
              className="btn"
              onClick={() => (tab.savedId ? void save(tab.title) : setSaving({ name: tab.title }))}
            >
              {tab.savedId ? 'Save' : 'Save…'}
            </button>
          )}
          <button className="btn" disabled={!result} onClick={() => result && downloadCsv(result, tab.title)}>
            Download CSV
          </button>
        </div>
        {params.length > 0 && (
          <div className="params" data-testid="params">
            {params.map((p) => (
              <label key={p} className="param">
                <span className="mono">:{p}</span>
                <input
                  aria-label={`Parameter ${p}`}
                  value={tab.params[p] ?? ''}
                  onChange={(e) => update(tab.id, { params: { ...tab.params, [p]: e.target.value } })}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') runCurrent();
                  }}
                />
              </label>
            ))}
          </div>
        )}
        {notice && (
          <div className={notice.error ? 'error' : 'notice'} role={notice.error ? 'alert' : 'status'}>
            {notice.text}
          </div>
        )}
        <div className="results">
          {!run && <Empty title="No results yet">Write a statement above and press Ctrl/⌘+Enter (or Run).</Empty>}
          {run?.status === 'running' && (
            <div className="loading" role="status">
              <span className="spinner" /> {run.progress} <Elapsed since={run.started} />
            </div>
          )}
          {(run?.status === 'error' || run?.status === 'canceled') && (
            <div>
              <ErrorBox error={run.error} title={run.status === 'canceled' ? 'Canceled' : 'The statement failed'} />
            </div>
          )}
          {result && run && (
            <>
              <div className="row gap results-head">
                <Tabs
                  tabs={[
                    { key: 'results', label: 'Results' },
                    { key: 'chart', label: 'Chart' },
                  ]}
                  active={view}
                  onChange={setView}
                />
                <span className="grow" />
                <span className="muted small" data-testid="run-info">
                  {result.rows.length.toLocaleString()} rows{result.truncated ? ' (truncated)' : ''} in{' '}
                  <Elapsed since={run.started} until={run.finished} />
                </span>
              </div>
              {view === 'results' && (
                <ResultGrid columns={result.columns} rows={result.rows} testId="result-grid" height="100%" />
              )}
              {view === 'chart' && chart && (
                <ChartBuilder
                  columns={result.columns}
                  rows={result.rows}
                  config={chart}
                  onChange={(c) => update(tab.id, { chart: c })}
                />
              )}
            </>
          )}
        </div>
      </section>
    </div>
  );
}
