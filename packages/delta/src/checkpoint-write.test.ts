import { describe, expect, it } from 'vitest';
import type { Metadata } from './actions.js';
import { checkpointActions, parseIntervalMs, type CheckpointState } from './checkpoint-write.js';

const metadata = (configuration: Record<string, string> = {}): Metadata => ({
  id: 'id',
  format: { provider: 'parquet', options: {} },
  schemaString: '{"type":"struct","fields":[]}',
  partitionColumns: [],
  configuration,
});

const state = (over: Partial<CheckpointState> = {}): CheckpointState => ({
  version: 4,
  protocol: { minReaderVersion: 1, minWriterVersion: 2 },
  metadata: metadata(),
  adds: [{ path: 'a', partitionValues: {}, size: 1, modificationTime: 2, dataChange: true, stats: '{"numRecords":1}' }],
  removes: [{ path: 'r', dataChange: true, deletionTimestamp: 3, stats: '{"numRecords":9}', size: 5 }],
  txns: [{ appId: 'app', version: 7 }],
  domainMetadata: [
    { domain: 'd', configuration: '{}', removed: false },
    { domain: 'gone', configuration: '{}', removed: true },
  ],
  ...over,
});

describe('checkpointActions', () => {
  it('holds the state: protocol, metadata, txn, live domains, adds with stats, tombstones without', () => {
    const rows = checkpointActions(state());
    expect(rows.map((r) => Object.keys(r)[0])).toEqual([
      'protocol',
      'metaData',
      'txn',
      'domainMetadata',
      'add',
      'remove',
    ]);
    expect(rows[0]!.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(rows[4]!.add).toMatchObject({ path: 'a', dataChange: false, stats: '{"numRecords":1}' });
    expect(rows[5]!.remove).toEqual({ path: 'r', dataChange: false, deletionTimestamp: 3, size: 5 });
    expect(rows.some((r) => r.commitInfo || r.cdc)).toBe(false);
  });

  it('lists features with reader 3 / writer 7, and marks V2-spec checkpoints', () => {
    const rows = checkpointActions(
      state({
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['v2Checkpoint'],
          writerFeatures: ['v2Checkpoint'],
        },
      }),
    );
    expect(rows[0]!.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['v2Checkpoint'],
      writerFeatures: ['v2Checkpoint'],
    });
    expect(rows.find((r) => r.checkpointMetadata)?.checkpointMetadata).toEqual({ version: 4 });
    const writerOnly = checkpointActions(state({ protocol: { minReaderVersion: 1, minWriterVersion: 7 } }));
    expect(writerOnly[0]!.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: [] });
  });

  it('respects delta.checkpoint.writeStatsAsJson = false', () => {
    const rows = checkpointActions(state({ metadata: metadata({ 'delta.checkpoint.writeStatsAsJson': 'false' }) }));
    expect(rows.find((r) => r.add)!.add!.stats).toBeNull();
  });

  it('parses retention intervals', () => {
    expect(parseIntervalMs('interval 1 week', 0)).toBe(7 * 86_400_000);
    expect(parseIntervalMs('2 days', 0)).toBe(2 * 86_400_000);
    expect(parseIntervalMs('interval 36 hours', 0)).toBe(36 * 3_600_000);
    expect(parseIntervalMs('nonsense', 5)).toBe(5);
  });
});
