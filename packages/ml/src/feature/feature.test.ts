import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { Frame } from '../data/frame.js';
import { Pipeline, PipelineModel, loadStage, stageToJSON } from '../core.js';
import { LogisticRegression } from '../linear/logistic.js';
import {
  Bucketizer,
  FeatureHasher,
  Imputer,
  IndexToString,
  MinMaxScaler,
  OneHotEncoder,
  QuantileDiscretizer,
  StandardScaler,
  StringIndexer,
  VectorAssembler,
  murmur3,
} from './index.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isLakeboxError(e) ? e.code : `not a LakeboxError: ${String(e)}`;
  }
  return 'no error';
}

describe('StringIndexer', () => {
  const train = Frame.fromRows([{ c: 'b' }, { c: 'a' }, { c: 'b' }, { c: 'c' }, { c: 'a' }, { c: 'b' }]);
  const test = Frame.fromRows([{ c: 'a' }, { c: 'zzz' }, { c: null }, { c: 'c' }]);

  it('orders by frequency (ties alphabetical) and handles unseen labels per handleInvalid', async () => {
    const m = await new StringIndexer({ inputCol: 'c', outputCol: 'i' }).fit(train);
    expect(m.labels).toEqual(['b', 'a', 'c']);
    expect(Array.from(m.transform(train).numeric('i'))).toEqual([0, 1, 0, 2, 1, 0]);
    expect(code(() => m.transform(test))).toBe('ML_UNSEEN_LABEL');
    expect(() => m.transform(test)).toThrow(/unseen label 'zzz'/);
    const skip = await new StringIndexer({ inputCol: 'c', outputCol: 'i', handleInvalid: 'skip' }).fit(train);
    expect(skip.transform(test).toRows()).toEqual([
      { c: 'a', i: 1 },
      { c: 'c', i: 2 },
    ]);
    const keep = await new StringIndexer({ inputCol: 'c', outputCol: 'i', handleInvalid: 'keep' }).fit(train);
    expect(Array.from(keep.transform(test).numeric('i'))).toEqual([1, 3, 3, 2]);
    const alpha = await new StringIndexer({ inputCol: 'c', outputCol: 'i', stringOrderType: 'alphabetAsc' }).fit(train);
    expect(alpha.labels).toEqual(['a', 'b', 'c']);
    const back = new IndexToString({ inputCol: 'i', outputCol: 's', labels: m.labels }).transform(m.transform(train));
    expect(back.column('s')).toEqual({ kind: 'string', values: ['b', 'a', 'b', 'c', 'a', 'b'] });
    expect(code(() => new StringIndexer({ inputCol: 'c', outputCol: 'i', handleInvalid: 'drop' as never }))).toBe(
      'ML_INVALID_PARAM',
    );
  });
});

describe('encoders, scalers, imputer, buckets, hashing', () => {
  it('one-hot encodes with dropLast and rejects unseen indices unless keep', async () => {
    const f = Frame.fromColumns({ a: [0, 1, 2, 1] });
    const m = await new OneHotEncoder({ inputCols: ['a'], outputCols: ['v'] }).fit(f);
    expect(
      m
        .transform(f)
        .toRows()
        .map((r) => r.v),
    ).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
      [0, 1],
    ]);
    const unseen = Frame.fromColumns({ a: [3] });
    expect(code(() => m.transform(unseen))).toBe('ML_UNSEEN_LABEL');
    const k = await new OneHotEncoder({
      inputCols: ['a'],
      outputCols: ['v'],
      handleInvalid: 'keep',
      dropLast: false,
    }).fit(f);
    expect(k.transform(unseen).toRows()[0].v).toEqual([0, 0, 0, 1]);
    expect(code(() => m.transform(Frame.fromColumns({ a: [0.5] })))).toBe('ML_INVALID_DATA');
  });

  it('assembles, scales and imputes', async () => {
    const f = Frame.fromColumns({ x: [1, 2, NaN, 4], y: [10, 20, 30, 40] });
    expect(code(() => new VectorAssembler({ inputCols: ['x', 'y'] }).transform(f))).toBe('ML_INVALID_DATA');
    expect(new VectorAssembler({ inputCols: ['x', 'y'], handleInvalid: 'skip' }).transform(f).numRows).toBe(3);
    const imp = await new Imputer({ inputCols: ['x'], strategy: 'mean' }).fit(f);
    const g = new VectorAssembler({ inputCols: ['x', 'y'] }).transform(imp.transform(f));
    expect(g.toRows()[2].features).toEqual([7 / 3, 30]);
    const med = await new Imputer({ inputCols: ['x'], strategy: 'median', outputCols: ['xm'] }).fit(f);
    expect(med.transform(f).numeric('xm')[2]).toBe(2);
    const ss = await new StandardScaler({ withMean: true }).fit(g);
    const sv = ss.transform(g).vector('scaledFeatures').values;
    // Column y: mean 25, sample std sqrt(500/3).
    expect(sv[1]).toBeCloseTo(-15 / Math.sqrt(500 / 3), 12);
    const mm = await new MinMaxScaler().fit(g);
    expect(mm.transform(g).toRows()[3].scaledFeatures).toEqual([1, 1]);
    expect(code(() => ss.transform(Frame.fromColumns({ features: [1, 2] })))).toBe('ML_SCHEMA_MISMATCH');
    await expect(new Imputer({ inputCols: ['z'] }).fit(Frame.fromColumns({ z: [NaN, NaN] }))).rejects.toThrow(
      /only missing values/,
    );
  });

  it('buckets by edges and by quantiles', async () => {
    const f = Frame.fromColumns({ v: [-5, 0, 0.5, 1, 9, NaN] });
    const b = new Bucketizer({
      inputCol: 'v',
      outputCol: 'b',
      splits: [-Infinity, 0, 1, Infinity],
      handleInvalid: 'keep',
    });
    expect(Array.from(b.transform(f).numeric('b'))).toEqual([0, 1, 1, 2, 2, 3]);
    expect(code(() => new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 1, 2] }).transform(f))).toBe(
      'ML_INVALID_DATA',
    );
    expect(code(() => new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 0, 1] }))).toBe('ML_INVALID_PARAM');
    const q = await new QuantileDiscretizer({ inputCol: 'v', outputCol: 'q', numBuckets: 4 }).fit(
      Frame.fromColumns({ v: Float64Array.from({ length: 100 }, (_, i) => i) }),
    );
    const out = q.transform(Frame.fromColumns({ v: Float64Array.from({ length: 100 }, (_, i) => i) })).numeric('q');
    const counts = [0, 0, 0, 0];
    for (const x of out) counts[x]++;
    expect(counts).toEqual([25, 25, 25, 25]);
  });

  it('hashes features with MurmurHash3 (known vectors)', () => {
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(Buffer.from('hello'), 0) >>> 0).toBe(0x248bfa47);
    expect(murmur3(Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c) >>> 0).toBe(0x2fa826cd);
    const f = Frame.fromRows([
      { n: 2, s: 'a' },
      { n: 3, s: 'b' },
    ]);
    const h = new FeatureHasher({ inputCols: ['n', 's'], numFeatures: 16 }).transform(f).vector('features');
    expect(h.dim).toBe(16);
    const row0 = Array.from(h.values.subarray(0, 16));
    expect(row0.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('Pipeline', () => {
  it('fits indexer + assembler + scaler + logistic regression, saves and reloads identically', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => {
      const x = (i % 20) / 2;
      const cat = ['red', 'green', 'blue'][i % 3];
      return { x, z: (i * 7) % 13, color: cat, label: x + (cat === 'red' ? 2 : 0) > 5 ? 'yes' : 'no' };
    });
    const frame = Frame.fromRows(rows);
    const pipeline = new Pipeline({
      stages: [
        new StringIndexer({ inputCol: 'color', outputCol: 'colorIdx' }),
        new OneHotEncoder({ inputCols: ['colorIdx'], outputCols: ['colorVec'] }),
        new StringIndexer({ inputCol: 'label', outputCol: 'y', stringOrderType: 'alphabetAsc' }),
        new VectorAssembler({ inputCols: ['x', 'z', 'colorVec'], outputCol: 'raw' }),
        new StandardScaler({ inputCol: 'raw', outputCol: 'features', withMean: true }),
        new LogisticRegression({ labelCol: 'y', regParam: 0.001 }),
      ],
    });
    const model = await pipeline.fit(frame);
    const out = model.transform(frame);
    const y = out.numeric('y');
    const p = out.numeric('prediction');
    let correct = 0;
    for (let i = 0; i < y.length; i++) if (y[i] === p[i]) correct++;
    expect(correct / y.length).toBeGreaterThan(0.95);
    const json = stageToJSON(model);
    expect(JSON.parse(json)).toMatchObject({ format: 'lakebox-ml-stage', formatVersion: 1, kind: 'PipelineModel' });
    const loaded = loadStage(json);
    expect(loaded).toBeInstanceOf(PipelineModel);
    expect(Array.from(loaded.transform(frame).numeric('prediction'))).toEqual(Array.from(p));
    expect(code(() => loadStage(json.replace('"formatVersion":1', '"formatVersion":99')))).toBe(
      'ML_INVALID_MODEL_FILE',
    );
    expect(code(() => loadStage('{"format":"nope"}'))).toBe('ML_INVALID_MODEL_FILE');
    expect(code(() => loadStage('not json'))).toBe('ML_INVALID_MODEL_FILE');
    // An unseen color at predict time is a clear error from the fitted indexer.
    expect(code(() => model.transform(Frame.fromRows([{ x: 1, z: 1, color: 'purple', label: 'no' }])))).toBe(
      'ML_UNSEEN_LABEL',
    );
  });
});
