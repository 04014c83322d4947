/**
 * Reader protocol versions and table features (PROTOCOL.md, "Table Features"): what this reader
 * supports, and a check that refuses anything else with an error naming the feature.
 */
import { LakeboxError } from '@lakebox/common';
import type { Protocol } from './actions.js';

export const MAX_READER_VERSION = 3;

/** Reader features this implementation can read. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
]);

/** The reader features a protocol requires (legacy versions imply some). */
export function readerFeatures(p: Protocol): string[] {
  if (p.minReaderVersion >= 3) return [...(p.readerFeatures ?? [])];
  if (p.minReaderVersion === 2) return ['columnMapping'];
  return [];
}

/** Does the table's protocol enable `feature` for readers or writers? */
export function hasFeature(p: Protocol, feature: string): boolean {
  if (p.readerFeatures?.includes(feature) || p.writerFeatures?.includes(feature)) return true;
  if (p.minWriterVersion < 7) {
    // Legacy protocol versions imply features (PROTOCOL.md, "Legacy protocol versions").
    const implied: Record<string, [number, number]> = {
      appendOnly: [1, 2],
      invariants: [1, 2],
      checkConstraints: [1, 3],
      changeDataFeed: [1, 4],
      generatedColumns: [1, 4],
      columnMapping: [2, 5],
      identityColumns: [1, 6],
    };
    const v = implied[feature];
    if (v && p.minReaderVersion >= v[0] && p.minWriterVersion >= v[1]) return true;
  }
  return false;
}

/** Throw unless this reader can read a table with protocol `p`. `where` names the table. */
export function checkReadSupported(p: Protocol, where: string): void {
  if (!Number.isInteger(p.minReaderVersion) || p.minReaderVersion < 1 || p.minReaderVersion > MAX_READER_VERSION) {
    throw new LakeboxError(
      'DELTA_INVALID_PROTOCOL_VERSION',
      `unsupported Delta protocol version: table ${where} requires reader version ${p.minReaderVersion} (writer version ${p.minWriterVersion}), but this reader supports reader versions 1 to ${MAX_READER_VERSION}`,
      { details: { minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion } },
    );
  }
  const unsupported = readerFeatures(p).filter((f) => !SUPPORTED_READER_FEATURES.has(f));
  if (unsupported.length > 0) {
    throw new LakeboxError(
      'DELTA_UNSUPPORTED_FEATURES_FOR_READ',
      `unsupported Delta read feature(s): table ${where} requires reader feature(s) ${unsupported.join(', ')}, which this reader does not support`,
      { details: { features: unsupported } },
    );
  }
}
