import { LakeboxError } from '@lakebox/common';
import { describe, expect, it } from 'vitest';
import { UdfWorkers, typeJson } from './udf.js';

describe('Python UDF workers', () => {
  it('fails with PYTHON_UDF_ERROR when the interpreter cannot start', async () => {
    const w = new UdfWorkers('/nonexistent/lakebox-python');
    const err = await w.call('s1', { kind: 'scalar' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeboxError);
    expect((err as LakeboxError).code).toBe('PYTHON_UDF_ERROR');
    expect((err as LakeboxError).message).toContain('/nonexistent/lakebox-python');
    w.closeAll();
  });

  it('describes UDTF return types in Spark JSON (proto and DDL forms)', () => {
    expect(
      typeJson({ kind: 'unparsed', unparsed: { data_type_string: 'a int, b array<string>, c decimal(5,2)' } }),
    ).toEqual({
      type: 'struct',
      fields: [
        { name: 'a', type: 'integer', nullable: true, metadata: {} },
        { name: 'b', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
        { name: 'c', type: 'decimal(5,2)', nullable: true, metadata: {} },
      ],
    });
    expect(
      typeJson({ kind: 'struct', struct: { fields: [{ name: 'x', data_type: { kind: 'long' }, nullable: false }] } }),
    ).toEqual({ type: 'struct', fields: [{ name: 'x', type: 'long', nullable: false, metadata: {} }] });
  });
});
