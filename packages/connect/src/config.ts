/**
 * Spark session configuration as a Spark Connect client sees it: Spark 4.0's defaults for the keys
 * clients read, plus what each session sets. Values are strings, as in Spark's SQLConf.
 */
export const SPARK_DEFAULTS: Record<string, string> = {
  'spark.sql.session.timeZone': 'UTC',
  'spark.sql.ansi.enabled': 'true',
  'spark.sql.timestampType': 'TIMESTAMP_LTZ',
  'spark.sql.caseSensitive': 'false',
  'spark.sql.shuffle.partitions': '200',
  'spark.sql.sources.default': 'delta',
  // Spark's default is 64 MiB; Lakebox has no artifact cache, so createDataFrame always sends the
  // data inline (LocalRelation) instead of uploading a CachedLocalRelation.
  'spark.sql.session.localRelationCacheThreshold': '2147483647',
  'spark.sql.execution.pandas.convertToArrowArraySafely': 'false',
  'spark.sql.execution.pandas.inferPandasDictAsMap': 'false',
  'spark.sql.pyspark.inferNestedDictAsStruct.enabled': 'false',
  'spark.sql.pyspark.legacy.inferArrayTypeFromFirstElement.enabled': 'false',
  'spark.sql.pyspark.legacy.inferMapTypeFromFirstPair.enabled': 'false',
  'spark.sql.execution.arrow.useLargeVarTypes': 'false',
  'spark.sql.execution.arrow.pyspark.selfDestruct.enabled': 'false',
  'spark.sql.execution.arrow.maxRecordsPerBatch': '10000',
  'spark.sql.execution.pythonUDF.arrow.enabled': 'false',
  'spark.sql.execution.pythonUDTF.arrow.enabled': 'false',
  'spark.sql.connect.serverStacktrace.enabled': 'false',
  'spark.sql.pyspark.jvmStacktrace.enabled': 'false',
  'spark.sql.repl.eagerEval.enabled': 'false',
  'spark.sql.repl.eagerEval.maxNumRows': '20',
  'spark.sql.repl.eagerEval.truncate': '20',
  'spark.sql.catalog.spark_catalog.defaultDatabase': 'default',
  'spark.sql.defaultCatalog': 'main',
};

/** Keys a session may not change (static configuration). */
const STATIC = new Set(['spark.sql.catalog.spark_catalog.defaultDatabase', 'spark.sql.defaultCatalog']);

export function isModifiable(key: string): boolean {
  return key.startsWith('spark.sql.') && !STATIC.has(key);
}
