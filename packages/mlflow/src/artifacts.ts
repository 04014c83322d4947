import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { invalidParam, notFound } from './validate.js';

// The proxied artifact store: files under one root directory; every path is checked so that
// nothing outside the root can be read, written or deleted.

export class ArtifactStore {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  /** A relative artifact path -> an absolute path inside the root (or INVALID_PARAMETER_VALUE). */
  resolve(rel: string): string {
    const p = rel ?? '';
    if (p.includes('\0') || p.includes('\\')) throw invalidParam(`Invalid artifact path: '${p}'`);
    const parts = p.split('/').filter((s) => s !== '');
    if (parts.some((s) => s === '..' || s === '.') || path.isAbsolute(p.replace(/^\/+/, '')) || /^[A-Za-z]:/.test(p))
      throw invalidParam(`Invalid path: '${p}'. Path traversal is not allowed.`);
    const abs = path.resolve(this.root, ...parts);
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) throw invalidParam(`Invalid path: '${p}'`);
    return abs;
  }

  async put(rel: string, body: Readable): Promise<void> {
    const abs = this.resolve(rel);
    if (abs === this.root) throw invalidParam('An artifact path is required');
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.upload-${process.pid}-${Date.now()}`;
    try {
      await pipeline(body, fs.createWriteStream(tmp));
      await fs.promises.rename(tmp, abs);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  async stat(rel: string): Promise<{ abs: string; size: number }> {
    const abs = this.resolve(rel);
    const st = await fs.promises.stat(abs).catch(() => null);
    if (!st || !st.isFile()) throw notFound(`Artifact '${rel}' does not exist`);
    return { abs, size: st.size };
  }

  async list(rel: string): Promise<Array<{ path: string; is_dir: boolean; file_size?: number }>> {
    const abs = this.resolve(rel);
    const entries = await fs.promises.readdir(abs, { withFileTypes: true }).catch(() => null);
    if (!entries) return [];
    const out = [];
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.includes('.upload-')) continue;
      if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
      else if (e.isFile())
        out.push({ path: e.name, is_dir: false, file_size: (await fs.promises.stat(path.join(abs, e.name))).size });
    }
    return out;
  }

  async delete(rel: string): Promise<void> {
    const abs = this.resolve(rel);
    if (abs === this.root) throw invalidParam('Refusing to delete the artifact root');
    if (!fs.existsSync(abs)) throw notFound(`Artifact '${rel}' does not exist`);
    await fs.promises.rm(abs, { recursive: true, force: true });
  }
}
