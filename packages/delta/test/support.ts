import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isLakeboxError } from '@lakebox/common';

/**
 * A temporary directory for the calling test file's tables, made before its tests and removed after
 * them; returns `loc(name)`, the location of table `name` inside it.
 */
export function tableDir(prefix: string): (name: string) => string {
  let dir = '';
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  return (name) => path.join(dir, name);
}

/** Awaits `p` and expects it to fail with the LakeboxError `code`; returns the error. */
export async function expectError(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isLakeboxError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
    return e as Error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
