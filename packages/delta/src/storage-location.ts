import { fileURLToPath } from 'node:url';
import { LakeboxError } from '@lakebox/common';
import type { ObjectStore } from './storage.js';
import { LocalObjectStore } from './storage-local.js';
import { S3ObjectStore, type S3StoreOptions } from './storage-s3.js';

/**
 * The object store for a table location: `s3://bucket/prefix` (or `s3a://`) on S3-compatible
 * storage, `file:///abs/path` or a plain path on the local file system.
 */
export function storeForLocation(location: string, opts: { s3?: S3StoreOptions } = {}): ObjectStore {
  if (/^s3a?:\/\//i.test(location)) return S3ObjectStore.fromUrl(location, opts.s3);
  if (/^file:/i.test(location)) return new LocalObjectStore(fileURLToPath(location));
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(location);
  if (scheme) {
    throw new LakeboxError(
      'DELTA_UNSUPPORTED_STORAGE',
      `unsupported storage scheme '${scheme[1]}' in ${location}: use s3://, file:// or a local path`,
    );
  }
  return new LocalObjectStore(location);
}
