/**
 * Choosing the protocol (reader/writer versions and table features) a table needs, and refusing
 * to write to tables whose protocol asks for writer features we do not implement.
 *
 * PROTOCOL.md "Table Features": legacy protocols imply cumulative feature sets by version; reader
 * version 3 / writer version 7 list features explicitly. A new table gets the smallest legacy
 * protocol that covers what it uses (never below (1, 2)); features that exist only as table
 * features (deletion vectors, timestamp without time zone, ...) move it to (3, 7) / (1, 7).
 * Protocols are only ever upgraded, never downgraded.
 */
import { LakeboxError } from '@lakebox/common';
import type { Metadata, Protocol } from './actions.js';
import { isArray, isMap, isStruct, parseSchema, type DataType, type StructField, type StructType } from './schema.js';

export type FeatureKind = 'writer' | 'readerWriter';

interface FeatureInfo {
  kind: FeatureKind;
  /** The legacy (reader, writer) versions that imply this feature; undefined for table-feature-only. */
  legacy?: [number, number];
  /** Features this one needs as well. */
  requires?: string[];
}

/** Every table feature named in PROTOCOL.md (and the preview names Spark writes). */
export const TABLE_FEATURES: Readonly<Record<string, FeatureInfo>> = {
  appendOnly: { kind: 'writer', legacy: [1, 2] },
  invariants: { kind: 'writer', legacy: [1, 2] },
  checkConstraints: { kind: 'writer', legacy: [1, 3] },
  changeDataFeed: { kind: 'writer', legacy: [1, 4] },
  generatedColumns: { kind: 'writer', legacy: [1, 4] },
  columnMapping: { kind: 'readerWriter', legacy: [2, 5] },
  identityColumns: { kind: 'writer', legacy: [1, 6] },
  deletionVectors: { kind: 'readerWriter' },
  timestampNtz: { kind: 'readerWriter' },
  domainMetadata: { kind: 'writer' },
  rowTracking: { kind: 'writer', requires: ['domainMetadata'] },
  clustering: { kind: 'writer', requires: ['domainMetadata'] },
  v2Checkpoint: { kind: 'readerWriter' },
  vacuumProtocolCheck: { kind: 'readerWriter' },
  inCommitTimestamp: { kind: 'writer' },
  typeWidening: { kind: 'readerWriter' },
  'typeWidening-preview': { kind: 'readerWriter' },
  variantType: { kind: 'readerWriter' },
  'variantType-preview': { kind: 'readerWriter' },
  allowColumnDefaults: { kind: 'writer' },
  icebergCompatV1: { kind: 'writer', requires: ['columnMapping'] },
  icebergCompatV2: { kind: 'writer', requires: ['columnMapping'] },
  checkpointProtection: { kind: 'writer' },
};

/**
 * Writer features this implementation honours when it writes. Enforcement of invariants, CHECK
 * constraints and generated columns lives in the data-writing layer (constraints.ts); CDF in dml.ts;
 * deletion vectors in dml.ts; column mapping through physical names. `domainMetadata`, and
 * `inCommitTimestamp` are written by the transaction itself; `v2Checkpoint` by the checkpoint
 * writer (a classic-named checkpoint with a checkpointMetadata row); `vacuumProtocolCheck` only
 * asks vacuum to check the protocol.
 */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'changeDataFeed',
  'generatedColumns',
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'domainMetadata',
  'vacuumProtocolCheck',
  'inCommitTimestamp',
  'v2Checkpoint',
]);

/** Highest legacy versions whose implied features we support (identity columns need writer 6). */
const MAX_READER_VERSION = 3;
const MAX_WRITER_VERSION = 7;

/** The features a legacy protocol implies (PROTOCOL.md "Table Features", legacy table). */
export function legacyFeatures(minReaderVersion: number, minWriterVersion: number): string[] {
  const out: string[] = [];
  for (const [name, info] of Object.entries(TABLE_FEATURES)) {
    if (!info.legacy) continue;
    const [r, w] = info.legacy;
    if (info.kind === 'readerWriter' ? minReaderVersion >= r && minWriterVersion >= w : minWriterVersion >= w) {
      out.push(name);
    }
  }
  return out;
}

/** True when the protocol lists features explicitly (writer version 7). */
export function usesTableFeatures(p: Protocol): boolean {
  return p.minWriterVersion >= 7;
}

/** All writer features a protocol enables (explicit or implied by its legacy versions). */
export function writerFeaturesOf(p: Protocol): string[] {
  if (usesTableFeatures(p)) return [...(p.writerFeatures ?? [])];
  return legacyFeatures(p.minReaderVersion, p.minWriterVersion);
}

/** All reader features a protocol enables. */
export function readerFeaturesOf(p: Protocol): string[] {
  if (p.minReaderVersion >= 3) return [...(p.readerFeatures ?? [])];
  return legacyFeatures(p.minReaderVersion, p.minWriterVersion).filter(
    (f) => TABLE_FEATURES[f]?.kind === 'readerWriter',
  );
}

function walkFields(t: DataType, visit: (f: StructField) => void): void {
  if (isStruct(t)) {
    for (const f of t.fields) {
      visit(f);
      walkFields(f.type, visit);
    }
  } else if (isArray(t)) walkFields(t.elementType, visit);
  else if (isMap(t)) {
    walkFields(t.keyType, visit);
    walkFields(t.valueType, visit);
  }
}

function typeUsed(schema: StructType, pred: (t: string) => boolean): boolean {
  let found = false;
  const check = (t: DataType): void => {
    if (typeof t === 'string') {
      if (pred(t)) found = true;
    } else if (isStruct(t)) t.fields.forEach((f) => check(f.type));
    else if (isArray(t)) check(t.elementType);
    else if (isMap(t)) {
      check(t.keyType);
      check(t.valueType);
    }
  };
  check(schema);
  return found;
}

const isTrue = (v: string | undefined): boolean => v?.toLowerCase() === 'true';

/**
 * The features a table's metadata (configuration and schema) uses. `usesDomainMetadata` adds
 * `domainMetadata` (a transaction writing domainMetadata actions needs it).
 */
export function featuresUsedBy(metadata: Metadata, opts: { usesDomainMetadata?: boolean } = {}): Set<string> {
  const conf = metadata.configuration ?? {};
  const used = new Set<string>();
  const schema = parseSchema(metadata.schemaString);
  if (isTrue(conf['delta.appendOnly'])) used.add('appendOnly');
  if (Object.keys(conf).some((k) => k.startsWith('delta.constraints.'))) used.add('checkConstraints');
  if (isTrue(conf['delta.enableChangeDataFeed'])) used.add('changeDataFeed');
  const mode = conf['delta.columnMapping.mode']?.toLowerCase();
  if (mode === 'name' || mode === 'id') used.add('columnMapping');
  if (isTrue(conf['delta.enableDeletionVectors'])) used.add('deletionVectors');
  if (isTrue(conf['delta.enableRowTracking'])) used.add('rowTracking');
  if (isTrue(conf['delta.enableInCommitTimestamps'])) used.add('inCommitTimestamp');
  if (isTrue(conf['delta.enableTypeWidening'])) used.add('typeWidening');
  if (conf['delta.checkpointPolicy']?.toLowerCase() === 'v2') used.add('v2Checkpoint');
  if (isTrue(conf['delta.enableIcebergCompatV1'])) used.add('icebergCompatV1');
  if (isTrue(conf['delta.enableIcebergCompatV2'])) used.add('icebergCompatV2');
  walkFields(schema, (f) => {
    const md = f.metadata ?? {};
    if ('delta.invariants' in md) used.add('invariants');
    if ('delta.generationExpression' in md) used.add('generatedColumns');
    if ('delta.identity.start' in md || 'delta.identity.step' in md) used.add('identityColumns');
    if ('CURRENT_DEFAULT' in md) used.add('allowColumnDefaults');
  });
  if (typeUsed(schema, (t) => t === 'timestamp_ntz')) used.add('timestampNtz');
  if (typeUsed(schema, (t) => t === 'variant')) used.add('variantType');
  // Explicit `delta.feature.<name> = supported | enabled` table properties.
  for (const [k, v] of Object.entries(conf)) {
    if (k.startsWith('delta.feature.') && ['supported', 'enabled'].includes(v.toLowerCase())) {
      used.add(k.slice('delta.feature.'.length));
    }
  }
  if (opts.usesDomainMetadata) used.add('domainMetadata');
  // Close over dependencies.
  for (const f of [...used]) for (const r of TABLE_FEATURES[f]?.requires ?? []) used.add(r);
  return used;
}

/**
 * The protocol a table needs for `metadata`, starting from `current` (never downgrading it).
 * New tables get at least (1, 2).
 */
export function selectProtocol(
  metadata: Metadata,
  opts: { current?: Protocol; usesDomainMetadata?: boolean } = {},
): Protocol {
  const needed = featuresUsedBy(metadata, opts);
  // A new table starts from nothing (so a table-features protocol lists only what it uses) and gets
  // at least (1, 2) when it stays legacy.
  const current = opts.current ?? { minReaderVersion: 1, minWriterVersion: 1 };
  for (const f of needed) {
    if (!TABLE_FEATURES[f]) {
      throw new LakeboxError('DELTA_UNSUPPORTED_FEATURES_IN_CONFIG', `unknown table feature '${f}'`, {
        sqlState: '56038',
      });
    }
  }
  const have = new Set([...writerFeaturesOf(current), ...readerFeaturesOf(current)]);
  const missing = [...needed].filter((f) => !have.has(f));
  if (missing.length === 0) {
    return normalise(opts.current ?? { minReaderVersion: 1, minWriterVersion: 2 });
  }

  const tableFeatureOnly = missing.some((f) => !TABLE_FEATURES[f].legacy);
  if (!tableFeatureOnly && !usesTableFeatures(current)) {
    // Stay legacy: raise versions to cover everything needed.
    let r = current.minReaderVersion;
    let w = Math.max(2, current.minWriterVersion);
    for (const f of needed) {
      const [fr, fw] = TABLE_FEATURES[f].legacy!;
      if (TABLE_FEATURES[f].kind === 'readerWriter') r = Math.max(r, fr);
      w = Math.max(w, fw);
    }
    return { minReaderVersion: r, minWriterVersion: w };
  }

  // Table features: keep everything the current protocol had (explicitly), plus what is needed.
  const writer = new Set([...writerFeaturesOf(current), ...needed]);
  const reader = new Set(readerFeaturesOf(current));
  for (const f of writer) if (TABLE_FEATURES[f]?.kind === 'readerWriter') reader.add(f);
  const needsReaderFeatures = current.minReaderVersion >= 3 || reader.size > 0;
  if (!needsReaderFeatures) {
    return { minReaderVersion: current.minReaderVersion, minWriterVersion: 7, writerFeatures: [...writer] };
  }
  // With reader version 3, a legacy reader-writer feature is listed explicitly (columnMapping).
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...reader],
    writerFeatures: [...writer],
  };
}

function normalise(p: Protocol): Protocol {
  const out: Protocol = { minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion };
  if (p.minReaderVersion >= 3) out.readerFeatures = [...(p.readerFeatures ?? [])];
  if (p.minWriterVersion >= 7) out.writerFeatures = [...(p.writerFeatures ?? [])];
  return out;
}

/** True when `next` enables nothing beyond `prev` (same versions and feature sets). */
export function sameProtocol(a: Protocol, b: Protocol): boolean {
  const set = (x?: string[]) => [...new Set(x ?? [])].sort().join(',');
  return (
    a.minReaderVersion === b.minReaderVersion &&
    a.minWriterVersion === b.minWriterVersion &&
    set(a.readerFeatures) === set(b.readerFeatures) &&
    set(a.writerFeatures) === set(b.writerFeatures)
  );
}

/**
 * Throw DELTA_UNSUPPORTED_FEATURES_FOR_WRITE unless we can write a table with this protocol.
 * `metadata`, when given, lets a legacy writer-6 table through when it has no identity column
 * (the only feature writer version 6 adds).
 */
export function assertWritable(p: Protocol, metadata?: Metadata): void {
  if (p.minWriterVersion > MAX_WRITER_VERSION || p.minReaderVersion > MAX_READER_VERSION) {
    throw new LakeboxError(
      'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE',
      `unsupported Delta protocol (reader ${p.minReaderVersion}, writer ${p.minWriterVersion}): this table requires a newer writer`,
      { sqlState: '56038', details: { minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion } },
    );
  }
  let features = writerFeaturesOf(p);
  if (!usesTableFeatures(p) && metadata && !featuresUsedBy(metadata).has('identityColumns')) {
    features = features.filter((f) => f !== 'identityColumns');
  }
  const unsupported = features.filter((f) => !SUPPORTED_WRITER_FEATURES.has(f));
  if (unsupported.length > 0) {
    throw new LakeboxError(
      'DELTA_UNSUPPORTED_FEATURES_FOR_WRITE',
      `unable to write this Delta table: it requires writer table feature(s) that Lakebox does not support: ${unsupported.join(', ')}`,
      { sqlState: '56038', details: { unsupportedFeatures: unsupported } },
    );
  }
}
