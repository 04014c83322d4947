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

describe('describeQuery', () => {
  it('gives the columns of a query without running it, repeated names kept', async () => {
    expect(await engine.describeQuery('SELECT 1 AS a, 2.5D AS a, CAST(NULL AS STRING) AS s')).toEqual([
      { name: 'a', type: 'int' },
      { name: 'a', type: 'double' },
      { name: 's', type: 'string' },
    ]);
  });

  it('raises the Spark error class of a query that does not bind', async () => {
    await expect(engine.describeQuery('SELECT nope FROM VALUES (1) AS t(x)')).rejects.toMatchObject({
      code: expect.stringMatching(/^UNRESOLVED_COLUMN/),
    });
  });
});
