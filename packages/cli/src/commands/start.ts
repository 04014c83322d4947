import type { Command } from 'commander';
import { LakeboxError } from '@lakebox/common';

function parsePort(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535)
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `--port must be a number from 0 to 65535, got '${v}'`);
  return Number(v);
}

interface StartOptions {
  port?: number;
  host?: string;
  data?: string;
  config?: string;
  logLevel?: string;
  sparkConnectPort?: number;
}

/** `lakebox start`: the workspace server in the foreground, until SIGINT or SIGTERM. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the Lakebox workspace server (HTTP API) in the foreground')
    .option('-p, --port <port>', 'HTTP port (default 8080, or LAKEBOX_PORT)', parsePort)
    .option('--host <host>', 'address to listen on (default 127.0.0.1, or LAKEBOX_HOST)')
    .option('-d, --data <dir>', 'data directory (default ./.lakebox, or LAKEBOX_HOME)')
    .option('-c, --config <file>', 'config file (default <data>/config.json)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option(
      '--spark-connect-port <port>',
      'Spark Connect port (default 15002, or LAKEBOX_SPARK_CONNECT_PORT)',
      parsePort,
    )
    .action(async (o: StartOptions) => {
      // Loaded on demand: other commands should not pay for the server's dependencies.
      const { loadConfig, startServer } = await import('@lakebox/server');
      const config = loadConfig({
        dataDir: o.data,
        configFile: o.config,
        host: o.host,
        port: o.port,
        logLevel: o.logLevel,
      });
      if (o.sparkConnectPort !== undefined) config.sparkConnect.port = o.sparkConnectPort;
      const server = await startServer(config, {
        // Printed before the "lakebox listening" log line, so whoever waits for that line has it.
        onAdminToken: (token, url) =>
          process.stdout.write(
            [
              '',
              `Lakebox initialised ${config.dataDir} and created the administrator 'admin'.`,
              'Its access token is shown only this once (only its hash is stored); keep it safe:',
              '',
              `    ${token}`,
              '',
              `Use it as "Authorization: Bearer <token>" against ${url}`,
              "(new tokens: lakebox token create; the server's Token API: /api/2.0/token/create).",
              '',
            ].join('\n') + '\n',
          ),
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            server.app.log.warn({ signal }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          server.app.log.info({ signal }, 'shutting down');
          server.close().then(
            () => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              resolve();
            },
            (e: unknown) => {
              server.app.log.error({ err: e }, 'unclean shutdown');
              process.exit(1);
            },
          );
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      server.app.log.info('stopped');
      // Everything is closed; should a stray handle (a client's keep-alive socket, a timer) keep
      // the event loop alive, leave anyway.
      setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
    });
}
