import { LakeboxError } from '@lakebox/common';
import { quoteName } from './names.js';

// Spark error classes (with their SQLSTATEs) for metastore failures. Not-found errors carry "did
// you mean" suggestions in the message and in details.suggestions.

function didYouMean(suggestions: string[]): string {
  return suggestions.length ? ` Did you mean one of the following? [${suggestions.join(', ')}].` : '';
}

export function catalogNotFound(catalog: string, suggestions: string[] = []): LakeboxError {
  return new LakeboxError(
    'CATALOG_NOT_FOUND',
    `The catalog ${quoteName(catalog)} cannot be found.${didYouMean(suggestions.map((s) => quoteName(s)))}`,
    { sqlState: '42P08', httpStatus: 404, details: { catalog, suggestions } },
  );
}

export function schemaNotFound(catalog: string, schema: string, suggestions: string[] = []): LakeboxError {
  return new LakeboxError(
    'SCHEMA_NOT_FOUND',
    `The schema ${quoteName(catalog, schema)} cannot be found. Verify the spelling and correctness of the schema and catalog.` +
      didYouMean(suggestions.map((s) => quoteName(catalog, s))),
    { sqlState: '42704', httpStatus: 404, details: { catalog, schema, suggestions } },
  );
}

export function tableNotFound(
  catalog: string,
  schema: string,
  table: string,
  suggestions: string[] = [],
): LakeboxError {
  return new LakeboxError(
    'TABLE_OR_VIEW_NOT_FOUND',
    `The table or view ${quoteName(catalog, schema, table)} cannot be found. Verify the spelling and correctness of the schema and catalog.` +
      didYouMean(suggestions.map((s) => quoteName(catalog, schema, s))),
    { sqlState: '42P01', httpStatus: 404, details: { catalog, schema, table, suggestions } },
  );
}

export function volumeNotFound(
  catalog: string,
  schema: string,
  volume: string,
  suggestions: string[] = [],
): LakeboxError {
  return new LakeboxError(
    'VOLUME_NOT_FOUND',
    `The volume ${quoteName(catalog, schema, volume)} cannot be found.` +
      didYouMean(suggestions.map((s) => quoteName(catalog, schema, s))),
    { sqlState: '42704', httpStatus: 404, details: { catalog, schema, volume, suggestions } },
  );
}

export function routineNotFound(catalog: string, schema: string, fn: string, suggestions: string[] = []): LakeboxError {
  return new LakeboxError(
    'ROUTINE_NOT_FOUND',
    `The routine ${quoteName(catalog, schema, fn)} cannot be found. Verify the spelling and correctness of the schema and catalog.` +
      didYouMean(suggestions.map((s) => quoteName(catalog, schema, s))),
    { sqlState: '42883', httpStatus: 404, details: { catalog, schema, routine: fn, suggestions } },
  );
}

export function catalogAlreadyExists(catalog: string): LakeboxError {
  return new LakeboxError(
    'CATALOG_ALREADY_EXISTS',
    `Cannot create catalog ${quoteName(catalog)} because it already exists.`,
    {
      sqlState: '42P04',
      httpStatus: 409,
    },
  );
}

export function schemaAlreadyExists(catalog: string, schema: string): LakeboxError {
  return new LakeboxError(
    'SCHEMA_ALREADY_EXISTS',
    `Cannot create schema ${quoteName(catalog, schema)} because it already exists. Choose a different name, drop the existing schema, or add the IF NOT EXISTS clause to tolerate pre-existing schema.`,
    { sqlState: '42P06', httpStatus: 409 },
  );
}

export function tableAlreadyExists(catalog: string, schema: string, table: string): LakeboxError {
  return new LakeboxError(
    'TABLE_OR_VIEW_ALREADY_EXISTS',
    `Cannot create table or view ${quoteName(catalog, schema, table)} because it already exists. Choose a different name, drop or replace the existing object, or add the IF NOT EXISTS clause to tolerate pre-existing objects.`,
    { sqlState: '42P07', httpStatus: 409 },
  );
}

export function volumeAlreadyExists(catalog: string, schema: string, volume: string): LakeboxError {
  return new LakeboxError(
    'VOLUME_ALREADY_EXISTS',
    `Cannot create volume ${quoteName(catalog, schema, volume)} because it already exists.`,
    {
      sqlState: '42000',
      httpStatus: 409,
    },
  );
}

export function routineAlreadyExists(catalog: string, schema: string, fn: string): LakeboxError {
  return new LakeboxError(
    'ROUTINE_ALREADY_EXISTS',
    `Cannot create the function ${quoteName(catalog, schema, fn)} because it already exists. Choose a different name, drop or replace the existing function, or add the IF NOT EXISTS clause to tolerate a pre-existing function.`,
    { sqlState: '42723', httpStatus: 409 },
  );
}

export function schemaNotEmpty(catalog: string, schema: string): LakeboxError {
  return new LakeboxError(
    'SCHEMA_NOT_EMPTY',
    `Cannot drop a schema ${quoteName(catalog, schema)} because it contains objects. Use DROP SCHEMA ... CASCADE to drop the schema and all its objects.`,
    { sqlState: '2BP01', httpStatus: 409 },
  );
}

export function catalogNotEmpty(catalog: string): LakeboxError {
  return new LakeboxError(
    'CATALOG_NOT_EMPTY',
    `Cannot drop catalog ${quoteName(catalog)} because it contains schemas. Use DROP CATALOG ... CASCADE to drop the catalog and all its objects.`,
    { sqlState: '2BP01', httpStatus: 409 },
  );
}

export function readOnlyCatalog(catalog: string): LakeboxError {
  return new LakeboxError('INVALID_PARAMETER_VALUE', `The catalog ${quoteName(catalog)} is reserved and read-only.`, {
    sqlState: '42000',
    httpStatus: 400,
  });
}

export function wrongObjectType(fullName: string, actual: string, expected: string): LakeboxError {
  return new LakeboxError(
    expected === 'VIEW' ? 'EXPECT_VIEW_NOT_TABLE' : 'EXPECT_TABLE_NOT_VIEW',
    `${fullName} is a ${actual.toLowerCase().replace('_', ' ')}, not a ${expected.toLowerCase()}.`,
    { sqlState: '42809', httpStatus: 400 },
  );
}
