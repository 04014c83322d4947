// The one HTTP client of the web workspace: every call goes to Lakebox's public APIs with the
// signed-in token, and every failure becomes an ApiError carrying the server's own message.

const TOKEN_KEY = 'lakebox.token';
/** The stored credential when the user signed in with a password: the session cookie does the rest. */
export const SESSION = 'session';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

/** An access token, SESSION (signed in with a password: cookie + CSRF header), or null. */
export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

function cookie(name: string): string | undefined {
  const m = document.cookie.split(/;\s*/).find((c) => c.startsWith(`${name}=`));
  return m ? decodeURIComponent(m.slice(name.length + 1)) : undefined;
}

/** The headers that authenticate a request: a bearer token, or the session's CSRF token for writes. */
export function authHeaders(method = 'GET'): Record<string, string> {
  const token = getToken();
  if (!token) return {};
  if (token === SESSION) {
    const csrf = cookie('lakebox_csrf');
    return method !== 'GET' && method !== 'HEAD' && csrf ? { 'x-csrf-token': csrf } : {};
  }
  return { authorization: `Bearer ${token}` };
}

/** End the session (password sign-in) and forget the credential. */
export async function signOut(): Promise<void> {
  if (getToken() === SESSION)
    await fetch('/api/2.0/lakebox/logout', {
      method: 'POST',
      headers: authHeaders('POST'),
      credentials: 'same-origin',
    }).catch(() => {});
  setToken(null);
}
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('lakebox-auth'));
}

/** A message fit for a person from any failed response body (JSON error, text, or nothing). */
async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let message = '';
  let code = `HTTP_${res.status}`;
  try {
    const j = JSON.parse(text) as { message?: unknown; error_code?: unknown; error?: unknown };
    if (typeof j.message === 'string') message = j.message;
    else if (typeof j.error === 'string') message = j.error;
    if (typeof j.error_code === 'string') code = j.error_code;
  } catch {
    if (text && !text.trimStart().startsWith('<') && text.length < 500) message = text.trim();
  }
  if (!message) message = `The server answered ${res.status} ${res.statusText || ''}`.trim();
  return new ApiError(message, res.status, code);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  raw?: boolean;
}

export async function request<T = any>(path: string, opts: RequestOptions = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const method = opts.method ?? (opts.body !== undefined ? 'POST' : 'GET');
  const token = getToken();
  const headers: Record<string, string> = authHeaders(method);
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
      credentials: 'same-origin',
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('Cannot reach the Lakebox server. Is `lakebox start` running?', 0, 'NETWORK');
  }
  if (res.status === 401 && token) {
    const err = await errorFrom(res);
    setToken(null);
    throw err;
  }
  if (!res.ok) throw await errorFrom(res);
  if (opts.raw) return res as unknown as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

export const api = {
  get: <T = any>(path: string, query?: RequestOptions['query']) => request<T>(path, { query }),
  post: <T = any>(path: string, body: unknown = {}) => request<T>(path, { method: 'POST', body }),
  patch: <T = any>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T = any>(path: string, body?: unknown) => request<T>(path, { method: 'DELETE', body }),
};

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export const UC = '/api/2.1/unity-catalog';
export const MLFLOW = '/ajax-api/2.0/mlflow';
export const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';
