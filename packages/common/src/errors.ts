/**
 * The one error type every Lakebox package throws for anything a user can cause.
 *
 * `code` follows the Spark / Databricks error class where one exists (for example
 * `DELTA_VERSION_NOT_FOUND`, `TABLE_OR_VIEW_NOT_FOUND`, `PARSE_SYNTAX_ERROR`), so clients that
 * switch on error classes keep working. `sqlState` is the five-character SQLSTATE when known.
 * Servers turn a LakeboxError into a clean response (status from `httpStatus`); anything else is
 * an internal error and is logged, never shown to users with its stack.
 */
export class LakeboxError extends Error {
  readonly code: string;
  readonly sqlState: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly httpStatus: number;

  constructor(
    code: string,
    message: string,
    opts: { sqlState?: string; details?: Record<string, unknown>; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LakeboxError';
    this.code = code;
    this.sqlState = opts.sqlState;
    this.details = opts.details;
    this.httpStatus = opts.httpStatus ?? 400;
  }

  toJSON(): Record<string, unknown> {
    return {
      error_code: this.code,
      message: this.message,
      ...(this.sqlState ? { sql_state: this.sqlState } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isLakeboxError(e: unknown, code?: string): e is LakeboxError {
  return e instanceof LakeboxError && (code === undefined || e.code === code);
}

/** Render any thrown value as a one-line message fit for a user (no stack traces). */
export function userMessage(e: unknown): string {
  if (e instanceof LakeboxError) return `[${e.code}] ${e.message}`;
  if (e instanceof Error) return `[INTERNAL_ERROR] ${e.message}`;
  return `[INTERNAL_ERROR] ${String(e)}`;
}
