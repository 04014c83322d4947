import type { Command } from 'commander';
import { LakeboxError } from '@lakebox/common';
import type { OpenCatalog, Principal, TokenInfo } from '@lakebox/catalog';

const ADMIN_USER = 'admin';

interface Target {
  data?: string;
  config?: string;
  server?: string;
  token?: string;
}

/** Call a running server's API with a token. */
async function api(
  t: { server: string; token: string },
  method: 'GET' | 'POST',
  pathname: string,
  body?: unknown,
): Promise<any> {
  const url = new URL(pathname, t.server.endsWith('/') ? t.server : t.server + '/');
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${t.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new LakeboxError('SERVER_UNREACHABLE', `cannot reach ${t.server}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new LakeboxError('BAD_RESPONSE', `${url} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new LakeboxError(json.error_code ?? `HTTP_${res.status}`, json.message ?? `HTTP ${res.status}`);
  return json;
}

/** The server to talk to, if any: --server / LAKEBOX_URL, with --token / LAKEBOX_TOKEN. */
function remote(o: Target): { server: string; token: string } | undefined {
  const server = o.server ?? process.env.LAKEBOX_URL;
  if (!server) return undefined;
  const token = o.token ?? process.env.LAKEBOX_TOKEN;
  if (!token) throw new LakeboxError('UNAUTHENTICATED', 'talking to a server needs a token: --token or LAKEBOX_TOKEN');
  return { server, token };
}

async function withLocal<T>(o: Target, fn: (c: OpenCatalog) => Promise<T>): Promise<T> {
  // Loaded on demand: other commands should not pay for the metastore's dependencies.
  const { openWorkspace } = await import('@lakebox/server');
  const ws = await openWorkspace({ dataDir: o.data, configFile: o.config });
  try {
    return await fn(ws.catalog);
  } finally {
    await ws.close();
  }
}

const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());

function targetOptions(cmd: Command): Command {
  return cmd
    .option('-d, --data <dir>', 'data directory to work on directly (default ./.lakebox, or LAKEBOX_HOME)')
    .option('-c, --config <file>', 'config file (default <data>/config.json)')
    .option('--server <url>', 'a running server to ask instead (or LAKEBOX_URL), e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'an existing token for --server (or LAKEBOX_TOKEN)');
}

/** `lakebox token create|list|revoke`: personal access tokens, on the data directory or through a running server. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage personal access tokens');

  targetOptions(
    token
      .command('create')
      .description('create a personal access token and print it (once) on stdout')
      .option(
        '-u, --user <name>',
        `the user the token is for (default: ${ADMIN_USER} locally, yourself on a server); created if missing`,
      )
      .option('--lifetime-seconds <n>', 'expire after this many seconds (default: never)', (v) => {
        if (!/^-?\d+$/.test(v))
          throw new LakeboxError('INVALID_PARAMETER_VALUE', `--lifetime-seconds must be an integer, got '${v}'`);
        return Number(v);
      })
      .option('--comment <text>', 'what the token is for'),
  ).action(async (o: Target & { user?: string; lifetimeSeconds?: number; comment?: string }) => {
    const r = remote(o);
    let value: string;
    let info: { token_id: string; expiry_time: number } | TokenInfo;
    if (r) {
      const res = await api(r, 'POST', '/api/2.0/token/create', {
        ...(o.lifetimeSeconds !== undefined ? { lifetime_seconds: o.lifetimeSeconds } : {}),
        ...(o.comment !== undefined ? { comment: o.comment } : {}),
        ...(o.user !== undefined ? { user_name: o.user } : {}),
      });
      value = res.token_value;
      info = res.token_info;
    } else {
      const created = await withLocal(o, async (c) => {
        const user = o.user ?? ADMIN_USER;
        await c.principals.ensurePrincipal(user, { isAdmin: user === ADMIN_USER });
        return c.principals.createToken(user, {
          lifetimeSeconds: o.lifetimeSeconds ?? null,
          comment: o.comment ?? null,
        });
      });
      value = created.token;
      info = created.info;
    }
    process.stdout.write(`${value}\n`);
    const id = 'tokenId' in info ? info.tokenId : info.token_id;
    const exp = 'tokenId' in info ? info.expiresAt : info.expiry_time > 0 ? info.expiry_time : null;
    process.stderr.write(`token id ${id}, expires ${iso(exp)}; it is shown only now\n`);
  });

  targetOptions(token.command('list').description('list tokens (id, user, created, expires, comment)')).action(
    async (o: Target) => {
      const r = remote(o);
      const rows: string[][] = [];
      if (r) {
        const res = await api(r, 'GET', '/api/2.0/token/list');
        for (const t of res.token_infos ?? []) {
          rows.push([
            t.token_id,
            t.created_by_username ?? '',
            iso(t.creation_time),
            iso(t.expiry_time > 0 ? t.expiry_time : null),
            t.comment ?? '',
          ]);
        }
      } else {
        const list = await withLocal(o, (c) => c.principals.listTokens());
        for (const t of list) rows.push([t.tokenId, t.principal, iso(t.createdAt), iso(t.expiresAt), t.comment ?? '']);
      }
      process.stdout.write(
        ['token_id\tuser\tcreated\texpires\tcomment', ...rows.map((x) => x.join('\t'))].join('\n') + '\n',
      );
    },
  );

  targetOptions(token.command('revoke').description('revoke a token by id').argument('<token-id>')).action(
    async (id: string, o: Target) => {
      const r = remote(o);
      if (r) await api(r, 'POST', '/api/2.0/token/delete', { token_id: id });
      else {
        await withLocal(o, async (c) => {
          const admin = await c.principals.getPrincipal(ADMIN_USER);
          // Working on the data directory directly is an administrator's act.
          const asAdmin: Principal = admin ?? { id: '', name: ADMIN_USER, kind: 'user', isAdmin: true };
          await c.principals.revokeToken(id, asAdmin);
        });
      }
      process.stderr.write(`revoked ${id}\n`);
    },
  );
}
