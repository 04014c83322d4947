import * as fs from 'node:fs';
import * as path from 'node:path';
import { LakeboxError } from '@lakebox/common';

/** Everything `lakebox start` is configured by. Precedence: defaults < config file < LAKEBOX_* env < command-line flags. */
export interface LakeboxConfig {
  /** The data directory (absolute). */
  dataDir: string;
  /** The config file read, if any. */
  configFile: string | null;
  host: string;
  port: number;
  /** `sqlite:<file>` (default `<data>/metastore.db`) or `postgres://...` */
  metastoreUrl: string;
  /** Managed tables live under here (default `<data>/warehouse`). */
  storageRoot: string;
  /** Managed volumes live under here (default `<data>/volumes`). */
  volumesRoot: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent */
  logLevel: string;
  /** Spark Connect (gRPC) listener, started by the connect package when it registers its service. */
  sparkConnect: {
    enabled: boolean;
    host: string;
    port: number;
    /** A remote Spark Connect endpoint (sc://host:port) that sessions can be forwarded to. */
    remote?: string;
    /** The backend of sessions that do not choose one with the x-lakebox-backend header. */
    backend: 'embedded' | 'spark';
  };
  /** Top-level config-file keys this file does not know, for feature plugins (e.g. `mlflow`). */
  sections: Record<string, unknown>;
}

export interface ConfigOverrides {
  dataDir?: string;
  configFile?: string;
  host?: string;
  port?: number;
  metastoreUrl?: string;
  logLevel?: string;
}

const KNOWN = new Set(['host', 'port', 'metastoreUrl', 'storageRoot', 'volumesRoot', 'logLevel', 'sparkConnect']);
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function invalid(message: string): LakeboxError {
  return new LakeboxError('INVALID_CONFIGURATION', message);
}

function port(v: unknown, where: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw invalid(`${where}: a port must be an integer from 0 to 65535, got ${JSON.stringify(v)}`);
  }
  return n;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw invalid(`${where} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid(`${where} must be true or false, got ${JSON.stringify(v)}`);
}

function backend(v: unknown, where: string): 'embedded' | 'spark' {
  if (v === 'embedded' || v === 'spark') return v;
  throw invalid(`${where} must be "embedded" or "spark", got ${JSON.stringify(v)}`);
}

/** Resolve the data directory: `--data`, else LAKEBOX_HOME, else `./.lakebox`. */
export function resolveDataDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  return path.resolve(cwd, flag ?? env.LAKEBOX_HOME ?? '.lakebox');
}

/**
 * Build the configuration. Reads `<data>/config.json` when present (or the file given by
 * `--config` / LAKEBOX_CONFIG, which must exist), then applies LAKEBOX_* variables and flags.
 * Relative paths in the file are relative to the data directory.
 */
export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): LakeboxConfig {
  const dataDir = resolveDataDir(overrides.dataDir, env, cwd);
  const explicit = overrides.configFile ?? env.LAKEBOX_CONFIG;
  const configFile = explicit ? path.resolve(cwd, explicit) : path.join(dataDir, 'config.json');
  let file: Record<string, unknown> = {};
  if (fs.existsSync(configFile)) {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(configFile, 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('the top level must be an object');
      file = parsed as Record<string, unknown>;
    } catch (e) {
      throw invalid(`cannot read the config file ${configFile}: ${(e as Error).message}`);
    }
  } else if (explicit) {
    throw invalid(`the config file ${configFile} does not exist`);
  }
  const inData = (p: string) => path.resolve(dataDir, p);
  const sc = (file.sparkConnect ?? {}) as Record<string, unknown>;
  if (typeof sc !== 'object' || Array.isArray(sc)) throw invalid(`${configFile}: sparkConnect must be an object`);

  const cfg: LakeboxConfig = {
    dataDir,
    configFile: fs.existsSync(configFile) ? configFile : null,
    host: file.host !== undefined ? str(file.host, `${configFile}: host`) : '127.0.0.1',
    port: file.port !== undefined ? port(file.port, `${configFile}: port`) : 8080,
    metastoreUrl:
      file.metastoreUrl !== undefined
        ? normalizeMetastoreUrl(str(file.metastoreUrl, `${configFile}: metastoreUrl`), dataDir)
        : `sqlite:${inData('metastore.db')}`,
    storageRoot:
      file.storageRoot !== undefined
        ? inData(str(file.storageRoot, `${configFile}: storageRoot`))
        : inData('warehouse'),
    volumesRoot:
      file.volumesRoot !== undefined ? inData(str(file.volumesRoot, `${configFile}: volumesRoot`)) : inData('volumes'),
    logLevel: file.logLevel !== undefined ? str(file.logLevel, `${configFile}: logLevel`) : 'info',
    sparkConnect: {
      enabled: sc.enabled !== undefined ? bool(sc.enabled, `${configFile}: sparkConnect.enabled`) : true,
      host: sc.host !== undefined ? str(sc.host, `${configFile}: sparkConnect.host`) : '127.0.0.1',
      port: sc.port !== undefined ? port(sc.port, `${configFile}: sparkConnect.port`) : 15002,
      remote: sc.remote !== undefined ? str(sc.remote, `${configFile}: sparkConnect.remote`) : undefined,
      backend: sc.backend !== undefined ? backend(sc.backend, `${configFile}: sparkConnect.backend`) : 'embedded',
    },
    sections: Object.fromEntries(Object.entries(file).filter(([k]) => !KNOWN.has(k))),
  };

  // Environment
  if (env.LAKEBOX_HOST) cfg.host = env.LAKEBOX_HOST;
  if (env.LAKEBOX_PORT) cfg.port = port(env.LAKEBOX_PORT, 'LAKEBOX_PORT');
  if (env.LAKEBOX_METASTORE_URL) cfg.metastoreUrl = normalizeMetastoreUrl(env.LAKEBOX_METASTORE_URL, cwd);
  if (env.LAKEBOX_STORAGE_ROOT) cfg.storageRoot = path.resolve(cwd, env.LAKEBOX_STORAGE_ROOT);
  if (env.LAKEBOX_VOLUMES_ROOT) cfg.volumesRoot = path.resolve(cwd, env.LAKEBOX_VOLUMES_ROOT);
  if (env.LAKEBOX_LOG_LEVEL) cfg.logLevel = env.LAKEBOX_LOG_LEVEL;
  if (env.LAKEBOX_SPARK_CONNECT_PORT)
    cfg.sparkConnect.port = port(env.LAKEBOX_SPARK_CONNECT_PORT, 'LAKEBOX_SPARK_CONNECT_PORT');
  if (env.LAKEBOX_SPARK_CONNECT_ENABLED)
    cfg.sparkConnect.enabled = bool(env.LAKEBOX_SPARK_CONNECT_ENABLED, 'LAKEBOX_SPARK_CONNECT_ENABLED');
  if (env.LAKEBOX_SPARK_CONNECT_REMOTE) cfg.sparkConnect.remote = env.LAKEBOX_SPARK_CONNECT_REMOTE;
  if (env.LAKEBOX_SPARK_CONNECT_BACKEND)
    cfg.sparkConnect.backend = backend(env.LAKEBOX_SPARK_CONNECT_BACKEND, 'LAKEBOX_SPARK_CONNECT_BACKEND');

  // Flags
  if (overrides.host !== undefined) cfg.host = str(overrides.host, '--host');
  if (overrides.port !== undefined) cfg.port = port(overrides.port, '--port');
  if (overrides.metastoreUrl !== undefined) cfg.metastoreUrl = normalizeMetastoreUrl(overrides.metastoreUrl, cwd);
  if (overrides.logLevel !== undefined) cfg.logLevel = overrides.logLevel;

  if (!LEVELS.has(cfg.logLevel))
    throw invalid(`unknown log level '${cfg.logLevel}' (one of ${[...LEVELS].join(', ')})`);
  return cfg;
}

/** A plain file path becomes `sqlite:<absolute path>`; postgres URLs pass through. */
function normalizeMetastoreUrl(url: string, base: string): string {
  if (/^postgres(ql)?:\/\//i.test(url)) return url;
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (file === ':memory:') return file;
  return `sqlite:${path.resolve(base, file)}`;
}
