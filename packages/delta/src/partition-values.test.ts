import { describe, expect, it } from 'vitest';
import {
  formatPartitionValue,
  parsePartitionValue,
  partitionValueSql,
  serializePartitionValue,
} from './partition-values.js';

describe('partition values', () => {
  it('serialises values as the protocol says', () => {
    expect(serializePartitionValue('a b/c', 'string')).toBe('a b/c');
    expect(serializePartitionValue('', 'string')).toBeNull();
    expect(serializePartitionValue(null, 'integer')).toBeNull();
    expect(serializePartitionValue(42, 'integer')).toBe('42');
    expect(serializePartitionValue(12345678901234567890n, 'long')).toBe('12345678901234567890');
    expect(serializePartitionValue(true, 'boolean')).toBe('true');
    expect(serializePartitionValue(new Date(Date.UTC(2021, 8, 8)), 'date')).toBe('2021-09-08');
    expect(serializePartitionValue(new Date(Date.UTC(2021, 8, 8, 11, 11, 11, 5)), 'timestamp')).toBe(
      '2021-09-08T11:11:11.005000Z',
    );
    expect(serializePartitionValue('2013-07-05 17:01:00.123456', 'timestamp_ntz')).toBe('2013-07-05 17:01:00.123456');
    expect(serializePartitionValue(Uint8Array.from([1, 2, 255]), 'binary')).toBe('\u0001\u0002\u00ff');
    expect(serializePartitionValue('1.50', 'decimal(5,2)')).toBe('1.50');
    expect(serializePartitionValue(NaN, 'double')).toBe('NaN');
    expect(() => serializePartitionValue('abc', 'integer')).toThrow(/invalid integer/);
  });
  it('parses and formats serialised values', () => {
    expect(parsePartitionValue('7', 'long')).toBe(7n);
    expect(parsePartitionValue('', 'string')).toBeNull();
    expect(parsePartitionValue('false', 'boolean')).toBe(false);
    expect((parsePartitionValue('2021-09-08 11:11:11', 'timestamp') as Date).toISOString()).toBe(
      '2021-09-08T11:11:11.000Z',
    );
    expect((parsePartitionValue('2021-09-08T11:11:11.5+02:00', 'timestamp') as Date).toISOString()).toBe(
      '2021-09-08T09:11:11.500Z',
    );
    expect(formatPartitionValue('2021-09-08 11:11:11', 'timestamp')).toBe('2021-09-08T11:11:11.000000Z');
    expect(formatPartitionValue(null, 'string')).toBe('NULL');
    expect(formatPartitionValue('\u0001\u00ff', 'binary')).toBe('0x01ff');
  });
  it('renders typed SQL literals', () => {
    expect(partitionValueSql("it's", 'string')).toBe("'it''s'");
    expect(partitionValueSql(null, 'date')).toBe('CAST(NULL AS DATE)');
    expect(partitionValueSql('3', 'integer')).toBe("CAST('3' AS INTEGER)");
    expect(partitionValueSql('2021-09-08 11:11:11', 'timestamp')).toBe(
      "CAST('2021-09-08 11:11:11.000000+00' AS TIMESTAMPTZ)",
    );
  });
});
