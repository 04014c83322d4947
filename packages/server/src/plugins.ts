import type { LakeboxFeature } from './context.js';

/**
 * The feature plugins `lakebox start` mounts, one line per package. Each entry imports lazily, so
 * a feature's dependencies load only in the server process. To add one:
 *
 *   () => import('@lakebox/mlflow').then((m) => m.mlflowFeature),
 *
 * where `mlflowFeature: LakeboxFeature` (see context.ts and README.md).
 */
export const featureLoaders: Array<() => Promise<LakeboxFeature>> = [
  () => import('@lakebox/engine').then((m) => m.sqlStatementsFeature()),
  () => import('@lakebox/connect').then((m) => m.sparkConnectFeature),
  () => import('@lakebox/mlflow').then((m) => m.mlflowFeature),
  () => import('./routes/files.js').then((m) => m.filesFeature),
  () => import('@lakebox/web').then((m) => m.webFeature()),
];

export async function loadFeatures(): Promise<LakeboxFeature[]> {
  const out: LakeboxFeature[] = [];
  for (const load of featureLoaders) out.push(await load());
  return out;
}
