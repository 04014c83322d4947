import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import type { Action, Add } from './actions.js';
import { checkConflicts, type CurrentTransactionInfo } from './conflict.js';

const file = (path: string, part?: string): Add => ({
  path,
  partitionValues: part === undefined ? {} : { p: part },
  size: 1,
  modificationTime: 0,
  dataChange: true,
});

function txn(over: Partial<CurrentTransactionInfo> = {}): CurrentTransactionInfo {
  return {
    isolationLevel: 'WriteSerializable',
    isBlindAppend: false,
    partitioned: true,
    readWholeTable: false,
    addedFileMatchesReads: () => false,
    readFilePaths: new Set(),
    removedFilePaths: new Set(),
    appIds: new Set(),
    domains: new Set(),
    changesMetadata: false,
    changesProtocol: false,
    ...over,
  };
}

function outcome(current: CurrentTransactionInfo, actions: Action[]): string {
  try {
    checkConflicts(current, { version: 7, actions });
    return 'ok';
  } catch (e) {
    if (isLakeboxError(e)) return e.code;
    throw e;
  }
}

const blindAppend: Action[] = [{ commitInfo: { operation: 'WRITE', isBlindAppend: true } }, { add: file('a', '1') }];
const merge: Action[] = [{ commitInfo: { operation: 'MERGE', isBlindAppend: false } }, { add: file('b', '1') }];

describe('checkConflicts', () => {
  it('blind appends never conflict with each other', () => {
    expect(outcome(txn({ isBlindAppend: true, isolationLevel: 'Serializable' }), blindAppend)).toBe('ok');
  });

  it('appends into the read range: by isolation level and blind-append-ness', () => {
    const reads = txn({ addedFileMatchesReads: (a) => a.partitionValues.p === '1' });
    expect(outcome(reads, blindAppend)).toBe('ok'); // WriteSerializable ignores blind appends
    expect(outcome({ ...reads, isolationLevel: 'Serializable' }, blindAppend)).toBe('DELTA_CONCURRENT_APPEND');
    expect(outcome(reads, merge)).toBe('DELTA_CONCURRENT_APPEND');
    expect(outcome({ ...reads, isolationLevel: 'SnapshotIsolation' }, merge)).toBe('ok');
    // metadata-changing transactions also see blind appends
    expect(outcome({ ...reads, changesMetadata: true }, blindAppend)).toBe('DELTA_CONCURRENT_APPEND');
    // outside the range
    expect(outcome(txn({ addedFileMatchesReads: (a) => a.partitionValues.p === '2' }), merge)).toBe('ok');
    // unpartitioned: any read covers every file
    expect(outcome(txn({ partitioned: false }), merge)).toBe('DELTA_CONCURRENT_APPEND');
    expect(outcome(txn({ readWholeTable: true }), merge)).toBe('DELTA_CONCURRENT_APPEND');
  });

  it('removals of files read or removed; whole-table readers see every removal', () => {
    const del: Action[] = [{ commitInfo: { operation: 'DELETE' } }, { remove: { path: 'x%20y', dataChange: true } }];
    expect(outcome(txn({ readFilePaths: new Set(['x y']) }), del)).toBe('DELTA_CONCURRENT_DELETE_READ');
    expect(outcome(txn({ readWholeTable: true }), del)).toBe('DELTA_CONCURRENT_DELETE_READ');
    expect(outcome(txn({ removedFilePaths: new Set(['x y']) }), del)).toBe('DELTA_CONCURRENT_DELETE_DELETE');
    expect(outcome(txn({ readFilePaths: new Set(['other']) }), del)).toBe('ok');
  });

  it('metadata, protocol, app ids and domains', () => {
    const meta: Action[] = [
      {
        metaData: {
          id: 'i',
          format: { provider: 'parquet', options: {} },
          schemaString: '{}',
          partitionColumns: [],
          configuration: {},
        },
      },
    ];
    expect(outcome(txn({ isBlindAppend: true }), meta)).toBe('DELTA_METADATA_CHANGED');
    const proto: Action[] = [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }];
    expect(outcome(txn({ isBlindAppend: true }), proto)).toBe('ok');
    expect(outcome(txn({ changesProtocol: true }), proto)).toBe('DELTA_PROTOCOL_CHANGED');
    const app: Action[] = [{ txn: { appId: 's', version: 3 } }];
    expect(outcome(txn({ appIds: new Set(['s']) }), app)).toBe('DELTA_CONCURRENT_TRANSACTION');
    expect(outcome(txn({ appIds: new Set(['t']) }), app)).toBe('ok');
    const dom: Action[] = [{ domainMetadata: { domain: 'd', configuration: '{}', removed: false } }];
    expect(outcome(txn({ domains: new Set(['d']) }), dom)).toBe('DELTA_CONCURRENT_TRANSACTION');
    expect(outcome(txn({ domains: new Set(['e']) }), dom)).toBe('ok');
  });

  it('a winning protocol we cannot write ends the transaction', () => {
    const proto: Action[] = [{ protocol: { minReaderVersion: 1, minWriterVersion: 9 } }];
    expect(() =>
      checkConflicts(txn(), { version: 1, actions: proto }, () => {
        throw new Error('unwritable');
      }),
    ).toThrow('unwritable');
  });
});
