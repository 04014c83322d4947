import { useState } from 'react';
import { ApiError, setToken } from './api';
import { ErrorBox } from './ui';

/**
 * Sign-in with an access token (the administrator's token printed by the first `lakebox start`, or
 * one from `lakebox token create`). The token stays in this tab's sessionStorage only.
 */
export function SignIn() {
  const [token, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError(new Error('Paste an access token first.'));
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch('/api/2.0/preview/scim/v2/Me', { headers: { authorization: `Bearer ${t}` } });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new ApiError(
          res.status === 401
            ? `This token was not accepted: ${body.message ?? 'unknown token'}`
            : (body.message ?? `The server answered ${res.status}`),
          res.status,
          body.error_code ?? '',
        );
      }
      setToken(t);
    } catch (err) {
      setError(
        err instanceof TypeError ? new Error('Cannot reach the Lakebox server. Is `lakebox start` running?') : err,
      );
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
        <p className="muted">
          Paste an access token. The first <code>lakebox start</code> printed the administrator&apos;s token; others
          come from <code>lakebox token create</code>.
        </p>
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
        <ErrorBox error={error} />
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">The token is kept in this browser tab only and forgotten when you close it.</p>
      </form>
    </div>
  );
}
