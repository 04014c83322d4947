import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests/support/../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A directory under the repository's git-ignored .cache/. */
export function cacheDir(...parts: string[]): string {
  return path.join(REPO_ROOT, '.cache', ...parts);
}
