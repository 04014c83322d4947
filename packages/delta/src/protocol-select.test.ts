import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import type { Metadata, Protocol } from './actions.js';
import { assertWritable, featuresUsedBy, legacyFeatures, selectProtocol, writerFeaturesOf } from './protocol-select.js';
import type { StructField } from './schema.js';

function md(configuration: Record<string, string> = {}, fields: StructField[] = []): Metadata {
  return {
    id: 'x',
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify({
      type: 'struct',
      fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }, ...fields],
    }),
    partitionColumns: [],
    configuration,
  };
}

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isLakeboxError(e)) return e.code;
    throw e;
  }
  return undefined;
};

describe('selectProtocol', () => {
  it('gives new tables the smallest legacy protocol, at least (1, 2)', () => {
    expect(selectProtocol(md())).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(selectProtocol(md({ 'delta.appendOnly': 'true' }))).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(selectProtocol(md({ 'delta.constraints.pos': 'id > 0' }))).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 3,
    });
    expect(selectProtocol(md({ 'delta.enableChangeDataFeed': 'true' }))).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 4,
    });
    const gen: StructField = {
      name: 'g',
      type: 'long',
      nullable: true,
      metadata: { 'delta.generationExpression': 'id + 1' },
    };
    expect(selectProtocol(md({}, [gen]))).toEqual({ minReaderVersion: 1, minWriterVersion: 4 });
    expect(selectProtocol(md({ 'delta.columnMapping.mode': 'name' }))).toEqual({
      minReaderVersion: 2,
      minWriterVersion: 5,
    });
  });

  it('moves to table features for features that only exist as such', () => {
    const ntz: StructField = { name: 't', type: 'timestamp_ntz', nullable: true, metadata: {} };
    expect(selectProtocol(md({}, [ntz]))).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz'],
    });
    // writer-only feature: reader version stays 1
    expect(selectProtocol(md({ 'delta.feature.domainMetadata': 'supported' }))).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['domainMetadata'],
    });
    expect(selectProtocol(md(), { usesDomainMetadata: true }).writerFeatures).toEqual(['domainMetadata']);
    // rowTracking pulls in domainMetadata
    expect(new Set(selectProtocol(md({ 'delta.enableRowTracking': 'true' })).writerFeatures)).toEqual(
      new Set(['rowTracking', 'domainMetadata']),
    );
  });

  it('upgrades an existing legacy protocol keeping the features it implied, never downgrading', () => {
    const current: Protocol = { minReaderVersion: 1, minWriterVersion: 4 };
    // nothing new: unchanged
    expect(selectProtocol(md(), { current })).toEqual(current);
    // deletion vectors on a (1,4) table: (3,7) listing the legacy features explicitly
    const up = selectProtocol(md({ 'delta.enableDeletionVectors': 'true' }), { current });
    expect(up.minReaderVersion).toBe(3);
    expect(up.minWriterVersion).toBe(7);
    expect(new Set(up.readerFeatures)).toEqual(new Set(['deletionVectors']));
    expect(new Set(up.writerFeatures)).toEqual(
      new Set([
        'appendOnly',
        'invariants',
        'checkConstraints',
        'changeDataFeed',
        'generatedColumns',
        'deletionVectors',
      ]),
    );
    // column mapping on (1,2) stays legacy: (2,5)
    expect(
      selectProtocol(md({ 'delta.columnMapping.mode': 'name' }), {
        current: { minReaderVersion: 1, minWriterVersion: 2 },
      }),
    ).toEqual({
      minReaderVersion: 2,
      minWriterVersion: 5,
    });
    // an existing table-features protocol gains the feature
    const tf: Protocol = {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    };
    expect(selectProtocol(md({ 'delta.appendOnly': 'true' }), { current: tf })).toEqual({
      ...tf,
      writerFeatures: ['deletionVectors', 'appendOnly'],
    });
  });

  it('rejects unknown explicit features', () => {
    expect(code(() => selectProtocol(md({ 'delta.feature.noSuchThing': 'supported' })))).toBe(
      'DELTA_UNSUPPORTED_FEATURES_IN_CONFIG',
    );
  });
});

describe('assertWritable', () => {
  it('accepts what we implement and names what we do not', () => {
    expect(code(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 2 }))).toBeUndefined();
    expect(code(() => assertWritable({ minReaderVersion: 2, minWriterVersion: 5 }))).toBeUndefined();
    expect(
      code(() =>
        assertWritable({
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors', 'timestampNtz', 'v2Checkpoint'],
          writerFeatures: ['deletionVectors', 'timestampNtz', 'v2Checkpoint', 'inCommitTimestamp', 'appendOnly'],
        }),
      ),
    ).toBeUndefined();
    expect(
      code(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['rowTracking'] })),
    ).toBe('DELTA_UNSUPPORTED_FEATURES_FOR_WRITE');
    expect(code(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 8 }))).toBe(
      'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE',
    );
    // legacy writer 6 (identity columns) is writable only while no column uses identity
    expect(code(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 6 }, md()))).toBeUndefined();
    const ident: StructField = { name: 'k', type: 'long', nullable: false, metadata: { 'delta.identity.start': 1 } };
    expect(code(() => assertWritable({ minReaderVersion: 1, minWriterVersion: 6 }, md({}, [ident])))).toBe(
      'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE',
    );
  });

  it('knows the legacy implications', () => {
    expect(legacyFeatures(1, 2)).toEqual(['appendOnly', 'invariants']);
    expect(writerFeaturesOf({ minReaderVersion: 2, minWriterVersion: 5 })).toContain('columnMapping');
    expect(featuresUsedBy(md({ 'delta.checkpointPolicy': 'v2' }))).toEqual(new Set(['v2Checkpoint']));
  });
});
