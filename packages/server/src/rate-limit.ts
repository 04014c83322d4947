import { LakeboxError } from '@lakebox/common';

/**
 * Counts failed authentication attempts per key (an IP address, a user name) in a fixed window
 * and blocks a key that reaches `maxFailures` until its window ends. Only failures count, so a
 * user who signs in correctly is never slowed down; a success clears the user's count.
 *
 * Hand-written rather than @fastify/rate-limit because that plugin counts requests, not failed
 * credentials, and knows nothing of the user name inside a login body.
 */
export class FailureLimiter {
  private readonly entries = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it is not blocked. */
  retryAfter(key: string, now: number = Date.now()): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (e.resetAt <= now) {
      this.entries.delete(key);
      return 0;
    }
    return e.count >= this.maxFailures ? Math.max(1, Math.ceil((e.resetAt - now) / 1000)) : 0;
  }

  fail(key: string, now: number = Date.now()): void {
    let e = this.entries.get(key);
    if (!e || e.resetAt <= now) {
      if (this.entries.size >= this.maxKeys) this.prune(now);
      e = { count: 0, resetAt: now + this.windowMs };
      this.entries.set(key, e);
    }
    e.count++;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (e.resetAt <= now) this.entries.delete(k);
    // Still full (an attack from very many addresses): forget the oldest half rather than grow.
    if (this.entries.size >= this.maxKeys) {
      let n = Math.floor(this.entries.size / 2);
      for (const k of this.entries.keys()) {
        if (n-- <= 0) break;
        this.entries.delete(k);
      }
    }
  }
}

/** The 429 answer for a blocked key; the auth hook sets Retry-After from `details.retryAfter`. */
export function tooManyAttempts(retryAfter: number): LakeboxError {
  return new LakeboxError(
    'REQUEST_LIMIT_EXCEEDED',
    `too many failed authentication attempts; try again in ${retryAfter} s`,
    { httpStatus: 429, details: { retryAfter } },
  );
}

export interface SecurityLimits {
  /** Failed logins per IP and per user name in `windowMs` before 429 (default 10). */
  loginMaxFailures: number;
  /** Requests with a bad token or session per IP in `windowMs` before 429 (default 30). */
  tokenMaxFailures: number;
  /** Window in ms (default 5 minutes). */
  windowMs: number;
}

export const DEFAULT_SECURITY_LIMITS: SecurityLimits = {
  loginMaxFailures: 10,
  tokenMaxFailures: 30,
  windowMs: 5 * 60_000,
};
