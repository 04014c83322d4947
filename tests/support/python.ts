import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { REPO_ROOT, cacheDir } from './repo.js';

/** The project's virtualenv interpreter (created by `bash scripts/python-env.sh`). */
export function venvPython(): string {
  const py = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!existsSync(py)) {
    throw new Error(`no Python virtualenv at ${py}: run \`bash scripts/python-env.sh\` first`);
  }
  return py;
}

export class PeerError extends Error {
  constructor(
    readonly op: string,
    message: string,
    readonly type: string,
  ) {
    super(`${op}: ${type}: ${message}`);
    this.name = 'PeerError';
  }
}

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A long-lived Python peer process (tests/peers/<script> serve) speaking JSON lines: requests on
 * its stdin, responses on its file descriptor 3. One process per test file, so a JVM started
 * for Spark is paid for once. Its stderr is kept (last 64 KiB) for failure messages.
 */
export class PythonPeer {
  private readonly proc: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private exited: string | undefined;

  private constructor(script: string, env: Record<string, string>) {
    this.proc = spawn(venvPython(), [path.join(REPO_ROOT, 'tests', 'peers', script), 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PYTHONUNBUFFERED: '1',
        LAKEBOX_IVY_DIR: process.env.LAKEBOX_IVY_DIR ?? cacheDir('ivy'),
        // Spark binds to loopback only.
        SPARK_LOCAL_IP: '127.0.0.1',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-65536);
      if (process.env.LAKEBOX_PEER_LOG) process.stderr.write(chunk);
    };
    (this.proc.stdout as Readable).on('data', keep);
    (this.proc.stderr as Readable).on('data', keep);
    const responses = createInterface({ input: this.proc.stdio[3] as Readable });
    responses.on('line', (line) => {
      let msg: { id: number; ok: boolean; result?: unknown; error?: string; type?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new PeerError(p.op, msg.error ?? 'failed', msg.type ?? 'Error'));
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = `exited with ${signal ?? code}`;
      for (const p of this.pending.values()) {
        p.reject(new Error(`python peer ${this.exited} during ${p.op}\n${this.stderrTail.slice(-8000)}`));
      }
      this.pending.clear();
    });
  }

  static start(script = 'delta_peer.py', env: Record<string, string> = {}): PythonPeer {
    return new PythonPeer(script, env);
  }

  /** Send one request; resolves with its result, rejects with a PeerError carrying the peer's message. */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`python peer ${this.exited}\n${this.stderrTail.slice(-8000)}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      (this.proc.stdin as Writable).write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  /** The last lines the peer wrote to stdout/stderr (for diagnosing a failure). */
  log(): string {
    return this.stderrTail;
  }

  /** Close stdin and wait for the process to stop (the Spark session is stopped cleanly). */
  async close(timeoutMs = 60_000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    (this.proc.stdin as Writable).end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await done;
    clearTimeout(timer);
  }
}
