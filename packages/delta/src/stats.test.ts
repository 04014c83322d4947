import { describe, expect, it } from 'vitest';
import { buildStats, formatTimestampStat, parseColumnPath, truncateMaxString, truncateMinString } from './stats.js';
import type { StructType } from './schema.js';

describe('string truncation', () => {
  it('keeps short strings and cuts long minimums to the prefix', () => {
    expect(truncateMinString('abc', 4)).toBe('abc');
    expect(truncateMinString('abcdef', 4)).toBe('abcd');
  });
  it('pads a truncated maximum so it stays an upper bound', () => {
    expect(truncateMaxString('abcd', 4)).toBe('abcd');
    // next char 'e' < DEL: the prefix plus DEL sorts above every string starting with "abcd"
    expect(truncateMaxString('abcdef', 4)).toBe('abcd\u007f');
    // next char above DEL: pad with U+10FFFF
    expect(truncateMaxString('abcdé', 4)).toBe(`abcd${String.fromCodePoint(0x10ffff)}`);
    // a run of maximal code points extends the prefix; none is safe within 2x -> omitted
    const max = String.fromCodePoint(0x10ffff);
    expect(truncateMaxString(`ab${max.repeat(10)}z`, 2)).toBeUndefined();
    for (const s of ['zzzzzzzzzz', 'abcdefghij', 'a\u00ffb\u00ffc\u00ffdddddd']) {
      const m = truncateMaxString(s, 3)!;
      expect(Buffer.compare(Buffer.from(m), Buffer.from(s))).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('timestamps', () => {
  it('formats as ISO-8601 truncated to milliseconds', () => {
    expect(formatTimestampStat('2024-01-01 10:00:03.123456+00', true)).toBe('2024-01-01T10:00:03.123Z');
    expect(formatTimestampStat('2024-01-01 12:00:03.9999+02', true)).toBe('2024-01-01T10:00:03.999Z');
    expect(formatTimestampStat('2024-01-01 10:00:03', false)).toBe('2024-01-01T10:00:03.000');
    expect(formatTimestampStat('not a time', true)).toBeUndefined();
  });
});

describe('buildStats', () => {
  const schema: StructType = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 's', type: 'string', nullable: true, metadata: {} },
      { name: 'b', type: 'boolean', nullable: true, metadata: {} },
      {
        name: 'st',
        type: { type: 'struct', fields: [{ name: 'x', type: 'decimal(10,2)', nullable: true, metadata: {} }] },
        nullable: true,
        metadata: {},
      },
      {
        name: 'arr',
        type: { type: 'array', elementType: 'integer', containsNull: true },
        nullable: true,
        metadata: {},
      },
    ],
  };
  const raw = {
    '"id"': { min: '-9007199254740993', max: '9007199254740993', null_count: '0' },
    '"s"': { min: 'a', max: 'z', null_count: '2' },
    '"b"': { min: '0', max: '1', null_count: '1' },
    '"st"."x"': { min: '1.50', max: '2.25', null_count: '0' },
    '"arr"."element"': { min: '1', max: '2', null_count: '0' },
  };
  it('mirrors the schema, keeps 64-bit integers exact and skips min/max for booleans and arrays', () => {
    const json = buildStats(schema, 5, raw);
    expect(json).toContain('"id":-9007199254740993');
    expect(json).toContain('"x":1.50');
    const s = JSON.parse(json);
    expect(s.numRecords).toBe(5);
    expect(s.minValues).toEqual({ id: -9007199254740992, s: 'a', st: { x: 1.5 } });
    expect(s.nullCount).toEqual({ id: 0, s: 2, b: 1, st: { x: 0 } });
  });
  it('indexes only the first N leaf columns', () => {
    const s = JSON.parse(buildStats(schema, 5, raw, { numIndexedCols: 2 }));
    expect(Object.keys(s.nullCount)).toEqual(['id', 's']);
    const all = JSON.parse(buildStats(schema, 5, raw, { statsColumns: ['st.x'] }));
    expect(all.nullCount).toEqual({ st: { x: 0 } });
  });
  it('parses quoted column paths', () => {
    expect(parseColumnPath('"a"."b ""c"""')).toEqual(['a', 'b "c"']);
  });
});
