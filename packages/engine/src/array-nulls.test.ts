import { describe, expect, it } from 'vitest';
import { LakeboxError } from '@lakebox/common';
import { SqlEngine } from './engine.js';

const engine = new SqlEngine({
  resolver: {
    async resolve(ref) {
      throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `no table ${ref.parts.join('.')}`);
    },
  },
});
const row = async (sql: string) => (await engine.execute(sql)).rows[0];

describe('NULLs in array and map functions, as Spark has them', () => {
  it('exists and forall are three-valued, and decide an empty array', async () => {
    expect(
      await row(
        'SELECT exists(array(5, NULL), x -> x > 4), exists(array(1, NULL), x -> x > 4), exists(array(1), x -> x > 4)',
      ),
    ).toEqual([true, null, false]);
    expect(
      await row(
        'SELECT forall(array(5, NULL), x -> x > 0), forall(array(-1, NULL), x -> x > 0), forall(array(1), x -> x > 0)',
      ),
    ).toEqual([null, false, true]);
    expect(
      await row(
        'SELECT exists(CAST(array() AS ARRAY<INT>), x -> x > 0), forall(CAST(array() AS ARRAY<INT>), x -> x > 0)',
      ),
    ).toEqual([false, true]);
  });

  it('zip_with and map_concat of a NULL are NULL', async () => {
    expect(
      await row(
        'SELECT zip_with(CAST(NULL AS ARRAY<INT>), array(1), (x, y) -> y), zip_with(array(1), array(2), (x, y) -> x + y)',
      ),
    ).toEqual([null, [3]]);
    expect(await row("SELECT map_concat(CAST(NULL AS MAP<STRING, INT>), map('a', 1))")).toEqual([null]);
  });
});
