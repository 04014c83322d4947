import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { authzSuite } from './authz.suite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-authz-sqlite-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

authzSuite('sqlite', async () => `sqlite:${path.join(dir, 'metastore.db')}`);
