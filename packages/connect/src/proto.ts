import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';

/**
 * The Spark Connect protocol, loaded from `generated/spark-connect.desc`: the FileDescriptorSet that
 * `scripts/gen-spark-connect.sh` extracts from the pinned pyspark wheel.
 */
const descPath = fileURLToPath(new URL('../generated/spark-connect.desc', import.meta.url));
const descBytes = readFileSync(descPath);

/** Message objects as @grpc/proto-loader decodes them: snake_case fields, enums as strings,
 * int64 as strings, bytes as Buffers, and the set member of each oneof named by the oneof's name. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: false,
  oneofs: true,
};

export function sparkConnectService(): grpc.ServiceDefinition {
  const def = protoLoader.loadFileDescriptorSetFromBuffer(descBytes, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as any;
  return pkg.spark.connect.SparkConnectService.service as grpc.ServiceDefinition;
}

let root: protobuf.Root | undefined;
function messages(): protobuf.Root {
  if (!root) {
    const set = (descriptorExt as any).FileDescriptorSet.decode(descBytes);
    root = (protobuf.Root as any).fromDescriptor(set) as protobuf.Root;
  }
  return root;
}

/** Encode a message of the protocol (for status details and nested Any payloads). */
export function encodeMessage(type: string, value: Record<string, unknown>): Buffer {
  const t = messages().lookupType(type);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}
