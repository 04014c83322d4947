/**
 * Bad input on the read side: every damaged table gives a typed LakeboxError that names the file
 * (or feature) at fault, never a crash or a silently wrong answer. Cases are built in temp dirs
 * from copies of golden tables (the fixtures themselves stay read-only).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { commitPath, multipartCheckpointPath } from '../src/log.js';
import { readCommit } from '../src/log.js';
import { readRows } from '../src/scan.js';
import { loadSnapshot, tableStore } from '../src/snapshot.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLDEN = path.resolve(repo, '../shared/fixtures/delta-golden');
let tmp: string;

async function chmodTree(p: string): Promise<void> {
  const st = await fs.stat(p);
  await fs.chmod(p, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of await fs.readdir(p)) await chmodTree(path.join(p, e));
}
/** A writable copy of a golden table's delta/ directory. */
async function copyTable(name: string): Promise<string> {
  const dst = path.join(tmp, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await fs.cp(path.join(GOLDEN, name, 'delta'), dst, { recursive: true });
  await chmodTree(dst);
  return dst;
}
async function failure(p: Promise<unknown>): Promise<LakeboxError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LakeboxError) return e;
    throw new Error(`expected a LakeboxError, got: ${String(e)}`);
  }
  throw new Error('expected a failure, got a result');
}
const sortedIds = (rows: Record<string, unknown>[]): string[] =>
  rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lakebox-bad-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('bad input on the read side', () => {
  it('a commit file with a corrupt line names the file and line', async () => {
    const t = await copyTable('basic-with-inserts-updates');
    await fs.appendFile(path.join(t, commitPath(1)), '{"add": {"path": "x", oops\n');
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_INVALID_LOG_FILE');
    expect(e.message).toContain('_delta_log/00000000000000000001.json');
    expect(e.message).toMatch(/line \d+/);
  });

  it('a truncated commit file names the file', async () => {
    const t = await copyTable('basic-with-inserts-updates');
    const f = path.join(t, commitPath(1));
    const text = await fs.readFile(f, 'utf8');
    await fs.writeFile(f, text.slice(0, Math.floor(text.length / 2)));
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_INVALID_LOG_FILE');
    expect(e.message).toContain('00000000000000000001.json');
    const e2 = await failure(readCommit(tableStore(t), 1));
    expect(e2.code).toBe('DELTA_INVALID_LOG_FILE');
  });

  it('an action with the wrong shape is refused', async () => {
    const t = await copyTable('basic-with-inserts-updates');
    await fs.appendFile(path.join(t, commitPath(1)), '\n{"add": {"size": 3}}\n');
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_INVALID_LOG_FILE');
    expect(e.message).toMatch(/00000000000000000001\.json.*add action without a path/);
  });

  it('non-contiguous versions name the missing commit', async () => {
    const t = await copyTable('data-skipping-change-stats-collected-across-versions');
    await fs.rm(path.join(t, commitPath(2)));
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_VERSIONS_NOT_CONTIGUOUS');
    expect(e.message).toContain('_delta_log/00000000000000000002.json');
    // versions before the gap are still readable
    expect((await loadSnapshot(tableStore(t), { version: 1 })).version).toBe(1);
  });

  it('a missing checkpoint part is named when the log cannot be rebuilt without it', async () => {
    const t = await copyTable('basic-with-inserts-overwrite-restore');
    // Turn the classic checkpoint at 3 into part 1 of a 2-part checkpoint whose part 2 is lost,
    // and remove the commits it replaced (as log clean-up would).
    await fs.rename(
      path.join(t, '_delta_log/00000000000000000003.checkpoint.parquet'),
      path.join(t, multipartCheckpointPath(3, 1, 2)),
    );
    await fs.writeFile(path.join(t, '_delta_log/_last_checkpoint'), JSON.stringify({ version: 3, size: 10, parts: 2 }));
    for (const v of [0, 1, 2, 3]) await fs.rm(path.join(t, commitPath(v)));
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_MISSING_PART_FILES');
    expect(e.message).toContain('00000000000000000003.checkpoint.0000000002.0000000002.parquet');
  });

  it('with the commits still present, a missing checkpoint part falls back to the commits (same rows)', async () => {
    const original = await readRows(
      await loadSnapshot(tableStore(path.join(GOLDEN, 'basic-with-inserts-overwrite-restore', 'delta'))),
    );
    const t = await copyTable('basic-with-inserts-overwrite-restore');
    await fs.rename(
      path.join(t, '_delta_log/00000000000000000003.checkpoint.parquet'),
      path.join(t, multipartCheckpointPath(3, 1, 2)),
    );
    await fs.writeFile(path.join(t, '_delta_log/_last_checkpoint'), JSON.stringify({ version: 3, size: 10, parts: 2 }));
    const s = await loadSnapshot(tableStore(t));
    expect(s.segment.checkpoint).toBeUndefined();
    expect(sortedIds(await readRows(s))).toEqual(sortedIds(original));
  });

  it('a corrupt _last_checkpoint falls back to listing the log', async () => {
    const t = await copyTable('125-iterator-bug');
    await fs.writeFile(path.join(t, '_delta_log/_last_checkpoint'), '{"version": 10, "si');
    const s = await loadSnapshot(tableStore(t));
    expect(s.version).toBe(11);
    expect(s.segment.checkpoint?.version).toBe(10);
  });

  it('a corrupt checkpoint file names the file', async () => {
    const t = await copyTable('125-iterator-bug');
    await fs.writeFile(path.join(t, '_delta_log/00000000000000000010.checkpoint.parquet'), 'not parquet at all');
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_INVALID_CHECKPOINT');
    expect(e.message).toContain('00000000000000000010.checkpoint.parquet');
  });

  it('an unknown reader feature is refused by name', async () => {
    const t = await copyTable('basic-with-inserts-updates');
    await fs.appendFile(
      path.join(t, commitPath(1)),
      '\n' +
        JSON.stringify({
          protocol: {
            minReaderVersion: 3,
            minWriterVersion: 7,
            readerFeatures: ['deletionVectors', 'catalogManaged'],
            writerFeatures: ['deletionVectors', 'catalogManaged'],
          },
        }) +
        '\n',
    );
    const e = await failure(loadSnapshot(tableStore(t)));
    expect(e.code).toBe('DELTA_UNSUPPORTED_FEATURES_FOR_READ');
    expect(e.message).toContain('catalogManaged');
    expect(e.message).not.toContain('deletionVectors');
  });

  it('a missing data file is a typed read error naming the file', async () => {
    const t = await copyTable('basic-with-inserts-updates');
    const s = await loadSnapshot(tableStore(t));
    const victim = s.activeFiles()[0]!.path;
    await fs.rm(path.join(t, victim));
    const e = await failure(readRows(s));
    expect(e.code).toBe('DELTA_FAILED_READ_FILE');
    expect(e.message).toContain(victim);
  });

  it('a missing deletion vector file is named', async () => {
    const t = await copyTable('dv-partitioned-with-checkpoint');
    const s = await loadSnapshot(tableStore(t));
    for (const f of await fs.readdir(t)) if (f.startsWith('deletion_vector_')) await fs.rm(path.join(t, f));
    const e = await failure(readRows(s));
    expect(e.code).toBe('DELTA_DELETION_VECTOR_MISSING');
    expect(e.message).toMatch(/deletion_vector_[0-9a-f-]+\.bin/);
  });
});
