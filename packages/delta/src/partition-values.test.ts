import { describe, expect, it } from 'vitest';
import {
  formatPartitionValue,
  parsePartitionValue,
  parseTimestampValue,
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
  it('reads zone-less timestamps in a given time zone', () => {
    const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
    expect(parseTimestampValue('2021-09-08 11:11:11', 'America/Los_Angeles')).toBe(us('2021-09-08T18:11:11Z')); // PDT
    expect(parseTimestampValue('2021-01-08 11:11:11.5', 'America/Los_Angeles')).toBe(us('2021-01-08T19:11:11.5Z')); // PST
    expect(parseTimestampValue('2021-01-08 11:11:11', 'Asia/Tokyo')).toBe(us('2021-01-08T02:11:11Z'));
    expect(parseTimestampValue('2021-01-08T11:11:11Z', 'Asia/Tokyo')).toBe(us('2021-01-08T11:11:11Z')); // explicit zone wins
    expect(formatPartitionValue('2021-09-08 11:11:11', 'timestamp', 'America/Los_Angeles')).toBe(
      '2021-09-08T18:11:11.000000Z',
    );
    expect(() => parseTimestampValue('2021-01-08 11:11:11', 'Mars/Olympus')).toThrow(/unknown time zone/);
  });
});
