import { describe, expect, it } from 'vitest';
import { mapDuckError } from './engine.js';

describe('DuckDB binder errors as Spark error classes', () => {
  it('maps an ambiguous column reference to AMBIGUOUS_REFERENCE', () => {
    const e = mapDuckError(
      new Error('Binder Error: Ambiguous reference to column name "dept" (use: "_p1.dept" or "_p2.dept")'),
      undefined,
      'SELECT dept FROM a JOIN b ON a.dept = b.dept',
    );
    expect(e.code).toBe('AMBIGUOUS_REFERENCE');
    expect(e.message).toContain('Reference `dept` is ambiguous');
  });
});
