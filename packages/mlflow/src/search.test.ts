import { describe, expect, it } from 'vitest';
import { likeRegExp, matches, parseFilter, parseOrderBy } from './search.js';

describe('MLflow search grammar', () => {
  it('parses comparisons joined by AND', () => {
    expect(parseFilter("metrics.rmse < 0.5 and params.`model type` = 'rf' AND tags.\"x.y\" LIKE '%a%'")).toEqual([
      { type: 'metric', key: 'rmse', op: '<', value: 0.5 },
      { type: 'param', key: 'model type', op: '=', value: 'rf' },
      { type: 'tag', key: 'x.y', op: 'LIKE', value: '%a%' },
    ]);
    expect(parseFilter("attributes.run_id IN ('a', 'b')")).toEqual([
      { type: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
    ]);
    expect(parseFilter("status != 'FAILED'")).toEqual([
      { type: 'attribute', key: 'status', op: '!=', value: 'FAILED' },
    ]);
    expect(parseFilter('metrics.a.b >= -1e3')).toEqual([{ type: 'metric', key: 'a.b', op: '>=', value: -1000 }]);
    expect(parseFilter("datasets.context ILIKE 'TR%'")[0]).toMatchObject({
      type: 'dataset',
      key: 'context',
      op: 'ILIKE',
    });
  });
  it('rejects what MLflow rejects', () => {
    for (const f of ['metrics.a', 'metrics.a = 1 OR metrics.b = 2', "tags.x = 'open", 'metrics.a ~ 1', "x IN 'a'"])
      expect(() => parseFilter(f), f).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
  it('parses order_by', () => {
    expect(parseOrderBy(['metrics.rmse DESC', 'start_time', 'params.`a b` asc'])).toEqual([
      { type: 'metric', key: 'rmse', asc: false },
      { type: 'attribute', key: 'start_time', asc: true },
      { type: 'param', key: 'a b', asc: true },
    ]);
    expect(() => parseOrderBy(['metrics.a up'])).toThrow();
  });
  it('LIKE is case-sensitive, ILIKE is not', () => {
    expect(likeRegExp('ab%', false).test('abc')).toBe(true);
    expect(likeRegExp('ab%', false).test('ABc')).toBe(false);
    expect(likeRegExp('a_c', true).test('ABC')).toBe(true);
    expect(likeRegExp('a.c', false).test('abc')).toBe(false);
    expect(matches(undefined, { type: 'tag', key: 'x', op: '!=', value: 'true' })).toBe(true);
    expect(matches('true', { type: 'tag', key: 'x', op: '!=', value: 'true' })).toBe(false);
  });
});
