import { describe, expect, it } from 'vitest';
import { checkReadSupported, hasFeature, readerFeatures } from './features.js';

describe('reader protocol checks', () => {
  it('accepts reader versions 1-3 with supported features', () => {
    expect(() => checkReadSupported({ minReaderVersion: 1, minWriterVersion: 2 }, 't')).not.toThrow();
    expect(() => checkReadSupported({ minReaderVersion: 2, minWriterVersion: 5 }, 't')).not.toThrow();
    const all = [
      'columnMapping',
      'deletionVectors',
      'timestampNtz',
      'v2Checkpoint',
      'vacuumProtocolCheck',
      'typeWidening',
    ];
    expect(() =>
      checkReadSupported({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: all, writerFeatures: all }, 't'),
    ).not.toThrow();
  });
  it('refuses newer reader versions and names unsupported features', () => {
    expect(() => checkReadSupported({ minReaderVersion: 4, minWriterVersion: 7 }, 'tbl')).toThrow(/reader version 4/);
    try {
      checkReadSupported(
        {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['variantType', 'deletionVectors', 'catalogManaged'],
        },
        'tbl',
      );
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('DELTA_UNSUPPORTED_FEATURES_FOR_READ');
      expect((e as Error).message).toContain('variantType, catalogManaged');
    }
  });
  it('knows the features implied by legacy protocol versions', () => {
    expect(readerFeatures({ minReaderVersion: 2, minWriterVersion: 5 })).toEqual(['columnMapping']);
    expect(hasFeature({ minReaderVersion: 1, minWriterVersion: 4 }, 'changeDataFeed')).toBe(true);
    expect(hasFeature({ minReaderVersion: 1, minWriterVersion: 3 }, 'changeDataFeed')).toBe(false);
    expect(
      hasFeature(
        { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: ['appendOnly'] },
        'appendOnly',
      ),
    ).toBe(true);
    expect(
      hasFeature({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: [] }, 'appendOnly'),
    ).toBe(false);
  });
});
