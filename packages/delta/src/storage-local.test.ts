import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { LocalObjectStore } from './storage-local.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('LocalObjectStore', () => {
  it('creates a commit file once and only once', async () => {
    const store = new LocalObjectStore(await mkdtemp(path.join(tmpdir(), 'lbx-store-')));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.putIfAbsent('_delta_log/00000000000000000000.json', enc(`w${i}`))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(new TextDecoder().decode(await store.get('_delta_log/00000000000000000000.json'))).toBe(`w${winner}`);
    // no temporary files are left behind or listed
    const listed = await store.list('_delta_log/');
    expect(listed.map((m) => m.path)).toEqual(['_delta_log/00000000000000000000.json']);
  });

  it('lists recursively by prefix, sorted, with startAfter', async () => {
    const store = new LocalObjectStore(await mkdtemp(path.join(tmpdir(), 'lbx-store-')));
    for (const p of ['_delta_log/2.json', '_delta_log/1.json', 'a=1/x.parquet', 'a=2/y.parquet', 'b.parquet']) {
      await store.put(p, enc(p));
    }
    expect((await store.list('_delta_log/')).map((m) => m.path)).toEqual(['_delta_log/1.json', '_delta_log/2.json']);
    expect((await store.list('_delta_log/', { startAfter: '_delta_log/1.json' })).map((m) => m.path)).toEqual([
      '_delta_log/2.json',
    ]);
    expect((await store.list('')).map((m) => m.path)).toEqual([
      '_delta_log/1.json',
      '_delta_log/2.json',
      'a=1/x.parquet',
      'a=2/y.parquet',
      'b.parquet',
    ]);
  });

  it('refuses paths outside the root and reports missing files with a code', async () => {
    const store = new LocalObjectStore(await mkdtemp(path.join(tmpdir(), 'lbx-store-')));
    await expect(store.get('../etc/passwd')).rejects.toSatisfy((e: unknown) => isLakeboxError(e, 'INVALID_PATH'));
    await expect(store.get('nope.json')).rejects.toSatisfy((e: unknown) => isLakeboxError(e, 'OBJECT_NOT_FOUND'));
    expect(await store.head('nope.json')).toBeUndefined();
  });
});
