/**
 * The object-store interface every table sits on. Paths are relative to the store's root and use
 * '/' separators (e.g. `_delta_log/00000000000000000003.json`, `part=1/part-0001.parquet`).
 * Implementations: the local file system and S3-compatible storage.
 */

export interface ObjectMeta {
  /** Path relative to the store root. */
  path: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface ObjectStore {
  /** A URL describing the root (`file:///abs/path`, `s3://bucket/prefix`). */
  readonly url: string;

  /** Whole object; throws LakeboxError code `OBJECT_NOT_FOUND` when absent. */
  get(path: string): Promise<Uint8Array>;
  /** Metadata, or undefined when the object does not exist. */
  head(path: string): Promise<ObjectMeta | undefined>;
  /**
   * Objects whose path starts with `prefix` (a directory prefix ends with '/'), sorted by path.
   * `startAfter` (a full path) skips everything lexicographically up to and including it.
   */
  list(prefix: string, opts?: { startAfter?: string }): Promise<ObjectMeta[]>;
  /** Create or overwrite. */
  put(path: string, data: Uint8Array): Promise<void>;
  /**
   * Atomically create the object only if it does not exist: true when created, false when it
   * already existed. Readers never observe a partially written object. This is the Delta commit.
   */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Delete; no error when absent. */
  delete(path: string): Promise<void>;
  /**
   * A local file-system path with the object's content for DuckDB to read (the file itself on a
   * local store, a cached download on a remote one).
   */
  localPath(path: string): Promise<string>;
  /**
   * Upload a local file (written by DuckDB) to `path`. On a local store this is a rename/copy
   * into place.
   */
  putFile(path: string, localFile: string): Promise<void>;
}
