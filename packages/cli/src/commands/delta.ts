import type { Command } from 'commander';
import { LakeboxError } from '@lakebox/common';

type Format = 'json' | 'csv' | 'table';

function parseVersion(v: string): number {
  if (!/^\d+$/.test(v))
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `--version must be a non-negative integer, got '${v}'`);
  return Number(v);
}
function parseLimit(v: string): number {
  if (!/^\d+$/.test(v))
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `--limit must be a non-negative integer, got '${v}'`);
  return Number(v);
}
function parseFormat(allowed: Format[]): (v: string) => Format {
  return (v: string) => {
    if (!(allowed as string[]).includes(v)) {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', `--format must be one of ${allowed.join(', ')}, got '${v}'`);
    }
    return v as Format;
  };
}

/** A cell as text: scalars as they are, nested values as JSON. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
function renderTable(columns: string[], rows: Record<string, unknown>[], nullText = 'NULL'): string {
  const text = rows.map((r) =>
    columns.map((c) => (r[c] === null || r[c] === undefined ? nullText : cell(r[c]).replace(/\s+/g, ' '))),
  );
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...text.map((t) => t[i]!.length))));
  const fit = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]): string =>
    cells
      .map((s, i) => fit(s, widths[i]!))
      .join(' | ')
      .trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const t of text) out.push(line(t));
  return out.join('\n') + '\n';
}
function write(s: string): void {
  process.stdout.write(s);
}

function typeText(t: unknown): string {
  if (typeof t === 'string') return t;
  const o = t as {
    type: string;
    fields?: { name: string; type: unknown }[];
    elementType?: unknown;
    keyType?: unknown;
    valueType?: unknown;
  };
  if (o.type === 'struct') return `struct<${(o.fields ?? []).map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')}>`;
  if (o.type === 'array') return `array<${typeText(o.elementType)}>`;
  if (o.type === 'map') return `map<${typeText(o.keyType)}, ${typeText(o.valueType)}>`;
  return JSON.stringify(t);
}

/** `lakebox delta ...`: inspect Delta tables on local disk (history, describe, cat). */
export function registerDelta(program: Command): void {
  // `lakebox delta cat --version 3` must reach the subcommand, not the program's own --version:
  // program-level options are recognised only before the subcommand name.
  program.enablePositionalOptions();
  const delta = program.command('delta').description('inspect Delta Lake tables (a local path, file:// or s3:// URL)');

  delta
    .command('history')
    .description("a table's commits, newest first")
    .argument('<path>', 'table location')
    .option('-n, --limit <n>', 'at most this many commits', parseLimit)
    .option('-f, --format <format>', 'json or table (default table)', parseFormat(['json', 'table']), 'table')
    .action(async (location: string, o: { limit?: number; format: Format }) => {
      const { readHistory, storeForLocation } = await import('@lakebox/delta');
      const history = await readHistory(storeForLocation(location), o.limit === undefined ? {} : { limit: o.limit });
      if (o.format === 'json') {
        write(
          JSON.stringify(
            history.map((h) => ({ ...h, timestamp: new Date(h.timestamp).toISOString() })),
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const rows = history.map((h) => ({
        version: h.version,
        timestamp: new Date(h.timestamp).toISOString(),
        operation: h.operation ?? '',
        userName: h.userName ?? '',
        readVersion: h.readVersion ?? '',
        isBlindAppend: h.isBlindAppend ?? '',
        operationParameters: h.operationParameters,
        operationMetrics: h.operationMetrics,
      }));
      write(
        renderTable(
          [
            'version',
            'timestamp',
            'operation',
            'userName',
            'readVersion',
            'isBlindAppend',
            'operationParameters',
            'operationMetrics',
          ],
          rows,
          '',
        ),
      );
    });

  delta
    .command('describe')
    .description("a table's schema, partition columns, protocol and features, properties, files and size")
    .argument('<path>', 'table location')
    .option('--version <n>', 'as of this version', parseVersion)
    .option('--timestamp <ts>', 'as of this time (ISO-8601 or YYYY-MM-DD[ HH:MM:SS], UTC)')
    .option('-f, --format <format>', 'json or table (default table)', parseFormat(['json', 'table']), 'table')
    .action(async (location: string, o: { version?: number; timestamp?: string; format: Format }) => {
      const { loadSnapshot, storeForLocation } = await import('@lakebox/delta');
      const s = await loadSnapshot(storeForLocation(location), { version: o.version, timestamp: o.timestamp });
      const { numFiles, sizeInBytes } = s.sizeInfo();
      const info = {
        location: s.store.url,
        id: s.metadata.id,
        name: s.metadata.name ?? null,
        description: s.metadata.description ?? null,
        version: s.version,
        timestamp: new Date(s.timestamp).toISOString(),
        format: s.metadata.format?.provider ?? 'parquet',
        partitionColumns: s.partitionColumns,
        columnMappingMode: s.columnMappingMode,
        protocol: s.protocol,
        properties: s.tableProperties(),
        numFiles,
        sizeInBytes,
        schema: s.schema.fields.map((f) => ({
          name: f.name,
          type: typeText(f.type),
          nullable: f.nullable,
          metadata: f.metadata,
        })),
      };
      if (o.format === 'json') {
        write(JSON.stringify(info, null, 2) + '\n');
        return;
      }
      const lines = [
        `location:           ${info.location}`,
        `id:                 ${info.id}`,
        ...(info.name ? [`name:               ${info.name}`] : []),
        ...(info.description ? [`description:        ${info.description}`] : []),
        `version:            ${info.version}`,
        `timestamp:          ${info.timestamp}`,
        `format:             ${info.format}`,
        `partition columns:  ${info.partitionColumns.length ? info.partitionColumns.join(', ') : '(none)'}`,
        `protocol:           reader ${s.protocol.minReaderVersion}, writer ${s.protocol.minWriterVersion}`,
        `reader features:    ${(s.protocol.readerFeatures ?? []).join(', ') || '(none)'}`,
        `writer features:    ${(s.protocol.writerFeatures ?? []).join(', ') || '(none)'}`,
        `column mapping:     ${info.columnMappingMode}`,
        `number of files:    ${numFiles}`,
        `size in bytes:      ${sizeInBytes}`,
        'properties:',
        ...(Object.keys(info.properties).length
          ? Object.entries(info.properties).map(([k, v]) => `  ${k} = ${v}`)
          : ['  (none)']),
        'schema:',
      ];
      write(lines.join('\n') + '\n');
      write(
        renderTable(
          ['column', 'type', 'nullable', 'partition'],
          info.schema.map((f) => ({
            column: f.name,
            type: f.type,
            nullable: f.nullable,
            partition: s.partitionColumns.includes(f.name),
          })),
        ),
      );
    });

  delta
    .command('cat')
    .description("a table's rows (the latest version, or as of --version / --timestamp)")
    .argument('<path>', 'table location')
    .option('--version <n>', 'as of this version', parseVersion)
    .option('--timestamp <ts>', 'as of this time (ISO-8601 or YYYY-MM-DD[ HH:MM:SS], UTC)')
    .option('-n, --limit <n>', 'at most this many rows', parseLimit)
    .option('--time-zone <tz>', 'zone of timestamp partition values stored without one (default UTC)')
    .option(
      '-f, --format <format>',
      'json (one object per line), csv or table (default table)',
      parseFormat(['json', 'csv', 'table']),
      'table',
    )
    .action(
      async (
        location: string,
        o: { version?: number; timestamp?: string; limit?: number; timeZone?: string; format: Format },
      ) => {
        const { loadSnapshot, storeForLocation, scanSql, withConnection } = await import('@lakebox/delta');
        const s = await loadSnapshot(storeForLocation(location), { version: o.version, timestamp: o.timestamp });
        const sql =
          (await scanSql(s, o.timeZone === undefined ? {} : { timeZone: o.timeZone })) +
          (o.limit === undefined ? '' : ` LIMIT ${o.limit}`);
        const columns = s.schema.fields.map((f) => f.name);
        const fail = (e: unknown): LakeboxError =>
          new LakeboxError('DELTA_FAILED_READ_FILE', `cannot read the rows of ${s.store.url}: ${(e as Error).message}`);
        await withConnection(async (conn) => {
          await conn.run(`SET TimeZone = 'UTC'`);
          // json and csv stream batch by batch, so large tables never sit in memory at once.
          let result;
          try {
            result = await conn.stream(sql);
          } catch (e) {
            throw fail(e);
          }
          const rows: Record<string, unknown>[] = [];
          if (o.format === 'csv') write(columns.map(csvField).join(',') + '\n');
          try {
            for await (const batch of result.yieldRowObjectJson()) {
              if (o.format === 'json') write(batch.map((r) => JSON.stringify(r) + '\n').join(''));
              else if (o.format === 'csv')
                write(batch.map((r) => columns.map((c) => csvField(cell(r[c]))).join(',') + '\n').join(''));
              else rows.push(...batch);
            }
          } catch (e) {
            throw fail(e);
          }
          if (o.format === 'table') {
            write(renderTable(columns, rows));
            write(`(${rows.length} row${rows.length === 1 ? '' : 's'}, version ${s.version})\n`);
          }
        });
      },
    );
}
