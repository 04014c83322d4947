import { useState } from 'react';
import { ApiError, SESSION, setToken } from './api';
import { ErrorBox, Tabs } from './ui';

async function failure(res: Response, prefix: string): Promise<ApiError> {
  const body = await res.json().catch(() => ({}));
  const message = typeof body.message === 'string' ? body.message : `the server answered ${res.status}`;
  if (res.status === 429) {
    const wait = res.headers.get('retry-after');
    return new ApiError(
      `Too many failed attempts: try again${wait ? ` in ${wait} s` : ' later'}.`,
      429,
      'RATE_LIMITED',
    );
  }
  return new ApiError(`${prefix}: ${message}`, res.status, body.error_code ?? '');
}

const unreachable = () => new Error('Cannot reach the Lakebox server. Is `lakebox start` running?');

/**
 * Sign-in with a user name and password (a session cookie), or with an access token (the
 * administrator's token printed by the first `lakebox start`, or one from `lakebox token create`),
 * kept in this tab's sessionStorage only.
 */
export function SignIn() {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (mode === 'token' && !token.trim()) return setError(new Error('Paste an access token first.'));
    if (mode === 'password' && (!user.trim() || !password))
      return setError(new Error('Type your user name and password.'));
    setBusy(true);
    try {
      if (mode === 'token') {
        const t = token.trim();
        const res = await fetch('/api/2.0/preview/scim/v2/Me', { headers: { authorization: `Bearer ${t}` } });
        if (!res.ok) throw await failure(res, 'This token was not accepted');
        setToken(t);
      } else {
        const res = await fetch('/api/2.0/lakebox/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_name: user.trim(), password }),
          credentials: 'same-origin',
        });
        if (!res.ok) throw await failure(res, 'Sign-in failed');
        setToken(SESSION);
      }
    } catch (err) {
      setError(err instanceof TypeError ? unreachable() : err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit}>
        <div className="brand big">
          <span className="logo" /> Lakebox
        </div>
        <h1>Sign in</h1>
        <Tabs
          tabs={[
            { key: 'password', label: 'Password' },
            { key: 'token', label: 'Access token' },
          ]}
          active={mode}
          onChange={(m) => {
            setMode(m);
            setError(undefined);
          }}
        />
        {mode === 'password' ? (
          <>
            <label htmlFor="user">User name</label>
            <input
              id="user"
              name="user"
              autoComplete="username"
              autoFocus
              value={user}
              onChange={(e) => setUser(e.target.value)}
            />
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <p className="muted small">
              No password yet? Sign in with an access token; an administrator sets passwords through SCIM.
            </p>
          </>
        ) : (
          <>
            <label htmlFor="token">Access token</label>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="off"
              autoFocus
              placeholder="lbx_…"
              value={token}
              onChange={(e) => setValue(e.target.value)}
            />
            <p className="muted small">
              The first <code>lakebox start</code> printed the administrator&apos;s token; others come from{' '}
              <code>lakebox token create</code>. It is kept in this browser tab only.
            </p>
          </>
        )}
        <ErrorBox error={error} />
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
