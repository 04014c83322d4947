import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../test-helpers.js';
import {
  DeltaCommitStore,
  MAX_UNBACKFILLED_COMMITS,
  parseCommitInfo,
  type DeltaCommitInfo,
} from './uc-delta-commits.js';

let t: Awaited<ReturnType<typeof testApp>>;
let store: DeltaCommitStore;
beforeAll(async () => {
  t = await testApp();
  store = new DeltaCommitStore(t.catalog.database.db);
});
afterAll(async () => {
  await t.close();
});

const info = (version: number): DeltaCommitInfo => ({
  version,
  timestamp: 1_700_000_000_000 + version,
  file_name: `${String(version).padStart(20, '0')}.uuid-${version}.json`,
  file_size: 100 + version,
  file_modification_timestamp: 1_700_000_000_500 + version,
});
const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return `${(e as { httpStatus?: number }).httpStatus} ${(e as { code?: string }).code}`;
  }
};
const versions = async (id: string, start = 0) => {
  const r = await store.getCommits(id, start);
  return [r.commits.map((c) => c.version), r.latest_table_version];
};

describe('catalog-managed Delta commits', () => {
  it('orders commits, keeps them until backfilled, and always remembers the latest version', async () => {
    const id = 'table-a';
    expect(await store.getCommits(id, 0)).toEqual({ commits: [], latest_table_version: -1 });
    expect(await code(store.commit(id, undefined, 0))).toBe('400 INVALID_PARAMETER_VALUE');
    // onboarding: the first commit through the catalog (version 0 was written to the file system)
    await store.commit(id, info(1));
    expect((await store.getCommits(id, 0)).commits).toEqual([info(1)]);
    // a second writer racing for version 1 loses; a gap is refused
    expect(await code(store.commit(id, info(1)))).toBe('409 RESOURCE_ALREADY_EXISTS');
    expect(await code(store.commit(id, info(3)))).toBe('400 INVALID_PARAMETER_VALUE');
    await store.commit(id, info(2));
    await store.commit(id, info(3));
    expect(await versions(id)).toEqual([[1, 2, 3], 3]);
    expect(await versions(id, 2)).toEqual([[2, 3], 3]);
    expect((await store.getCommits(id, 1, 2)).commits.map((c) => c.version)).toEqual([1, 2]);
    expect(await code(store.getCommits(id, 2, 1))).toBe('400 INVALID_PARAMETER_VALUE');
    // commit 4 and report 2 backfilled: 1 and 2 go
    await store.commit(id, info(4), 2);
    expect(await versions(id)).toEqual([[3, 4], 4]);
    expect(await code(store.commit(id, undefined, 5))).toBe('400 INVALID_PARAMETER_VALUE');
    // everything backfilled: no commits listed, the version stays known
    await store.commit(id, undefined, 4);
    expect(await versions(id)).toEqual([[], 4]);
    await store.commit(id, info(5));
    expect(await versions(id)).toEqual([[5], 5]);
    await store.drop(id);
    expect(await versions(id)).toEqual([[], -1]);
  });

  it('refuses commits beyond the unbackfilled limit until the client backfills', async () => {
    const id = 'table-b';
    for (let v = 0; v < MAX_UNBACKFILLED_COMMITS; v++) await store.commit(id, info(v));
    expect(await code(store.commit(id, info(MAX_UNBACKFILLED_COMMITS)))).toBe('429 RESOURCE_EXHAUSTED');
    await store.commit(id, info(MAX_UNBACKFILLED_COMMITS), 5);
    expect((await versions(id))[1]).toBe(MAX_UNBACKFILLED_COMMITS);
    expect(((await versions(id))[0] as number[])[0]).toBe(6);
  });

  it('validates commit_info', () => {
    expect(parseCommitInfo({ ...info(1), version: '7' }).version).toBe(7);
    expect(() => parseCommitInfo({ ...info(1), version: -1 })).toThrow(/commit_info.version/);
    expect(() => parseCommitInfo({ ...info(1), file_name: '../x.json' })).toThrow(/file_name/);
    expect(() => parseCommitInfo(null)).toThrow(/object/);
  });
});
