import { describe, expect, it } from 'vitest';
import { isLakeboxError } from '@lakebox/common';
import { LocalObjectStore } from './storage-local.js';
import { storeForLocation } from './storage-location.js';
import { S3ObjectStore } from './storage-s3.js';

describe('S3ObjectStore addressing', () => {
  it('parses s3:// and s3a:// URLs into bucket and key prefix', () => {
    const a = S3ObjectStore.fromUrl('s3://my-bucket/warehouse/sales/', { region: 'eu-west-1' });
    expect(a.bucket).toBe('my-bucket');
    expect(a.prefix).toBe('warehouse/sales/');
    expect(a.url).toBe('s3://my-bucket/warehouse/sales');
    const b = S3ObjectStore.fromUrl('s3a://my-bucket', { region: 'eu-west-1' });
    expect(b.prefix).toBe('');
    expect(b.url).toBe('s3://my-bucket');
  });

  it('rejects malformed URLs, bucket names and paths that leave the table root', async () => {
    for (const bad of ['s3:/x/y', 'http://b/k', 's3://']) {
      expect(() => S3ObjectStore.fromUrl(bad)).toThrow(/S3|bucket/);
    }
    expect(() => new S3ObjectStore('Bad_Bucket')).toThrow(/invalid S3 bucket name/);
    const s = new S3ObjectStore('bucket', 't', { region: 'us-east-1', endpoint: 'http://127.0.0.1:1' });
    const err = await s.get('../other/x').catch((e: unknown) => e);
    expect(isLakeboxError(err, 'INVALID_PATH')).toBe(true);
    const err2 = await s.get('/abs').catch((e: unknown) => e);
    expect(isLakeboxError(err2, 'INVALID_PATH')).toBe(true);
  });

  it('picks the store for a location', () => {
    expect(storeForLocation('s3://b-1/x')).toBeInstanceOf(S3ObjectStore);
    expect(storeForLocation('/tmp/some/table')).toBeInstanceOf(LocalObjectStore);
    expect(storeForLocation('file:///tmp/some/table').url).toBe('file:///tmp/some/table');
    expect(() => storeForLocation('gs://b/x')).toThrow(/unsupported storage scheme 'gs'/);
  });

  it('wraps connection failures in a LakeboxError', async () => {
    const s = new S3ObjectStore('bucket', 't', {
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    const err = await s.head('x').catch((e: unknown) => e);
    expect(isLakeboxError(err, 'STORAGE_ERROR')).toBe(true);
    s.client.destroy();
  });
});
