import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import type { LakeboxFeature } from './context.js';
import { startServer } from './start.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('startServer', () => {
  it('starts registered services after listening and stops them on close (the Spark Connect hook)', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'lakebox-start-'));
    dirs.push(data);
    const events: string[] = [];
    let servicePort = 0;
    const tcp = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.end();
    });
    const feature: LakeboxFeature = {
      name: 'fake-connect',
      plugin: async (_app, { services, config }) => {
        expect(config.sparkConnect.port).toBe(15002);
        services.add({
          name: 'fake-connect',
          start: () =>
            new Promise((resolve) => {
              events.push('start');
              tcp.listen(0, '127.0.0.1', () => {
                servicePort = (tcp.address() as net.AddressInfo).port;
                resolve({ address: `127.0.0.1:${servicePort}` });
              });
            }),
          stop: () =>
            new Promise((resolve) => {
              events.push('stop');
              tcp.close(() => resolve());
            }),
        });
      },
    };
    const config = loadConfig({ dataDir: data, port: 0, logLevel: 'silent' }, {});
    const announced: string[] = [];
    const server = await startServer(config, {
      features: [feature],
      logger: false,
      onAdminToken: (tok) => announced.push(tok),
    });
    expect(server.createdAdminToken).toMatch(/^lbx_/);
    expect(announced).toEqual([server.createdAdminToken]);
    expect(events).toEqual(['start']);
    expect(await canConnect(servicePort)).toBe(true);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    await server.close();
    await server.close(); // idempotent
    expect(events).toEqual(['start', 'stop']);
    expect(await canConnect(servicePort)).toBe(false);
    expect(await canConnect(server.port)).toBe(false);

    // a second start on the same data dir keeps the admin and creates no token
    const again = await startServer(loadConfig({ dataDir: data, port: 0, logLevel: 'silent' }, {}), {
      features: [],
      logger: false,
    });
    expect(again.createdAdminToken).toBeUndefined();
    await again.close();
  });
});
