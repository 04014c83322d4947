export { SqlEngine, convertResult, isQuery, mapDuckError } from './engine.js';
export type {
  EngineOptions,
  ExecContext,
  ParsedStatement,
  ResultColumn,
  Session,
  StatementHandler,
  StatementResult,
  TableResolver,
} from './engine.js';
export type { ParamValue, TableRef } from './translate.js';
export { tokenize } from './lexer.js';
export { FUNCTIONS } from './functions.js';
export { sparkTypeName, translateType } from './types.js';
export { Lakehouse, nodesText, columnInfos } from './lakehouse.js';
export { extractPredicate } from './predicate.js';
export { openEmbedded } from './embedded.js';
export {
  LineageAnalyzer,
  lineageStore,
  recordQueryLineage,
  recordStatementLineage,
  systemLineageSql,
} from './lineage.js';
export type { EmbeddedSql } from './embedded.js';
export { sqlStatementsFeature } from './statements-api.js';
export type { StatementsApiOptions } from './statements-api.js';
/** The Delta writer, for surfaces that write DataFrames by path (Spark Connect's DataFrameWriter.save). */
export { writeToTable } from '@lakebox/delta';
