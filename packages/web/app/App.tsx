import { lazy, Suspense, useEffect, useState, useSyncExternalStore } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { SESSION, api, getToken, setToken, signOut } from './api';
import { SignIn } from './SignIn';
import { Explorer } from './explorer/Explorer';
import { Spinner } from './ui';

// Heavy pages load on demand: the SQL editor brings CodeMirror, the ML pages bring the charts.
const SqlPage = lazy(() => import('./sql/SqlPage'));
const Experiments = lazy(() => import('./ml/Experiments'));
const ExperimentPage = lazy(() => import('./ml/ExperimentPage'));
const RunPage = lazy(() => import('./ml/RunPage'));
const ComparePage = lazy(() => import('./ml/ComparePage'));
const Models = lazy(() => import('./ml/Models'));
const ModelPage = lazy(() => import('./ml/ModelPage'));

function subscribe(cb: () => void) {
  window.addEventListener('lakebox-auth', cb);
  window.addEventListener('storage', cb);
  return () => {
    window.removeEventListener('lakebox-auth', cb);
    window.removeEventListener('storage', cb);
  };
}

const SECTIONS = [
  { href: '/explore', label: 'Data' },
  { href: '/sql', label: 'SQL editor' },
  { href: '/experiments', label: 'Experiments' },
  { href: '/models', label: 'Models' },
];

function TopBar() {
  const [location] = useLocation();
  const [me, setMe] = useState<string>('');
  useEffect(() => {
    api.get<{ userName?: string; displayName?: string }>('/api/2.0/preview/scim/v2/Me').then(
      (m) => setMe(m.displayName || m.userName || ''),
      () => setMe(''),
    );
  }, []);
  return (
    <header className="topbar">
      <Link href="/explore" className="brand">
        <span className="logo" /> Lakebox
      </Link>
      <nav>
        {SECTIONS.map((s) => (
          <Link key={s.href} href={s.href} className={location.startsWith(s.href) ? 'nav active' : 'nav'}>
            {s.label}
          </Link>
        ))}
      </nav>
      <span className="grow" />
      {me && (
        <span className="muted user" data-testid="whoami">
          {me}
        </span>
      )}
      <button className="btn small ghost" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}

export function App() {
  const token = useSyncExternalStore(subscribe, getToken);
  // A session cookie from an earlier password sign-in (e.g. another tab) signs this tab in too.
  const [probed, setProbed] = useState(!!token);
  useEffect(() => {
    if (token || probed) return;
    fetch('/api/2.0/preview/scim/v2/Me', { credentials: 'same-origin' })
      .then((r) => r.ok && setToken(SESSION))
      .catch(() => {})
      .finally(() => setProbed(true));
  }, [token, probed]);
  if (!token && !probed) return <Spinner label="Connecting to Lakebox…" />;
  if (!token) return <SignIn />;
  return (
    <div className="app">
      <TopBar />
      <main className="main">
        <Suspense fallback={<Spinner />}>
          <Switch>
            <Route path="/">
              <Redirect to="/explore" />
            </Route>
            <Route path="/explore" nest>
              <Explorer />
            </Route>
            <Route path="/sql">
              <SqlPage />
            </Route>
            <Route path="/experiments">
              <Experiments />
            </Route>
            <Route path="/experiments/:id/compare">{(p) => <ComparePage experimentId={p.id} />}</Route>
            <Route path="/experiments/:id/runs/:runId">{(p) => <RunPage experimentId={p.id} runId={p.runId} />}</Route>
            <Route path="/experiments/:id">{(p) => <ExperimentPage experimentId={p.id} />}</Route>
            <Route path="/models">
              <Models />
            </Route>
            <Route path="/models/:name">{(p) => <ModelPage name={decodeURIComponent(p.name)} />}</Route>
            <Route>
              <div className="page">
                <h1>Page not found</h1>
                <p>
                  There is nothing at this address. Go to the <Link href="/explore">data explorer</Link>.
                </p>
              </div>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}
