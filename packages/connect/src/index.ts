import type { LakeboxFeature } from '@lakebox/server';
import { Lakehouse, SqlEngine } from '@lakebox/engine';
import { SparkConnectServer } from './server.js';

export { SparkConnectServer, SPARK_VERSION } from './server.js';
export type { SparkConnectOptions } from './server.js';

/**
 * The Spark Connect service of `lakebox start`: a gRPC server on `config.sparkConnect.port`
 * (15002) speaking Spark 4.0's protocol, running plans on the SQL engine over the metastore.
 */
export const sparkConnectFeature: LakeboxFeature = {
  name: 'spark-connect',
  plugin: async (_app, o) => {
    const sc = o.config.sparkConnect;
    if (!sc.enabled) return;
    const lakehouse = new Lakehouse(o.metastore);
    const engine = new SqlEngine({ resolver: lakehouse, handlers: [lakehouse] });
    lakehouse.engine = engine;
    const server = new SparkConnectServer({
      engine,
      principals: o.principals,
      forward: { remote: sc.remote, backend: sc.backend },
      log: o.log,
    });
    o.services.add({
      name: 'spark-connect',
      start: async () => {
        const port = await server.listen(sc.host, sc.port);
        return { address: `sc://${sc.host}:${port}` };
      },
      stop: () => server.close(),
    });
  },
};
