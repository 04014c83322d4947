import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { metastoreSuite } from './metastore.suite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-sqlite-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

metastoreSuite('sqlite', async () => `sqlite:${path.join(dir, 'metastore.db')}`);
