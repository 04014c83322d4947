import * as grpc from '@grpc/grpc-js';
import { LakeboxError } from '@lakebox/common';
import type { Principal } from '@lakebox/catalog';
import { toGrpcError } from './errors.js';

type Msg = any;

/** Which engine runs a Spark Connect session: the embedded one, or a remote Spark Connect server. */
export type SparkConnectBackend = 'embedded' | 'spark';

/** The per-connection option: `sc://host:port/;token=...;x-lakebox-backend=spark` (PySpark sends
 * every unknown connection-string parameter as gRPC metadata). */
export const BACKEND_HEADER = 'x-lakebox-backend';

export interface ForwardOptions {
  /** The remote Spark Connect endpoint, `sc://host[:port][/;token=...;use_ssl=true]`. */
  remote?: string;
  /** The backend of connections that do not choose one (default `embedded`). */
  backend?: SparkConnectBackend;
}

export interface RemoteTarget {
  address: string;
  token?: string;
  ssl: boolean;
}

/** Parse a Spark Connect connection string (`sc://host:port/;k=v;...`, port 15002 by default). */
export function parseRemote(url: string): RemoteTarget {
  const m = /^sc:\/\/(\[[^\]]+\]|[^:/;]+)(?::(\d+))?\/?(.*)$/.exec(url.trim());
  if (!m)
    throw new LakeboxError(
      'INVALID_CONNECT_URL',
      `the remote Spark Connect endpoint must look like sc://host:port, not ${JSON.stringify(url)}`,
    );
  const params = new Map<string, string>();
  for (const p of m[3]!.split(';')) {
    const i = p.indexOf('=');
    if (i > 0) params.set(p.slice(0, i), decodeURIComponent(p.slice(i + 1)));
  }
  return {
    address: `${m[1]}:${m[2] ?? '15002'}`,
    token: params.get('token'),
    ssl: params.get('use_ssl') === 'true',
  };
}

/** The backend a call asks for: its `x-lakebox-backend` header, else the server's default. */
export function backendOf(metadata: grpc.Metadata, fallback: SparkConnectBackend = 'embedded'): SparkConnectBackend {
  const v = metadata.get(BACKEND_HEADER)[0];
  if (v === undefined) return fallback;
  const b = String(v).trim().toLowerCase();
  if (b === 'spark' || b === 'remote') return 'spark';
  if (b === 'embedded' || b === 'lakebox' || b === 'duckdb') return 'embedded';
  throw new LakeboxError(
    'INVALID_CONNECT_URL',
    `${BACKEND_HEADER} must be "embedded" or "spark", not ${JSON.stringify(String(v))}`,
  );
}

/** Metadata sent on to the remote: the caller's own headers, without the Lakebox token, the backend
 * choice and transport headers; with the remote's token when the endpoint has one. */
export function forwardedMetadata(incoming: grpc.Metadata, target: RemoteTarget): grpc.Metadata {
  const out = new grpc.Metadata();
  for (const [k, v] of Object.entries(incoming.getMap())) {
    if (k === 'authorization' || k === BACKEND_HEADER || k === 'user-agent' || k === 'te') continue;
    if (k.startsWith('grpc-') || k.startsWith(':') || k === 'content-type') continue;
    out.set(k, v);
  }
  if (target.token) out.set('authorization', `Bearer ${target.token}`);
  return out;
}

/** The Lakebox principal becomes the Spark user of forwarded requests. */
function asUser(req: Msg, p: Principal): Msg {
  if (req && typeof req === 'object' && 'user_context' in req)
    return { ...req, user_context: { ...(req.user_context ?? {}), user_id: p.name } };
  return req;
}

/**
 * Wrap the embedded implementation of SparkConnectService: a call whose backend is `spark` is
 * authenticated as a Lakebox principal, then proxied to the remote Spark Connect server (every
 * RPC: unary, server-streaming ExecutePlan/ReattachExecute, client-streaming AddArtifacts), with
 * the remote's responses and errors (status, message and details) passed back unchanged.
 */
export class SparkConnectForwarder {
  private client: grpc.Client | undefined;
  private readonly target: RemoteTarget | undefined;
  private readonly fallback: SparkConnectBackend;

  constructor(
    opts: ForwardOptions,
    private readonly authenticate: (metadata: grpc.Metadata) => Promise<Principal>,
  ) {
    this.target = opts.remote ? parseRemote(opts.remote) : undefined;
    this.fallback = opts.backend ?? 'embedded';
    if (this.fallback === 'spark' && !this.target)
      throw new LakeboxError(
        'INVALID_CONFIG',
        'sparkConnect.backend is "spark" but no remote Spark Connect endpoint is set (sparkConnect.remote or ' +
          'LAKEBOX_SPARK_CONNECT_REMOTE)',
      );
  }

  private remote(): { client: grpc.Client; target: RemoteTarget } {
    if (!this.target)
      throw new LakeboxError(
        'FORWARDING_NOT_CONFIGURED',
        `this connection asks for the spark backend (${BACKEND_HEADER}) but the server has no remote Spark ` +
          'Connect endpoint: set sparkConnect.remote or LAKEBOX_SPARK_CONNECT_REMOTE (sc://host:port)',
        { httpStatus: 400 },
      );
    this.client ??= new grpc.Client(
      this.target.address,
      this.target.ssl ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(),
      { 'grpc.max_receive_message_length': 128 * 1024 * 1024, 'grpc.max_send_message_length': 128 * 1024 * 1024 },
    );
    return { client: this.client, target: this.target };
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** The service implementation: each method goes to the remote or to `embedded`. */
  wrap(
    service: grpc.ServiceDefinition,
    embedded: grpc.UntypedServiceImplementation,
  ): grpc.UntypedServiceImplementation {
    const out: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(service)) {
      const local = embedded[name];
      if (!local) continue;
      const d = def as grpc.MethodDefinition<Msg, Msg>;
      if (!d.requestStream && !d.responseStream) out[name] = this.unary(d, local as grpc.handleUnaryCall<Msg, Msg>);
      else if (!d.requestStream) out[name] = this.serverStream(d, local as grpc.handleServerStreamingCall<Msg, Msg>);
      else if (!d.responseStream) out[name] = this.clientStream(d, local as grpc.handleClientStreamingCall<Msg, Msg>);
      else out[name] = local;
    }
    return out;
  }

  private route(metadata: grpc.Metadata): SparkConnectBackend {
    return backendOf(metadata, this.fallback);
  }

  private unary(
    d: grpc.MethodDefinition<Msg, Msg>,
    local: grpc.handleUnaryCall<Msg, Msg>,
  ): grpc.handleUnaryCall<Msg, Msg> {
    return (call, callback) => {
      let backend: SparkConnectBackend;
      try {
        backend = this.route(call.metadata);
      } catch (e) {
        callback(toGrpcError(e));
        return;
      }
      if (backend === 'embedded') return local(call, callback);
      (async () => {
        const p = await this.authenticate(call.metadata);
        const { client, target } = this.remote();
        const req = asUser(call.request, p);
        const outgoing = client.makeUnaryRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          req,
          forwardedMetadata(call.metadata, target),
          (err, res) => (err ? callback(err) : callback(null, res)),
        );
        call.on('cancelled', () => outgoing.cancel());
      })().catch((e: unknown) => callback(toGrpcError(e)));
    };
  }

  private serverStream(
    d: grpc.MethodDefinition<Msg, Msg>,
    local: grpc.handleServerStreamingCall<Msg, Msg>,
  ): grpc.handleServerStreamingCall<Msg, Msg> {
    return (call) => {
      let backend: SparkConnectBackend;
      try {
        backend = this.route(call.metadata);
      } catch (e) {
        call.emit('error', toGrpcError(e));
        return;
      }
      if (backend === 'embedded') return local(call);
      (async () => {
        const p = await this.authenticate(call.metadata);
        const { client, target } = this.remote();
        const outgoing = client.makeServerStreamRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          asUser(call.request, p),
          forwardedMetadata(call.metadata, target),
        );
        let failed = false;
        call.on('cancelled', () => outgoing.cancel());
        outgoing.on('data', (m: Msg) => {
          // Backpressure: stop reading the remote while the caller's stream is full.
          if (!call.write(m)) {
            outgoing.pause();
            call.once('drain', () => outgoing.resume());
          }
        });
        outgoing.on('error', (e: grpc.ServiceError) => {
          failed = true;
          call.emit('error', e);
        });
        outgoing.on('status', () => {
          if (!failed) call.end();
        });
      })().catch((e: unknown) => call.emit('error', toGrpcError(e)));
    };
  }

  private clientStream(
    d: grpc.MethodDefinition<Msg, Msg>,
    local: grpc.handleClientStreamingCall<Msg, Msg>,
  ): grpc.handleClientStreamingCall<Msg, Msg> {
    return (call, callback) => {
      let backend: SparkConnectBackend;
      try {
        backend = this.route(call.metadata);
      } catch (e) {
        call.on('data', () => undefined);
        callback(toGrpcError(e));
        return;
      }
      if (backend === 'embedded') return local(call, callback);
      // Hold the caller's messages until authenticated, then stream them on.
      call.pause();
      (async () => {
        const p = await this.authenticate(call.metadata);
        const { client, target } = this.remote();
        const outgoing = client.makeClientStreamRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          forwardedMetadata(call.metadata, target),
          (err, res) => (err ? callback(err) : callback(null, res)),
        );
        call.on('cancelled', () => outgoing.cancel());
        call.on('data', (m: Msg) => {
          if (!outgoing.write(asUser(m, p))) {
            call.pause();
            outgoing.once('drain', () => call.resume());
          }
        });
        call.on('end', () => outgoing.end());
        call.resume();
      })().catch((e: unknown) => {
        call.on('data', () => undefined);
        call.resume();
        callback(toGrpcError(e));
      });
    };
  }
}
