/**
 * The `_delta_log` directory: naming of commit and checkpoint files, listing, and parsing of
 * commit files (newline-delimited JSON actions).
 */
import { LakeboxError } from '@lakebox/common';
import type { Action, LastCheckpoint } from './actions.js';
import type { ObjectMeta, ObjectStore } from './storage.js';

export const LOG_DIR = '_delta_log/';

export function padVersion(version: number): string {
  return String(version).padStart(20, '0');
}

export function commitPath(version: number): string {
  return `${LOG_DIR}${padVersion(version)}.json`;
}

export type LogFile =
  | { kind: 'commit'; version: number; meta: ObjectMeta }
  | { kind: 'checkpoint'; version: number; meta: ObjectMeta; part: number; parts: number; v2: false }
  | { kind: 'checkpoint'; version: number; meta: ObjectMeta; part: 1; parts: 1; v2: true; format: 'json' | 'parquet' }
  | { kind: 'crc'; version: number; meta: ObjectMeta }
  | { kind: 'other'; meta: ObjectMeta };

const COMMIT_RE = /^(\d{20})\.json$/;
const CLASSIC_CP_RE = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART_CP_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2_CP_RE = /^(\d{20})\.checkpoint\.[^.]+\.(json|parquet)$/;
const CRC_RE = /^(\d{20})\.crc$/;

/** Classify one `_delta_log/` object by its name. */
export function classifyLogFile(meta: ObjectMeta): LogFile {
  const name = meta.path.slice(meta.path.lastIndexOf('/') + 1);
  if (meta.path !== LOG_DIR + name) return { kind: 'other', meta };
  let m = COMMIT_RE.exec(name);
  if (m) return { kind: 'commit', version: Number(m[1]), meta };
  m = CLASSIC_CP_RE.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]), meta, part: 1, parts: 1, v2: false };
  m = MULTIPART_CP_RE.exec(name);
  if (m) return { kind: 'checkpoint', version: Number(m[1]), meta, part: Number(m[2]), parts: Number(m[3]), v2: false };
  m = V2_CP_RE.exec(name);
  if (m)
    return {
      kind: 'checkpoint',
      version: Number(m[1]),
      meta,
      part: 1,
      parts: 1,
      v2: true,
      format: m[2] as 'json' | 'parquet',
    };
  m = CRC_RE.exec(name);
  if (m) return { kind: 'crc', version: Number(m[1]), meta };
  return { kind: 'other', meta };
}

/** A checkpoint whose files are all present (all parts of a multi-part one). */
export interface CheckpointInstance {
  version: number;
  files: ObjectMeta[];
  kind: 'classic' | 'multipart' | 'v2';
  format: 'json' | 'parquet';
}

export interface LogListing {
  commits: Map<number, ObjectMeta>;
  /** Complete checkpoints, ascending by version. */
  checkpoints: CheckpointInstance[];
  /** Multi-part checkpoints with missing parts: version -> missing file names. */
  incompleteCheckpoints: Map<number, string[]>;
  /** True when the listing started at a version > 0 (files before it were not listed). */
  partial: boolean;
}

/** List `_delta_log/` once (optionally only from `fromVersion` on) and group its files. */
export async function listLog(store: ObjectStore, fromVersion = 0): Promise<LogListing> {
  const startAfter = fromVersion > 0 ? `${LOG_DIR}${padVersion(fromVersion - 1)}.~` : undefined;
  const objects = await store.list(LOG_DIR, startAfter === undefined ? {} : { startAfter });
  const commits = new Map<number, ObjectMeta>();
  const parts = new Map<string, { version: number; parts: number; files: Map<number, ObjectMeta> }>();
  const v2: CheckpointInstance[] = [];
  for (const meta of objects) {
    const f = classifyLogFile(meta);
    if (f.kind === 'commit') commits.set(f.version, meta);
    else if (f.kind === 'checkpoint') {
      if (f.v2) v2.push({ version: f.version, files: [meta], kind: 'v2', format: f.format });
      else {
        const key = `${f.version}/${f.parts}`;
        let g = parts.get(key);
        if (!g) parts.set(key, (g = { version: f.version, parts: f.parts, files: new Map() }));
        g.files.set(f.part, meta);
      }
    }
  }
  const checkpoints: CheckpointInstance[] = [...v2];
  const incompleteCheckpoints = new Map<number, string[]>();
  for (const g of parts.values()) {
    if (g.files.size === g.parts) {
      const files = [...g.files.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
      checkpoints.push({ version: g.version, files, kind: g.parts === 1 ? 'classic' : 'multipart', format: 'parquet' });
    } else {
      const missing: string[] = [];
      for (let i = 1; i <= g.parts; i++) {
        if (!g.files.has(i)) missing.push(multipartCheckpointPath(g.version, i, g.parts));
      }
      incompleteCheckpoints.set(g.version, missing);
    }
  }
  // Prefer, for one version, a classic/multipart checkpoint over a V2 one only when both exist
  // (they hold the same state); keep ascending order.
  checkpoints.sort((a, b) => a.version - b.version || (a.kind === 'v2' ? 1 : 0) - (b.kind === 'v2' ? 1 : 0));
  return { commits, checkpoints, incompleteCheckpoints, partial: fromVersion > 0 };
}

export function multipartCheckpointPath(version: number, part: number, parts: number): string {
  return `${LOG_DIR}${padVersion(version)}.checkpoint.${String(part).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`;
}

/** `_delta_log/_last_checkpoint`, or undefined when absent or unreadable (then we list). */
export async function readLastCheckpoint(store: ObjectStore): Promise<LastCheckpoint | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(`${LOG_DIR}_last_checkpoint`);
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as LastCheckpoint;
    if (typeof v !== 'object' || v === null || !Number.isInteger(v.version) || v.version < 0) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

/** Parse the text of a commit file; `file` names it in errors. */
export function parseCommitText(text: string, file: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new LakeboxError(
        'DELTA_INVALID_LOG_FILE',
        `corrupt Delta log file ${file}: line ${i + 1} is not valid JSON (${(e as Error).message})`,
        { details: { path: file, line: i + 1 }, cause: e },
      );
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new LakeboxError(
        'DELTA_INVALID_LOG_FILE',
        `corrupt Delta log file ${file}: line ${i + 1} is not a JSON object`,
        {
          details: { path: file, line: i + 1 },
        },
      );
    }
    const a = obj as Action;
    validateAction(a, file, i + 1);
    actions.push(a);
  }
  return actions;
}

function validateAction(a: Action, file: string, line: number): void {
  const bad = (what: string): never => {
    throw new LakeboxError('DELTA_INVALID_LOG_FILE', `corrupt Delta log file ${file}: line ${line}: ${what}`, {
      details: { path: file, line },
    });
  };
  if (a.add !== undefined) {
    if (typeof a.add !== 'object' || a.add === null || typeof a.add.path !== 'string') bad('add action without a path');
    a.add.partitionValues ??= {};
  }
  if (
    a.remove !== undefined &&
    (typeof a.remove !== 'object' || a.remove === null || typeof a.remove.path !== 'string')
  ) {
    bad('remove action without a path');
  }
  if (a.metaData !== undefined) {
    const m = a.metaData;
    if (typeof m !== 'object' || m === null) bad('metaData action is not an object');
    m.partitionColumns ??= [];
    m.configuration ??= {};
  }
  if (a.protocol !== undefined) {
    const p = a.protocol;
    if (
      typeof p !== 'object' ||
      p === null ||
      !Number.isInteger(p.minReaderVersion) ||
      !Number.isInteger(p.minWriterVersion)
    ) {
      bad('protocol action without integer reader/writer versions');
    }
  }
  if (a.txn !== undefined && (typeof a.txn !== 'object' || a.txn === null || typeof a.txn.appId !== 'string'))
    bad('txn action without an appId');
  if (
    a.domainMetadata !== undefined &&
    (typeof a.domainMetadata !== 'object' || a.domainMetadata === null || typeof a.domainMetadata.domain !== 'string')
  ) {
    bad('domainMetadata action without a domain');
  }
}

/** The actions of commit `version`; DELTA_VERSION_NOT_FOUND when the file is absent. */
export async function readCommit(store: ObjectStore, version: number): Promise<Action[]> {
  const file = commitPath(version);
  let bytes: Uint8Array;
  try {
    bytes = await store.get(file);
  } catch (e) {
    if (e instanceof LakeboxError && e.code === 'OBJECT_NOT_FOUND') {
      throw new LakeboxError('DELTA_VERSION_NOT_FOUND', `commit file ${file} does not exist in ${store.url}`, {
        details: { path: file, version },
        httpStatus: 404,
      });
    }
    throw e;
  }
  return parseCommitText(decodeUtf8(bytes, file), file);
}

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new LakeboxError('DELTA_INVALID_LOG_FILE', `corrupt Delta log file ${file}: not valid UTF-8`, {
      details: { path: file },
      cause: e,
    });
  }
}
