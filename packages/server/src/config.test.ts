import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-config-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('defaults to ./.lakebox, 127.0.0.1:8080 and a SQLite metastore in the data dir', () => {
    const cwd = tmp();
    const c = loadConfig({}, {}, cwd);
    expect(c).toMatchObject({
      dataDir: path.join(cwd, '.lakebox'),
      configFile: null,
      host: '127.0.0.1',
      port: 8080,
      metastoreUrl: `sqlite:${path.join(cwd, '.lakebox', 'metastore.db')}`,
      storageRoot: path.join(cwd, '.lakebox', 'warehouse'),
      volumesRoot: path.join(cwd, '.lakebox', 'volumes'),
      logLevel: 'info',
      sparkConnect: { enabled: true, host: '127.0.0.1', port: 15002 },
    });
  });

  it('layers config file < environment < flags', () => {
    const data = tmp();
    fs.writeFileSync(
      path.join(data, 'config.json'),
      JSON.stringify({
        port: 9000,
        host: '0.0.0.0',
        storageRoot: 'tables',
        logLevel: 'warn',
        sparkConnect: { port: 15003 },
        mlflow: { x: 1 },
      }),
    );
    const fileOnly = loadConfig({ dataDir: data }, {}, '/');
    expect(fileOnly).toMatchObject({
      configFile: path.join(data, 'config.json'),
      port: 9000,
      host: '0.0.0.0',
      storageRoot: path.join(data, 'tables'),
      logLevel: 'warn',
      sparkConnect: { port: 15003 },
      sections: { mlflow: { x: 1 } },
    });
    const env = { LAKEBOX_PORT: '9100', LAKEBOX_METASTORE_URL: 'postgres://u:p@h:5432/db', LAKEBOX_LOG_LEVEL: 'debug' };
    expect(loadConfig({ dataDir: data }, env, '/')).toMatchObject({
      port: 9100,
      metastoreUrl: 'postgres://u:p@h:5432/db',
      logLevel: 'debug',
    });
    expect(loadConfig({ dataDir: data, port: 9200, host: '127.0.0.1' }, env, '/')).toMatchObject({
      port: 9200,
      host: '127.0.0.1',
    });
  });

  it('takes the data dir from LAKEBOX_HOME and the config file from LAKEBOX_CONFIG', () => {
    const home = tmp();
    const cfg = path.join(tmp(), 'my.json');
    fs.writeFileSync(cfg, '{"port": 1234}');
    const c = loadConfig({}, { LAKEBOX_HOME: home, LAKEBOX_CONFIG: cfg }, '/');
    expect(c.dataDir).toBe(home);
    expect(c.port).toBe(1234);
  });

  it('rejects bad values with INVALID_CONFIGURATION', () => {
    const data = tmp();
    expect(() => loadConfig({ dataDir: data }, { LAKEBOX_PORT: 'http' }, '/')).toThrow(
      /LAKEBOX_PORT: a port must be an integer/,
    );
    expect(() => loadConfig({ dataDir: data, configFile: path.join(data, 'missing.json') }, {}, '/')).toThrow(
      /does not exist/,
    );
    fs.writeFileSync(path.join(data, 'config.json'), '{"port": ');
    expect(() => loadConfig({ dataDir: data }, {}, '/')).toThrow(/cannot read the config file/);
    fs.writeFileSync(path.join(data, 'config.json'), '{"logLevel": "loud"}');
    expect(() => loadConfig({ dataDir: data }, {}, '/')).toThrow(/unknown log level 'loud'/);
    try {
      loadConfig({ dataDir: data }, {}, '/');
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_CONFIGURATION');
    }
  });
});
