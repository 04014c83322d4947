/**
 * Audit events: one per API call and per statement, written to `system.access.audit` by the
 * server's background appender (packages/server/src/audit.ts). Any package may call `audit()`:
 * it only queues the event (never waits, never throws); without a running server it is a no-op.
 */
export interface AuditEvent {
  /** Who: a principal name (or a principal); absent for unauthenticated calls. */
  user?: string | { name: string; id?: string } | null;
  /** The surface: unityCatalog, sql, sparkConnect, mlflow, accounts (identity, login), tokens, ... */
  service: string;
  /** What: e.g. `getTable`, `executeStatement`, `login`, `GET /api/2.1/unity-catalog/tables/:full_name`. */
  action: string;
  /** false when authentication or authorization refused the call. */
  allowed: boolean;
  /** HTTP status, or the surface's equivalent (200 ok, 401, 403, 4xx/5xx errors). */
  status?: number;
  /** Error class / message when the call failed (never secrets or data). */
  errorCode?: string | null;
  errorMessage?: string | null;
  /** The securable the call touched: TABLE / SCHEMA / CATALOG / ... and its full name. */
  objectType?: string | null;
  objectName?: string | null;
  requestId?: string | null;
  sourceIp?: string | null;
  userAgent?: string | null;
  /** Small string parameters (never tokens or passwords; statement text is fine). */
  params?: Record<string, string>;
  /** ms since the epoch; default: now. */
  time?: number;
}

export type AuditSink = (event: AuditEvent) => void;

const sinks = new Set<AuditSink>();

/**
 * Record an audit event. Returns at once: the event goes to every installed sink (the server's
 * Delta appender). Errors in a sink are swallowed: auditing must never fail the audited call.
 */
export function audit(event: AuditEvent): void {
  const e = event.time === undefined ? { ...event, time: Date.now() } : event;
  for (const s of sinks) {
    try {
      s(e);
    } catch {
      // a sink logs its own failures
    }
  }
}

/** Install a sink; returns a function that removes it. */
export function addAuditSink(sink: AuditSink): () => void {
  sinks.add(sink);
  return () => {
    sinks.delete(sink);
  };
}

/** The principal name of an event's `user`. */
export function auditUserName(user: AuditEvent['user']): string | null {
  if (user === undefined || user === null) return null;
  return typeof user === 'string' ? user : user.name;
}
