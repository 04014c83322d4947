import { rmSync, existsSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import type { Metastore, TableInfo, ColumnInfo } from '@lakebox/catalog';
import { Authorizer, type Privilege } from '@lakebox/catalog/authz';
import {
  DeltaTable,
  assignColumnMapping,
  deleteFromTable,
  duckdbTypeName,
  mergeIntoTable,
  optimizeTable,
  readHistory,
  restoreTable,
  scanSql,
  simpleString,
  sqlIdent,
  sqlString,
  updateTable,
  vacuumTable,
  writeToTable,
  type DataType,
  type MergeClause,
  type StructType,
} from '@lakebox/delta';
import { Cursor, parseProperties } from './cursor.js';
import type {
  ExecContext,
  ParsedStatement,
  Session,
  SqlEngine,
  StatementHandler,
  StatementResult,
  TableResolver,
} from './engine.js';
import type { Token } from './lexer.js';
import { Governance } from './governance.js';
import { extractPredicate } from './predicate.js';
import { recordStatementLineage, systemLineageSql } from './lineage.js';
import { refPlaceholder, Translator, type TableRef, type TranslateContext } from './translate.js';
import { isGroup, isOp, isWord, splitCommas, type Group, type Node } from './tree.js';
import { parseDeltaType, translateType, type DeltaDataType } from './types.js';

const ok = (): StatementResult => ({ columns: [], rows: [] });
const cols = (...names: string[]) => names.map((name) => ({ name, type: 'string' }));
const word = (v: string): Token => ({ kind: 'ident', value: v, raw: v, line: 0, col: 0, offset: 0 });

/** Session state a Lakehouse keeps for temporary views. */
interface TempViews {
  tempViews?: Map<string, string>;
  /** Relations the Spark Connect server computed outside the engine (Python UDF results): DuckDB SQL by lower-case name. */
  computedRelations?: Map<string, string>;
}

/**
 * Spark SQL over the metastore and Delta tables: resolves table names (and `delta.\`/path\``) to
 * Delta snapshots with partition pruning and file skipping, and runs DDL, DML and utility
 * statements against the metastore and the Delta package.
 */
export class Lakehouse implements TableResolver, StatementHandler {
  engine!: SqlEngine;
  /** Privilege checks, grants, row filters and masks (governance.ts). */
  readonly gov: Governance;
  /**
   * `authorizer`: whose checks apply (default: a new Authorizer over the metastore's database);
   * null turns enforcement off, for trusted in-process callers.
   */
  constructor(
    readonly metastore: Metastore,
    opts: { authorizer?: Authorizer | null } = {},
  ) {
    this.gov = new Governance(
      this,
      metastore,
      opts.authorizer === undefined ? new Authorizer(metastore.db) : opts.authorizer,
    );
  }

  /** Called by the engine before each statement: a fresh privilege cache for it. */
  beginStatement(ctx: ExecContext): Promise<void> {
    return this.gov.begin(ctx);
  }

  // ------------------------------------------------------------------ names

  qualify(parts: string[], session: Session): [string, string, string] {
    if (parts.length === 1) return [session.catalog, session.schema, parts[0]];
    if (parts.length === 2) return [session.catalog, parts[0], parts[1]];
    if (parts.length === 3) return [parts[0], parts[1], parts[2]];
    throw new LakeboxError('REQUIRES_SINGLE_PART_NAMESPACE', `Invalid name ${parts.join('.')}`, { sqlState: '42K05' });
  }

  async table(parts: string[], session: Session): Promise<TableInfo> {
    const [c, s, t] = this.qualify(parts, session);
    try {
      return await this.metastore.getTable(c, s, t);
    } catch (e) {
      throw await this.gov.scrub(e, session);
    }
  }

  /** The Delta location of a table name (or `delta.\`path\``). */
  async location(
    parts: string[],
    session: Session,
    pathTok?: boolean,
  ): Promise<{ location: string; info?: TableInfo }> {
    if (pathTok) return { location: parts[1] };
    const info = await this.table(parts, session);
    if (info.tableType === 'VIEW' || info.tableType === 'MATERIALIZED_VIEW') {
      throw new LakeboxError(
        'EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE',
        `'${info.fullName}' expects a table but ${info.fullName} is a view.`,
        { sqlState: '42809' },
      );
    }
    if (!info.storageLocation)
      throw new LakeboxError('DELTA_TABLE_NOT_FOUND', `${info.fullName} has no storage location`);
    return { location: info.storageLocation, info };
  }

  // ------------------------------------------------------------------ reads

  async resolve(ref: TableRef, session: Session & TempViews, conn: DuckDBConnection): Promise<string> {
    const computed = ref.parts.length === 1 ? session.computedRelations?.get(ref.parts[0].toLowerCase()) : undefined;
    if (computed !== undefined && !ref.fileFormat && !ref.path) return computed;
    if (ref.fileFormat || ref.path) await this.gov.requirePath(session, ref.path!, false);
    if (ref.fileFormat) {
      const p = sqlString(ref.path!);
      if (ref.fileFormat === 'parquet') return `SELECT * FROM read_parquet(${p}, union_by_name = true)`;
      if (ref.fileFormat === 'csv') return `SELECT * FROM read_csv(${p}, header = false)`;
      return `SELECT * FROM read_json_auto(${p})`;
    }
    if (ref.path) return this.deltaScan(ref.path, ref);
    if (ref.parts.length === 1 && session.tempViews?.has(ref.parts[0].toLowerCase())) {
      return this.viewSql(session.tempViews.get(ref.parts[0].toLowerCase())!, session, conn);
    }
    const qualified = this.qualify(ref.parts, session);
    const infoSchema = await this.gov.informationSchemaSql(qualified, session);
    if (infoSchema) return infoSchema;
    await this.gov.require(session, 'SELECT', { type: 'TABLE', name: qualified.join('.') });
    const system = await this.systemTableSql(ref, session);
    if (system) return system;
    const info = await this.table(ref.parts, session);
    if (info.tableType === 'VIEW' || info.tableType === 'MATERIALIZED_VIEW') {
      return this.viewSql(info.viewDefinition ?? '', this.gov.viewSession(session, info), conn);
    }
    if (!info.storageLocation)
      throw new LakeboxError('DELTA_TABLE_NOT_FOUND', `${info.fullName} has no storage location`);
    return this.gov.applyPolicies(info, await this.deltaScan(info.storageLocation, ref), session, conn);
  }

  /** `system.access.table_lineage` and `system.access.column_lineage`: rows from the lineage store. */
  private async systemTableSql(ref: TableRef, session: Session): Promise<string | undefined> {
    if (ref.path || ref.fileFormat) return undefined;
    const [c, s, t] = this.qualify(ref.parts, session);
    if (c.toLowerCase() !== 'system' || s.toLowerCase() !== 'access') return undefined;
    return systemLineageSql(this, t);
  }

  /** Record the lineage of a write that succeeded (lineage.ts), then answer as the statement did. */
  private async afterWrite(r: StatementResult, st: ParsedStatement, ctx: ExecContext): Promise<StatementResult> {
    await recordStatementLineage(this, st, ctx);
    return r;
  }

  private async viewSql(text: string, session: Session, conn: DuckDBConnection): Promise<string> {
    const st = this.engine.parse(text)[0];
    return this.engine.translateQuery(st.nodes, { session, params: {}, conn });
  }

  private async deltaScan(location: string, ref: TableRef): Promise<string> {
    const table = await DeltaTable.open(location);
    const snapshot = await table.snapshot({
      ...(ref.version !== undefined ? { version: ref.version } : {}),
      ...(ref.timestamp !== undefined ? { timestamp: ref.timestamp } : {}),
    });
    const filter = ref.filterNodes
      ? extractPredicate(ref.filterNodes, snapshot.schema, ref.alias ?? ref.parts[ref.parts.length - 1])
      : undefined;
    return scanSql(snapshot, filter ? { filter } : {});
  }

  // ------------------------------------------------------------------ statements

  async handle(st: ParsedStatement, engine: SqlEngine, ctx: ExecContext): Promise<StatementResult | undefined> {
    this.engine = engine;
    const c = new Cursor(st.nodes, st.tokens[st.tokens.length - 1]);
    const session = ctx.session as Session & TempViews;
    const governed = await this.gov.statement(st, ctx);
    if (governed) return governed;
    if (c.eat('USE')) {
      if (c.eat('CATALOG')) {
        const name = c.ident();
        await this.gov.require(session, 'USE CATALOG', { type: 'CATALOG', name });
        await this.metastore.getCatalog(name).catch(async (e: unknown) => {
          throw await this.gov.scrub(e, session);
        });
        session.catalog = name;
        session.schema = 'default';
      } else {
        if (!c.eat('SCHEMA') && !c.eat('DATABASE')) c.eat('NAMESPACE');
        const parts = c.name();
        const cat = parts.length > 1 ? parts[0] : session.catalog;
        const sch = parts[parts.length - 1];
        await this.gov.require(session, 'USE SCHEMA', { type: 'SCHEMA', name: `${cat}.${sch}` });
        await this.metastore.getSchema(cat, sch).catch(async (e: unknown) => {
          throw await this.gov.scrub(e, session);
        });
        session.catalog = cat;
        session.schema = sch;
      }
      c.end();
      return ok();
    }
    if (c.at('CREATE') || c.at('REPLACE')) return this.afterWrite(await this.create(c, st, ctx), st, ctx);
    if (c.eat('INSERT')) return this.afterWrite(await this.insert(c, ctx), st, ctx);
    if (c.eat('UPDATE')) return this.afterWrite(await this.update(c, ctx), st, ctx);
    if (c.eat('DELETE')) return this.delete(c, ctx);
    if (c.eat('MERGE')) return this.afterWrite(await this.merge(c, ctx), st, ctx);
    if (c.eat('DROP')) return this.drop(c, ctx);
    if (c.eat('TRUNCATE')) {
      c.eat('TABLE');
      const { location } = await this.target(c, session, ['MODIFY']);
      c.end();
      await deleteFromTable(location, undefined, { connection: ctx.conn, userName: session.user });
      return ok();
    }
    if (c.eat('DESCRIBE') || c.eat('DESC')) return this.describe(c, ctx);
    if (c.eat('SHOW')) return this.show(c, ctx);
    if (c.eat('ALTER')) return this.alter(c, ctx);
    if (c.eat('RESTORE')) {
      c.eat('TABLE');
      const { location } = await this.target(c, session, ['MODIFY']);
      c.expect('TO');
      const kind = c.expect('VERSION', 'TIMESTAMP');
      c.expect('AS');
      c.expect('OF');
      const v = c.peek() as Token;
      c.i++;
      c.end();
      const r = await restoreTable(
        location,
        kind === 'VERSION' ? { version: Number(v.value) } : { timestamp: v.value },
        { userName: session.user },
      );
      const m = r.metrics;
      return {
        columns: [
          'table_size_after_restore',
          'num_of_files_after_restore',
          'num_removed_files',
          'num_restored_files',
          'removed_files_size',
          'restored_files_size',
        ].map((name) => ({ name, type: 'bigint' })),
        rows: [
          [
            m.tableSizeAfterRestore,
            m.numOfFilesAfterRestore,
            m.numRemovedFiles,
            m.numRestoredFiles,
            m.removedFilesSize,
            m.restoredFilesSize,
          ],
        ],
      };
    }
    if (c.eat('OPTIMIZE')) {
      const { location } = await this.target(c, session, ['MODIFY']);
      let where: string | undefined;
      if (c.eat('WHERE')) where = engine.translateExpr(c.until('ZORDER'), ctx);
      let zOrderBy: string[] | undefined;
      if (c.eat('ZORDER', 'BY')) {
        const g = c.peek();
        zOrderBy = isGroup(g) ? (c.i++, splitCommas(g.items).map((x) => (x[0] as Token).value)) : [c.ident()];
      }
      c.end();
      const r = await optimizeTable(location, {
        ...(where ? { where } : {}),
        ...(zOrderBy ? { zOrderBy } : {}),
        connection: ctx.conn,
        userName: session.user,
      });
      return {
        columns: [
          { name: 'path', type: 'string' },
          { name: 'metrics', type: 'struct' },
        ],
        rows: [[location, r.metrics]],
      };
    }
    if (c.eat('VACUUM')) {
      const { location } = await this.target(c, session, ['MODIFY']);
      let retentionHours: number | undefined;
      if (c.eat('RETAIN')) {
        retentionHours = Number((c.peek() as Token).value);
        c.i++;
        c.expect('HOURS', 'HOUR');
      }
      const dryRun = c.eat('DRY', 'RUN');
      c.end();
      const r = await vacuumTable(location, {
        ...(retentionHours !== undefined ? { retentionHours } : {}),
        dryRun,
        userName: session.user,
      });
      return dryRun
        ? { columns: cols('path'), rows: r.files.map((f) => [f]) }
        : { columns: cols('path'), rows: [[location]] };
    }
    if (c.eat('COPY', 'INTO')) return this.copyInto(c, ctx);
    return undefined;
  }

  /** A table name or `delta.\`/path\`` at the cursor. */
  private async target(
    c: Cursor,
    session: Session,
    need: Privilege[],
  ): Promise<{ location: string; info?: TableInfo; parts: string[] }> {
    const start = c.i;
    const parts = c.name();
    const isPath = parts.length === 2 && /^delta$/i.test(parts[0]) && c.nodes[start + 2]?.kind === 'qident';
    const write = need.some((p) => p !== 'SELECT' && p !== 'BROWSE');
    if (isPath) await this.gov.requirePath(session, parts[1], write);
    else await this.gov.require(session, need, { type: 'TABLE', name: this.qualify(parts, session).join('.') });
    // The system catalog (the audit log, ...) is written by Lakebox only, not even by admins' SQL.
    if (write && !isPath && this.qualify(parts, session)[0].toLowerCase() === 'system') {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'The catalog `system` is reserved and read-only.', {
        sqlState: '42000',
      });
    }
    const r = await this.location(parts, session, isPath);
    return { ...r, parts };
  }

  // ------------------------------------------------------------------ CREATE

  private async create(c: Cursor, st: ParsedStatement, ctx: ExecContext): Promise<StatementResult> {
    const session = ctx.session as Session & TempViews;
    const replaceOnly = c.eat('REPLACE');
    if (!replaceOnly) c.expect('CREATE');
    const orReplace = replaceOnly || c.eat('OR', 'REPLACE');
    const temp = c.eat('TEMPORARY') || c.eat('TEMP');
    if (c.eat('CATALOG')) {
      const ifNot = c.eat('IF', 'NOT', 'EXISTS');
      const name = c.ident();
      const comment = c.eat('COMMENT') ? c.string() : undefined;
      await this.gov.require(session, 'CREATE CATALOG', { type: 'METASTORE' });
      await this.metastore.createCatalog(
        { name, owner: session.user, ...(comment ? { comment } : {}) } as any,
        { ifNotExists: ifNot } as any,
      );
      return ok();
    }
    if (c.eat('SCHEMA') || c.eat('DATABASE')) {
      const ifNot = c.eat('IF', 'NOT', 'EXISTS');
      const parts = c.name();
      const comment = c.eat('COMMENT') ? c.string() : undefined;
      const cat = parts.length > 1 ? parts[0] : session.catalog;
      await this.gov.require(session, 'CREATE SCHEMA', { type: 'CATALOG', name: cat });
      await this.metastore.createSchema(
        { catalog: cat, name: parts[parts.length - 1], owner: session.user, ...(comment ? { comment } : {}) } as any,
        { ifNotExists: ifNot } as any,
      );
      return ok();
    }
    if (c.eat('VIEW')) {
      const ifNot = c.eat('IF', 'NOT', 'EXISTS');
      const parts = c.name();
      if (isGroup(c.peek())) c.i++;
      const comment = c.eat('COMMENT') ? c.string() : undefined;
      if (c.eat('TBLPROPERTIES')) c.group();
      c.expect('AS');
      const q = c.rest();
      const text = st.text.slice(firstOffset(q[0]) - st.tokens[0].offset);
      // validate now: unknown tables and columns fail at CREATE time, as in Spark
      const sql = await this.engine.translateQuery(q, ctx);
      await this.engine.runDuck(`DESCRIBE ${sql}`, ctx.conn);
      if (temp) {
        session.tempViews ??= new Map();
        if (session.tempViews.has(parts[0].toLowerCase()) && !orReplace && !ifNot) {
          throw new LakeboxError(
            'TABLE_OR_VIEW_ALREADY_EXISTS',
            `Cannot create the temporary view \`${parts[0]}\` because it already exists.`,
            { sqlState: '42P07' },
          );
        }
        session.tempViews.set(parts[0].toLowerCase(), text);
        return ok();
      }
      const [cat, sch, name] = this.qualify(parts, session);
      await this.gov.require(session, 'CREATE VIEW', { type: 'SCHEMA', name: `${cat}.${sch}` });
      if (orReplace && (await this.metastore.tableExists(cat, sch, name)))
        await this.gov.requireManage(session, { type: 'TABLE', name: `${cat}.${sch}.${name}` });
      await this.metastore.createView(
        { catalog: cat, schema: sch, name, owner: session.user, sql: text, ...(comment ? { comment } : {}) },
        { ifNotExists: ifNot, orReplace },
      );
      return ok();
    }
    if (c.eat('FUNCTION')) return this.createFunction(c, ctx, orReplace);
    c.expect('TABLE');
    const ifNot = c.eat('IF', 'NOT', 'EXISTS');
    const parts = c.name();
    let schema: StructType | undefined;
    const constraints: Record<string, string> = {};
    if (isGroup(c.peek())) {
      schema = { type: 'struct', fields: [] };
      for (const colDef of splitCommas(c.group().items)) {
        if (isWord(colDef[0], 'CONSTRAINT')) {
          const cname = (colDef[1] as Token).value;
          const g = colDef.find((x) => isGroup(x)) as Group;
          constraints[`delta.constraints.${cname.toLowerCase()}`] = nodesText(g.items);
          continue;
        }
        const name = (colDef[0] as Token).value;
        const t = parseDeltaType(colDef, 1);
        let k = 1 + t.used;
        let nullable = true;
        const metadata: Record<string, unknown> = {};
        while (k < colDef.length) {
          if (isWord(colDef[k], 'NOT') && isWord(colDef[k + 1], 'NULL')) {
            nullable = false;
            k += 2;
          } else if (isWord(colDef[k], 'COMMENT')) {
            metadata.comment = (colDef[k + 1] as Token).value;
            k += 2;
          } else throw new Cursor(colDef, c.pos()).error('unsupported column option');
        }
        schema.fields.push({ name, type: t.type as DataType, nullable, metadata });
      }
    }
    if (c.eat('USING')) {
      const fmt = c.ident();
      if (!/^delta$/i.test(fmt))
        throw new LakeboxError(
          'UNSUPPORTED_FEATURE',
          `CREATE TABLE ... USING ${fmt}: only Delta tables are supported`,
          { sqlState: '0A000' },
        );
    }
    let partitionBy: string[] = [];
    let location: string | undefined;
    let comment: string | undefined;
    let props: Record<string, string> = {};
    for (;;) {
      if (c.eat('PARTITIONED', 'BY') || c.eat('CLUSTER', 'BY'))
        partitionBy = splitCommas(c.group().items).map((x) => (x[0] as Token).value);
      else if (c.eat('LOCATION')) location = c.string();
      else if (c.eat('COMMENT')) comment = c.string();
      else if (c.eat('TBLPROPERTIES')) props = parseProperties(c.group());
      else break;
    }
    let query: Node[] | undefined;
    if (c.eat('AS')) query = c.rest();
    c.end();
    if (!schema && !query)
      throw new LakeboxError('PARSE_SYNTAX_ERROR', 'CREATE TABLE needs a column list or AS SELECT', {
        sqlState: '42601',
      });
    const [cat, sch, name] = this.qualify(parts, session);
    await this.gov.require(session, 'CREATE TABLE', { type: 'SCHEMA', name: `${cat}.${sch}` });
    // an external table's LOCATION could point at another table's files: paths are for admins (or volumes)
    if (location) await this.gov.requirePath(session, location, true);
    const configuration = { ...props, ...constraints };
    const exists = await this.metastore.tableExists(cat, sch, name);
    if (exists && orReplace) await this.gov.requireManage(session, { type: 'TABLE', name: `${cat}.${sch}.${name}` });
    if (exists && ifNot) return ok();
    if (exists && !orReplace) {
      throw new LakeboxError(
        'TABLE_OR_VIEW_ALREADY_EXISTS',
        `Cannot create table or view \`${cat}\`.\`${sch}\`.\`${name}\` because it already exists.`,
        { sqlState: '42P07' },
      );
    }
    const managed = !location;
    const loc =
      location ??
      (exists
        ? (await this.metastore.getTable(cat, sch, name)).storageLocation!
        : await this.metastore.managedTableLocation(cat, sch, name));
    const fresh = !existsSync(loc);
    try {
      const sourceSql = query
        ? await this.engine.translateQuery(query, ctx)
        : `SELECT ${schema!.fields.map((f) => `CAST(NULL AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`).join(', ')} WHERE false`;
      const deltaExists = await DeltaTable.open(loc).then(
        () => true,
        () => false,
      );
      if (deltaExists && !orReplace && !query && schema) {
        // CREATE TABLE over an existing Delta location registers it (schema must match)
      } else if (deltaExists || query) {
        if (schema && !query) {
          await writeToTable(
            loc,
            { sql: sourceSql },
            {
              mode: 'overwrite',
              overwriteSchema: true,
              partitionBy,
              configuration,
              connection: ctx.conn,
              userName: session.user,
              isManaged: managed,
            },
          );
        } else {
          await writeToTable(
            loc,
            { sql: sourceSql },
            {
              mode: deltaExists ? 'overwrite' : 'errorIfExists',
              overwriteSchema: true,
              partitionBy,
              configuration,
              connection: ctx.conn,
              name,
              userName: session.user,
              isManaged: managed,
            },
          );
        }
      } else {
        await DeltaTable.create(loc, {
          schema: schema!,
          partitionColumns: partitionBy,
          configuration,
          name,
          ...(comment ? { description: comment } : {}),
          userName: session.user,
          isManaged: managed,
        });
      }
      const snap = await (await DeltaTable.open(loc)).snapshot();
      await this.metastore.createTable(
        {
          catalog: cat,
          schema: sch,
          name,
          owner: session.user,
          tableType: managed ? 'MANAGED' : 'EXTERNAL',
          dataSourceFormat: 'DELTA',
          storageLocation: loc,
          columns: columnInfos(snap.schema, snap.partitionColumns),
          ...(comment ? { comment } : {}),
          properties: snap.metadata.configuration ?? {},
        },
        { orReplace },
      );
    } catch (e) {
      // nothing half-made: a managed table directory this statement created goes away again
      if (managed && fresh && !exists) rmSync(loc, { recursive: true, force: true });
      throw e;
    }
    return ok();
  }

  private async createFunction(c: Cursor, ctx: ExecContext, orReplace: boolean): Promise<StatementResult> {
    const session = ctx.session;
    const ifNot = c.eat('IF', 'NOT', 'EXISTS');
    const parts = c.name();
    const params = splitCommas(c.group().items)
      .filter((p) => p.length)
      .map((p) => ({ name: (p[0] as Token).value, typeText: nodesText(p.slice(1)) }));
    c.expect('RETURNS');
    const ret = nodesText(c.until('RETURN', 'COMMENT', 'LANGUAGE', 'DETERMINISTIC', 'NOT', 'CONTAINS', 'READS'));
    let comment: string | undefined;
    while (!c.at('RETURN') && !c.done) {
      if (c.eat('COMMENT')) comment = c.string();
      else c.i++;
    }
    c.expect('RETURN');
    const body = c.rest();
    // validate: the body must translate and bind with the parameters as columns
    const [cat, sch, name] = this.qualify(parts, session);
    await this.gov.require(session, 'CREATE FUNCTION', { type: 'SCHEMA', name: `${cat}.${sch}` });
    const fn = {
      catalog: cat,
      schema: sch,
      name,
      owner: session.user,
      parameters: params,
      returnType: ret,
      routineDefinition: nodesText(body),
      ...(comment ? { comment } : {}),
    };
    await this.defineMacro(fn, ctx);
    await (this.metastore as any).createFunction(fn, { orReplace, ifNotExists: ifNot });
    return ok();
  }

  /** Make a SQL function callable on this connection (a DuckDB macro). */
  async defineMacro(
    fn: {
      name: string;
      parameters: { name: string; typeText: string }[];
      returnType: string;
      routineDefinition: string;
    },
    ctx: ExecContext,
  ): Promise<void> {
    if (/\bis_(account_group_)?member\s*\(/i.test(fn.routineDefinition))
      await this.gov.defineGroupMacros(ctx.session, ctx.conn);
    const body = this.engine.parse(`SELECT ${fn.routineDefinition}`)[0].nodes.slice(1);
    const bodySql = this.engine.translateExpr(body, ctx);
    const retSql = translateType(this.engine.parse(fn.returnType)[0].nodes).sql;
    await this.engine.runDuck(
      `CREATE OR REPLACE TEMP MACRO ${sqlIdent(fn.name.toLowerCase())}(${fn.parameters.map((p) => sqlIdent(p.name)).join(', ')}) AS CAST((${bodySql}) AS ${retSql})`,
      ctx.conn,
    );
  }

  /** Before a query runs: define the user functions it calls. */
  async prepareFunctions(names: Iterable<string>, ctx: ExecContext): Promise<void> {
    for (const n of names) {
      if (/^(is_account_group_member|is_member)$/i.test(n)) {
        await this.gov.defineGroupMacros(ctx.session, ctx.conn);
        continue;
      }
      await this.gov.checkEngineFunction(ctx.session, n);
      const [fc, fs] = [ctx.session.catalog, ctx.session.schema];
      if (
        await (this.metastore as any).getFunction(fc, fs, n).then(
          () => true,
          () => false,
        )
      )
        await this.gov.require(ctx.session, 'EXECUTE', { type: 'FUNCTION', name: `${fc}.${fs}.${n.toLowerCase()}` });
      let fn;
      try {
        fn = await (this.metastore as any).getFunction(ctx.session.catalog, ctx.session.schema, n);
      } catch {
        continue;
      }
      await this.defineMacro(fn, ctx);
    }
  }

  // ------------------------------------------------------------------ DML

  private async insert(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const overwrite = c.eat('OVERWRITE');
    if (!overwrite) c.expect('INTO');
    c.eat('TABLE');
    const { location } = await this.target(c, ctx.session, ['MODIFY']);
    const staticParts: Record<string, Node[]> = {};
    if (c.eat('PARTITION')) {
      for (const p of splitCommas(c.group().items)) {
        if (p.length >= 3 && isOp(p[1], '=')) staticParts[(p[0] as Token).value.toLowerCase()] = p.slice(2);
      }
    }
    let columnList: string[] | undefined;
    if (isGroup(c.peek()) && !isWord((c.peek() as Group).items[0], 'SELECT', 'WITH', 'VALUES', 'FROM'))
      columnList = splitCommas(c.group().items).map((x) => (x[0] as Token).value);
    let replaceWhere: string | undefined;
    if (c.eat('REPLACE', 'WHERE'))
      replaceWhere = this.engine.translateExpr(c.until('SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE'), ctx);
    if (c.eat('BY', 'NAME')) columnList = undefined;
    const query = c.rest();
    if (!query.length) throw c.error('expected a query');
    const snap = await (await DeltaTable.open(location)).snapshot();
    const fields = snap.schema.fields;
    const src = await this.engine.translateQuery(query, ctx);
    const described = (await this.engine.runDuck(`DESCRIBE ${src}`, ctx.conn)).rows.map((r) => String(r[0]));
    const targetCols = columnList ?? fields.map((f) => f.name).filter((n) => !(n.toLowerCase() in staticParts));
    if (described.length !== targetCols.length) {
      throw new LakeboxError(
        'INSERT_COLUMN_ARITY_MISMATCH.' +
          (described.length > targetCols.length ? 'TOO_MANY_DATA_COLUMNS' : 'NOT_ENOUGH_DATA_COLUMNS'),
        `Cannot write to the table: the data has ${described.length} columns but the table expects ${targetCols.length}.`,
        { sqlState: '21S01' },
      );
    }
    const pos = new Map(targetCols.map((n, i) => [n.toLowerCase(), i]));
    const select = fields
      .map((f) => {
        const st = staticParts[f.name.toLowerCase()];
        const i = pos.get(f.name.toLowerCase());
        const e = st
          ? this.engine.translateExpr(st, ctx)
          : i === undefined
            ? 'NULL'
            : `__src.${sqlIdent(described[i])}`;
        return `CAST(${e} AS ${duckdbTypeName(f.type)}) AS ${sqlIdent(f.name)}`;
      })
      .join(', ');
    const sql = `SELECT ${select} FROM (${src}) AS __src`;
    if (Object.keys(staticParts).length && overwrite) {
      replaceWhere = Object.entries(staticParts)
        .map(([k, v]) => `${sqlIdent(k)} = ${this.engine.translateExpr(v, ctx)}`)
        .join(' AND ');
    }
    const r = await writeToTable(
      location,
      { sql },
      {
        mode: overwrite || replaceWhere ? 'overwrite' : 'append',
        ...(replaceWhere ? { replaceWhere } : {}),
        connection: ctx.conn,
        userName: ctx.session.user,
      },
    );
    return {
      columns: [
        { name: 'num_affected_rows', type: 'bigint' },
        { name: 'num_inserted_rows', type: 'bigint' },
      ],
      rows: [[r.numOutputRows, r.numOutputRows]],
      numAffectedRows: r.numOutputRows,
    };
  }

  /** Remove `alias.` qualifiers so conditions read the table's own column names. */
  private unqualify(nodes: Node[], aliases: string[]): Node[] {
    const al = aliases.map((a) => a.toLowerCase());
    const out: Node[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (isGroup(n)) {
        out.push({ ...n, items: this.unqualify(n.items, aliases) });
        continue;
      }
      if (
        (n.kind === 'ident' || n.kind === 'qident') &&
        al.includes(n.value.toLowerCase()) &&
        isOp(nodes[i + 1], '.')
      ) {
        i++;
        continue;
      }
      out.push(n);
    }
    return out;
  }

  private async exprWithRefs(nodes: Node[], ctx: ExecContext): Promise<string> {
    const tctx: TranslateContext = { refs: [], params: ctx.params, ctes: new Set(), unknownFunctions: new Set() };
    const sql = new Translator(tctx).expr(nodes);
    if (tctx.unknownFunctions!.size) await this.prepareFunctions(tctx.unknownFunctions!, ctx);
    return this.engine.resolveRefs(sql, tctx.refs, ctx);
  }

  private tableAliases(c: Cursor, parts: string[]): string[] {
    const aliases = [parts[parts.length - 1]];
    if (c.eat('AS')) aliases.push(c.ident());
    else if (c.peek() && !isGroup(c.peek()) && !isWord(c.peek(), 'SET', 'WHERE', 'USING')) aliases.push(c.ident());
    return aliases;
  }

  private async update(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const { location, parts, info } = await this.target(c, ctx.session, ['SELECT', 'MODIFY']);
    const aliases = this.tableAliases(c, parts);
    c.expect('SET');
    const assigns = c.until('WHERE');
    const set: Record<string, string> = {};
    for (const a of splitCommas(assigns)) {
      const eq = a.findIndex((x) => isOp(x, '='));
      if (eq < 1) throw new Cursor(a, c.pos()).error('expected column = expression');
      const col = (a[eq - 1] as Token).value;
      set[col] = await this.exprWithRefs(this.unqualify(a.slice(eq + 1), aliases), ctx);
    }
    const cond = c.eat('WHERE') ? await this.exprWithRefs(this.unqualify(c.rest(), aliases), ctx) : undefined;
    const r = await updateTable(location, set, await this.gov.dmlCondition(info, cond, ctx), {
      connection: ctx.conn,
      userName: ctx.session.user,
    });
    const n = r.metrics.numUpdatedRows ?? 0;
    return { columns: [{ name: 'num_affected_rows', type: 'bigint' }], rows: [[n]], numAffectedRows: n };
  }

  private async delete(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    c.expect('FROM');
    const { location, parts, info } = await this.target(c, ctx.session, ['SELECT', 'MODIFY']);
    const aliases = this.tableAliases(c, parts);
    const cond = c.eat('WHERE') ? await this.exprWithRefs(this.unqualify(c.rest(), aliases), ctx) : undefined;
    c.end();
    const r = await deleteFromTable(location, await this.gov.dmlCondition(info, cond, ctx), {
      connection: ctx.conn,
      userName: ctx.session.user,
    });
    const n = r.metrics.numDeletedRows ?? 0;
    return { columns: [{ name: 'num_affected_rows', type: 'bigint' }], rows: [[n]], numAffectedRows: n };
  }

  private async merge(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    c.eat('WITH', 'SCHEMA', 'EVOLUTION');
    c.expect('INTO');
    const { location, parts, info } = await this.target(c, ctx.session, ['SELECT', 'MODIFY']);
    await this.gov.refuseMergeWithPolicies(info);
    const tAliases = this.tableAliases(c, parts);
    const targetAlias = tAliases[tAliases.length - 1];
    c.expect('USING');
    const srcNodes = c.until('ON');
    // source alias: last identifier when preceded by AS or a table/subquery
    let sourceAlias = 'source';
    let rel = srcNodes;
    const last = srcNodes[srcNodes.length - 1];
    if (
      srcNodes.length >= 2 &&
      last &&
      (last.kind === 'ident' || last.kind === 'qident') &&
      !isOp(srcNodes[srcNodes.length - 2], '.')
    ) {
      sourceAlias = last.value;
      rel = srcNodes.slice(0, isWord(srcNodes[srcNodes.length - 2], 'AS') ? -2 : -1);
    } else if (srcNodes.length && !isGroup(srcNodes[0]))
      sourceAlias = (srcNodes.filter((n) => n.kind === 'ident' || n.kind === 'qident').pop() as Token).value;
    const sourceSql = await this.engine.translateQuery(
      [word('SELECT'), { ...word('*'), kind: 'op', value: '*', raw: '*' }, word('FROM'), ...rel],
      ctx,
    );
    c.expect('ON');
    const on = await this.exprWithRefs(c.until('WHEN'), ctx);
    const clauses: MergeClause[] = [];
    while (c.eat('WHEN')) {
      let when: 'matched' | 'notMatched' | 'notMatchedBySource';
      if (c.eat('MATCHED')) when = 'matched';
      else {
        c.expect('NOT');
        c.expect('MATCHED');
        if (c.eat('BY', 'SOURCE')) when = 'notMatchedBySource';
        else {
          c.eat('BY', 'TARGET');
          when = 'notMatched';
        }
      }
      const condition = c.eat('AND') ? await this.exprWithRefs(c.until('THEN'), ctx) : undefined;
      c.expect('THEN');
      const cond = condition ? { condition } : {};
      if (c.eat('DELETE')) {
        if (when === 'notMatched') throw c.error('DELETE is not allowed in WHEN NOT MATCHED');
        clauses.push({ when, action: 'delete', ...cond } as MergeClause);
      } else if (c.eat('UPDATE')) {
        c.expect('SET');
        if (c.eatOp('*')) clauses.push({ when: 'matched', action: 'update', set: '*', ...cond });
        else {
          const set: Record<string, string> = {};
          for (const a of splitCommas(c.until('WHEN'))) {
            const eq = a.findIndex((x) => isOp(x, '='));
            set[(a[eq - 1] as Token).value] = await this.exprWithRefs(a.slice(eq + 1), ctx);
          }
          clauses.push({ when, action: 'update', set, ...cond } as MergeClause);
        }
      } else {
        c.expect('INSERT');
        if (c.eatOp('*')) clauses.push({ when: 'notMatched', action: 'insert', values: '*', ...cond });
        else {
          const colsG = c.group();
          c.expect('VALUES');
          const valsG = c.group();
          const names = splitCommas(colsG.items).map((x) => (x[x.length - 1] as Token).value);
          const vals = splitCommas(valsG.items);
          const values: Record<string, string> = {};
          for (let i = 0; i < names.length; i++) values[names[i]] = await this.exprWithRefs(vals[i] ?? [], ctx);
          clauses.push({ when: 'notMatched', action: 'insert', values, ...cond });
        }
      }
    }
    c.end();
    const r = await mergeIntoTable(location, { sql: sourceSql }, on, clauses, {
      sourceAlias,
      targetAlias,
      connection: ctx.conn,
      userName: ctx.session.user,
    });
    const m = r.metrics;
    const aff = (m.numTargetRowsInserted ?? 0) + (m.numTargetRowsUpdated ?? 0) + (m.numTargetRowsDeleted ?? 0);
    return {
      columns: ['num_affected_rows', 'num_updated_rows', 'num_deleted_rows', 'num_inserted_rows'].map((name) => ({
        name,
        type: 'bigint',
      })),
      rows: [[aff, m.numTargetRowsUpdated ?? 0, m.numTargetRowsDeleted ?? 0, m.numTargetRowsInserted ?? 0]],
      numAffectedRows: aff,
    };
  }

  private async copyInto(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const { location } = await this.target(c, ctx.session, ['MODIFY']);
    c.expect('FROM');
    const from = c.string();
    await this.gov.requirePath(ctx.session, from, false);
    c.expect('FILEFORMAT');
    c.eatOp('=');
    const fmt = c.ident().toLowerCase();
    let opts: Record<string, string> = {};
    for (;;) {
      if (c.eat('FORMAT_OPTIONS')) opts = { ...opts, ...parseProperties(c.group()) };
      else if (c.eat('COPY_OPTIONS')) opts = { ...opts, ...parseProperties(c.group()) };
      else if (c.eat('PATTERN')) {
        c.eatOp('=');
        opts.pattern = c.string();
      } else break;
    }
    c.end();
    const glob = opts.pattern
      ? `${from.replace(/\/$/, '')}/${opts.pattern}`
      : /\.[a-z]+$/i.test(from)
        ? from
        : `${from.replace(/\/$/, '')}/*`;
    const header = /^true$/i.test(opts.header ?? 'false');
    const src =
      fmt === 'csv'
        ? `SELECT * FROM read_csv(${sqlString(glob)}, header = ${header}${opts.sep || opts.delimiter ? `, delim = ${sqlString(opts.sep ?? opts.delimiter)}` : ''})`
        : fmt === 'json'
          ? `SELECT * FROM read_json_auto(${sqlString(glob)})`
          : fmt === 'parquet'
            ? `SELECT * FROM read_parquet(${sqlString(glob)}, union_by_name = true)`
            : undefined;
    if (!src)
      throw new LakeboxError('UNSUPPORTED_FEATURE', `COPY INTO: unsupported FILEFORMAT ${fmt}`, { sqlState: '0A000' });
    const snap = await (await DeltaTable.open(location)).snapshot();
    const described = new Set(
      (await this.engine.runDuck(`DESCRIBE ${src}`, ctx.conn)).rows.map((r) => String(r[0]).toLowerCase()),
    );
    const select = snap.schema.fields
      .map(
        (f) =>
          `${described.has(f.name.toLowerCase()) ? `TRY_CAST(${sqlIdent(f.name)} AS ${duckdbTypeName(f.type)})` : `CAST(NULL AS ${duckdbTypeName(f.type)})`} AS ${sqlIdent(f.name)}`,
      )
      .join(', ');
    const mergeSchema = /^true$/i.test(opts.mergeSchema ?? 'false');
    const r = await writeToTable(
      location,
      { sql: mergeSchema ? src : `SELECT ${select} FROM (${src})` },
      { mode: 'append', mergeSchema, connection: ctx.conn, userName: ctx.session.user },
    );
    return {
      columns: [
        { name: 'num_affected_rows', type: 'bigint' },
        { name: 'num_inserted_rows', type: 'bigint' },
      ],
      rows: [[r.numOutputRows, r.numOutputRows]],
      numAffectedRows: r.numOutputRows,
    };
  }

  // ------------------------------------------------------------------ DROP / ALTER

  private async drop(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const session = ctx.session as Session & TempViews;
    if (c.eat('SCHEMA') || c.eat('DATABASE')) {
      const ifExists = c.eat('IF', 'EXISTS');
      const parts = c.name();
      const cascade = c.eat('CASCADE');
      const dcat = parts.length > 1 ? parts[0] : session.catalog;
      await this.gov.requireManage(session, { type: 'SCHEMA', name: `${dcat}.${parts[parts.length - 1]}` });
      await this.metastore.dropSchema(dcat, parts[parts.length - 1], {
        ifExists,
        cascade,
      });
      return ok();
    }
    if (c.eat('CATALOG')) {
      const ifExists = c.eat('IF', 'EXISTS');
      const name = c.ident();
      const cascade = c.eat('CASCADE');
      await this.gov.requireManage(session, { type: 'CATALOG', name });
      await this.metastore.dropCatalog(name, { ifExists, cascade });
      return ok();
    }
    if (c.eat('FUNCTION')) {
      const ifExists = c.eat('IF', 'EXISTS');
      const [cat, sch, name] = this.qualify(c.name(), session);
      await this.gov.requireManage(session, { type: 'FUNCTION', name: `${cat}.${sch}.${name}` });
      await (this.metastore as any).dropFunction(cat, sch, name, { ifExists });
      return ok();
    }
    const temp = c.eat('TEMPORARY') || c.eat('TEMP');
    const kind = c.expect('TABLE', 'VIEW');
    const ifExists = c.eat('IF', 'EXISTS');
    const parts = c.name();
    c.eat('PURGE');
    c.end();
    if (kind === 'VIEW' && (temp || (parts.length === 1 && session.tempViews?.has(parts[0].toLowerCase())))) {
      if (!session.tempViews?.delete(parts[0].toLowerCase()) && !ifExists)
        throw new LakeboxError('TABLE_OR_VIEW_NOT_FOUND', `The view \`${parts[0]}\` cannot be found.`, {
          sqlState: '42P01',
        });
      return ok();
    }
    const [cat, sch, name] = this.qualify(parts, session);
    await this.gov.requireManage(session, { type: 'TABLE', name: `${cat}.${sch}.${name}` });
    await this.metastore.dropTable(cat, sch, name, { ifExists, expect: kind as 'TABLE' | 'VIEW' });
    return ok();
  }

  private async alter(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const session = ctx.session;
    const kind = c.expect('TABLE', 'VIEW');
    const parts = c.name();
    const [cat, sch, name] = this.qualify(parts, session);
    await this.gov.requireManage(session, { type: 'TABLE', name: `${cat}.${sch}.${name}` });
    if (kind === 'VIEW') {
      c.expect('AS');
      const q = c.rest();
      const sql = await this.engine.translateQuery(q, ctx);
      await this.engine.runDuck(`DESCRIBE ${sql}`, ctx.conn);
      await this.metastore.updateTable(cat, sch, name, session.user, { viewDefinition: nodesText(q) });
      return ok();
    }
    if (c.eat('RENAME', 'TO')) {
      const to = c.name();
      await this.metastore.updateTable(cat, sch, name, session.user, { newName: to[to.length - 1] });
      return ok();
    }
    const { location } = await this.location(parts, session);
    const table = await DeltaTable.open(location);
    const txn = await table.startTransaction();
    const snap = txn.readSnapshot;
    const meta = snap.metadata;
    const conf = { ...(meta.configuration ?? {}) };
    let schema: StructType = snap.schema;
    let partitionColumns = [...snap.partitionColumns];
    let op = 'SET TBLPROPERTIES';
    let opParams: Record<string, unknown> = {};
    if (c.eat('SET', 'TBLPROPERTIES')) {
      const p = parseProperties(c.group());
      Object.assign(conf, p);
      opParams = { properties: p };
    } else if (c.eat('UNSET', 'TBLPROPERTIES')) {
      c.eat('IF', 'EXISTS');
      const keys = Object.keys(parseProperties(c.group()));
      for (const k of keys) delete conf[k];
      op = 'UNSET TBLPROPERTIES';
      opParams = { properties: keys };
    } else if (c.eat('ADD', 'COLUMNS') || c.eat('ADD', 'COLUMN')) {
      const defs = isGroup(c.peek()) ? splitCommas(c.group().items) : splitCommas(c.rest());
      const fields = [...schema.fields];
      for (const d of defs) {
        const cname = (d[0] as Token).value;
        if (fields.some((f) => f.name.toLowerCase() === cname.toLowerCase())) {
          throw new LakeboxError('FIELD_ALREADY_EXISTS', `Cannot add column, because \`${cname}\` already exists.`, {
            sqlState: '42710',
          });
        }
        const t = parseDeltaType(d, 1);
        const metadata: Record<string, unknown> = {};
        const ci = d.findIndex((x) => isWord(x, 'COMMENT'));
        if (ci > 0) metadata.comment = (d[ci + 1] as Token).value;
        fields.push({ name: cname, type: t.type as DataType, nullable: true, metadata });
      }
      schema = { type: 'struct', fields };
      op = 'ADD COLUMNS';
      opParams = { columns: defs.map((d) => (d[0] as Token).value) };
    } else if (c.eat('ADD', 'CONSTRAINT')) {
      const cname = c.ident().toLowerCase();
      c.expect('CHECK');
      const g = c.group();
      const exprSql = this.engine.translateExpr(g.items, ctx);
      if (conf[`delta.constraints.${cname}`] !== undefined) {
        throw new LakeboxError('DELTA_CONSTRAINT_ALREADY_EXISTS', `Constraint '${cname}' already exists.`, {
          sqlState: '42710',
        });
      }
      const scan = await scanSql(snap);
      const bad = await this.engine.runDuck(
        `SELECT count(*) FROM (${scan}) AS t WHERE (${exprSql}) IS NOT TRUE`,
        ctx.conn,
      );
      if (Number(bad.rows[0][0]) > 0) {
        throw new LakeboxError(
          'DELTA_NEW_CHECK_CONSTRAINT_VIOLATION',
          `${bad.rows[0][0]} rows in ${parts.join('.')} violate the new CHECK constraint (${nodesText(g.items)})`,
          { sqlState: '23512' },
        );
      }
      conf[`delta.constraints.${cname}`] = nodesText(g.items);
      op = 'ADD CONSTRAINT';
      opParams = { name: cname, expr: nodesText(g.items) };
    } else if (c.eat('DROP', 'CONSTRAINT')) {
      const ifExists = c.eat('IF', 'EXISTS');
      const cname = c.ident().toLowerCase();
      if (conf[`delta.constraints.${cname}`] === undefined && !ifExists) {
        throw new LakeboxError(
          'DELTA_CONSTRAINT_DOES_NOT_EXIST',
          `Cannot drop nonexistent constraint ${cname} from table ${parts.join('.')}.`,
          { sqlState: '42704' },
        );
      }
      delete conf[`delta.constraints.${cname}`];
      op = 'DROP CONSTRAINT';
      opParams = { name: cname };
    } else if (c.at('RENAME', 'COLUMN') || c.at('DROP', 'COLUMN') || c.at('DROP', 'COLUMNS')) {
      if (snap.columnMappingMode === 'none') {
        throw new LakeboxError(
          'DELTA_UNSUPPORTED_RENAME_COLUMN',
          "Renaming or dropping columns needs column mapping; enable it with ALTER TABLE ... SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name').",
          { sqlState: '0AKDC' },
        );
      }
      const find = (n: string) => {
        const f = schema.fields.find((x) => x.name.toLowerCase() === n.toLowerCase());
        if (!f)
          throw new LakeboxError(
            'UNRESOLVED_COLUMN.WITH_SUGGESTION',
            `A column with name \`${n}\` cannot be resolved. Did you mean one of the following? [${schema.fields.map((x) => `\`${x.name}\``).join(', ')}]`,
            { sqlState: '42703' },
          );
        return f;
      };
      if (c.eat('RENAME', 'COLUMN')) {
        const from = find(c.ident());
        c.expect('TO');
        const to = c.ident();
        if (schema.fields.some((x) => x.name.toLowerCase() === to.toLowerCase())) {
          throw new LakeboxError('FIELD_ALREADY_EXISTS', `Cannot rename column, because \`${to}\` already exists.`, {
            sqlState: '42710',
          });
        }
        schema = { type: 'struct', fields: schema.fields.map((f) => (f === from ? { ...f, name: to } : f)) };
        partitionColumns = partitionColumns.map((p) => (p === from.name ? to : p));
        op = 'RENAME COLUMN';
        opParams = { oldColumnPath: from.name, newColumnPath: to };
      } else {
        c.i += 2;
        const names = isGroup(c.peek()) ? splitCommas(c.group().items).map((x) => (x[0] as Token).value) : [c.ident()];
        const drop = new Set(names.map((n) => find(n)));
        for (const f of drop) {
          if (partitionColumns.includes(f.name))
            throw new LakeboxError(
              'DELTA_UNSUPPORTED_DROP_PARTITION_COLUMN',
              `Dropping partition column ${f.name} is not supported`,
              { sqlState: '0AKDC' },
            );
        }
        if (drop.size >= schema.fields.length)
          throw new LakeboxError('DELTA_UNSUPPORTED_DROP_COLUMN', 'Cannot drop every column of a table', {
            sqlState: '0AKDC',
          });
        schema = { type: 'struct', fields: schema.fields.filter((f) => !drop.has(f)) };
        op = 'DROP COLUMNS';
        opParams = { columns: names };
      }
    } else if (c.eat('ALTER', 'COLUMN') || c.eat('CHANGE', 'COLUMN')) {
      const cname = c.ident();
      const fields = schema.fields.map((f) => ({ ...f }));
      const f = fields.find((x) => x.name.toLowerCase() === cname.toLowerCase());
      if (!f)
        throw new LakeboxError('UNRESOLVED_COLUMN.WITHOUT_SUGGESTION', `Column \`${cname}\` does not exist`, {
          sqlState: '42703',
        });
      if (c.eat('COMMENT')) f.metadata = { ...f.metadata, comment: c.string() };
      else if (c.eat('DROP', 'NOT', 'NULL')) f.nullable = true;
      else throw c.error('unsupported ALTER COLUMN');
      schema = { type: 'struct', fields };
      op = 'CHANGE COLUMN';
    } else throw c.error('unsupported ALTER TABLE');
    c.end();
    const mode = (conf['delta.columnMapping.mode'] ?? 'none').toLowerCase();
    if (mode !== 'none') {
      if (snap.columnMappingMode === 'none') {
        if (mode !== 'name')
          throw new LakeboxError(
            'DELTA_INVALID_COLUMN_MAPPING_MODE_CHANGE',
            "An existing table can only change column mapping mode to 'name'.",
            { sqlState: '42P10' },
          );
        // existing files keep their column names: those become the physical names
        let max = 0;
        const visit = (t: StructType): StructType => ({
          type: 'struct',
          fields: t.fields.map((f) => ({
            ...f,
            metadata: { ...f.metadata, 'delta.columnMapping.id': ++max, 'delta.columnMapping.physicalName': f.name },
            type: typeof f.type === 'object' && f.type.type === 'struct' ? visit(f.type) : f.type,
          })),
        });
        schema = visit(schema);
        conf['delta.columnMapping.maxColumnId'] = String(max);
      }
      const r = assignColumnMapping(schema, Number(conf['delta.columnMapping.maxColumnId'] ?? 0));
      schema = r.schema;
      conf['delta.columnMapping.maxColumnId'] = String(r.maxColumnId);
    }
    txn.updateMetadata({ ...meta, configuration: conf, schemaString: JSON.stringify(schema), partitionColumns });
    await txn.commit({ operation: op, operationParameters: opParams, userName: session.user } as any);
    const after = await table.snapshot();
    await this.metastore.updateTable(cat, sch, name, session.user, {
      properties: after.metadata.configuration ?? {},
      columns: columnInfos(after.schema, after.partitionColumns),
    });
    return ok();
  }

  // ------------------------------------------------------------------ DESCRIBE / SHOW

  private async describe(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const session = ctx.session;
    if (c.eat('HISTORY')) {
      const { location } = await this.target(c, session, ['SELECT']);
      const limit = c.eat('LIMIT') ? Number((c.peek() as Token).value) : undefined;
      const table = await DeltaTable.open(location);
      const h = await readHistory(table.store, limit !== undefined ? { limit } : {});
      return {
        columns: [
          { name: 'version', type: 'bigint' },
          { name: 'timestamp', type: 'timestamp' },
          { name: 'userName', type: 'string' },
          { name: 'operation', type: 'string' },
          { name: 'operationParameters', type: 'map<string,string>' },
          { name: 'readVersion', type: 'bigint' },
          { name: 'isolationLevel', type: 'string' },
          { name: 'isBlindAppend', type: 'boolean' },
          { name: 'operationMetrics', type: 'map<string,string>' },
          { name: 'engineInfo', type: 'string' },
        ],
        rows: h.map((e) => [
          e.version,
          new Date(e.timestamp).toISOString().replace('T', ' ').replace('Z', ''),
          e.userName ?? null,
          e.operation ?? null,
          Object.fromEntries(
            Object.entries(e.operationParameters).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
          ),
          e.readVersion ?? null,
          e.isolationLevel ?? null,
          e.isBlindAppend ?? null,
          e.operationMetrics,
          e.engineInfo ?? null,
        ]),
      };
    }
    if (c.eat('DETAIL')) {
      const { location, info } = await this.target(c, session, ['BROWSE']);
      const snap = await (await DeltaTable.open(location)).snapshot();
      const files = snap.activeFiles();
      return {
        columns: [
          ...cols('format', 'id', 'name', 'description', 'location'),
          { name: 'createdAt', type: 'timestamp' },
          { name: 'lastModified', type: 'timestamp' },
          { name: 'partitionColumns', type: 'array<string>' },
          { name: 'numFiles', type: 'bigint' },
          { name: 'sizeInBytes', type: 'bigint' },
          { name: 'properties', type: 'map<string,string>' },
          { name: 'minReaderVersion', type: 'int' },
          { name: 'minWriterVersion', type: 'int' },
          { name: 'tableFeatures', type: 'array<string>' },
        ],
        rows: [
          [
            'delta',
            snap.metadata.id,
            info ? info.fullName : null,
            snap.metadata.description ?? null,
            location,
            snap.metadata.createdTime
              ? new Date(snap.metadata.createdTime).toISOString().replace('T', ' ').replace('Z', '')
              : null,
            new Date(snap.timestamp).toISOString().replace('T', ' ').replace('Z', ''),
            snap.partitionColumns,
            files.length,
            files.reduce((n, f) => n + (f.size ?? 0), 0),
            snap.metadata.configuration ?? {},
            snap.protocol.minReaderVersion,
            snap.protocol.minWriterVersion,
            [...new Set([...(snap.protocol.readerFeatures ?? []), ...(snap.protocol.writerFeatures ?? [])])],
          ],
        ],
      };
    }
    if (c.eat('QUERY')) {
      const sql = await this.engine.translateQuery(c.rest(), ctx);
      const r = await this.engine.runDuck(`SELECT * FROM (${sql}) LIMIT 0`, ctx.conn);
      return { columns: cols('col_name', 'data_type', 'comment'), rows: r.columns.map((x) => [x.name, x.type, null]) };
    }
    c.eat('TABLE');
    const extended = c.eat('EXTENDED') || c.eat('FORMATTED');
    const parts = c.name();
    const session2 = session as Session & TempViews;
    if (parts.length === 1 && session2.tempViews?.has(parts[0].toLowerCase())) {
      const sql = await this.viewSql(session2.tempViews.get(parts[0].toLowerCase())!, session, ctx.conn);
      const r = await this.engine.runDuck(`SELECT * FROM (${sql}) LIMIT 0`, ctx.conn);
      return { columns: cols('col_name', 'data_type', 'comment'), rows: r.columns.map((x) => [x.name, x.type, null]) };
    }
    await this.gov.require(session, 'BROWSE', { type: 'TABLE', name: this.qualify(parts, session).join('.') });
    const info = await this.table(parts, session);
    const rows: unknown[][] = [];
    let partCols: string[] = [];
    if (info.tableType === 'VIEW' || info.tableType === 'MATERIALIZED_VIEW') {
      const sql = await this.viewSql(info.viewDefinition ?? '', this.gov.viewSession(session, info), ctx.conn);
      const r = await this.engine.runDuck(`SELECT * FROM (${sql}) LIMIT 0`, ctx.conn);
      for (const x of r.columns) rows.push([x.name, x.type, null]);
    } else {
      const snap = await (await DeltaTable.open(info.storageLocation!)).snapshot();
      partCols = snap.partitionColumns;
      for (const f of snap.schema.fields)
        rows.push([f.name, simpleString(f.type), (f.metadata?.comment as string) ?? null]);
      if (partCols.length) {
        rows.push(['# Partition Information', '', '']);
        rows.push(['# col_name', 'data_type', 'comment']);
        for (const p of partCols) {
          const f = snap.schema.fields.find((x) => x.name === p)!;
          rows.push([p, simpleString(f.type), null]);
        }
      }
    }
    if (extended) {
      rows.push(['', '', '']);
      rows.push(['# Detailed Table Information', '', '']);
      rows.push(['Catalog', info.catalog, '']);
      rows.push(['Database', info.schema, '']);
      rows.push(['Table', info.name, '']);
      rows.push(['Owner', info.owner, '']);
      rows.push(['Created Time', new Date(info.createdAt).toUTCString(), '']);
      rows.push(['Type', info.tableType, '']);
      if (info.comment) rows.push(['Comment', info.comment, '']);
      if (info.storageLocation) rows.push(['Location', info.storageLocation, '']);
      if (info.viewDefinition) rows.push(['View Text', info.viewDefinition, '']);
      rows.push(['Provider', info.dataSourceFormat?.toLowerCase() ?? '', '']);
      const props = Object.entries(info.properties);
      if (props.length) rows.push(['Table Properties', `[${props.map(([k, v]) => `${k}=${v}`).join(',')}]`, '']);
    }
    return { columns: cols('col_name', 'data_type', 'comment'), rows };
  }

  private async show(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const session = ctx.session as Session & TempViews;
    const like = (names: string[]): string[] => {
      if (!c.eat('LIKE') && !(c.peek()?.kind === 'string')) return names;
      const pat = c.string();
      const alts = pat
        .split('|')
        .map((p) => new RegExp(`^${p.trim().replaceAll('.', '\\.').replaceAll('*', '.*')}$`, 'i'));
      return names.filter((n) => alts.some((r) => r.test(n)));
    };
    if (c.eat('CATALOGS')) {
      const visible = await this.gov.filter(session, await this.metastore.listCatalogs(), (x) => ({
        type: 'CATALOG',
        name: x.name,
      }));
      const names = like(visible.map((x) => x.name));
      return { columns: cols('catalog'), rows: names.map((n) => [n]) };
    }
    if (c.eat('SCHEMAS') || c.eat('DATABASES')) {
      const cat = c.eat('IN') || c.eat('FROM') ? c.ident() : session.catalog;
      await this.gov.require(session, 'USE CATALOG', { type: 'CATALOG', name: cat });
      const schemas = await this.metastore.listSchemas(cat).catch(async (e: unknown) => {
        throw await this.gov.scrub(e, session);
      });
      const visible = await this.gov.filter(session, schemas, (x) => ({ type: 'SCHEMA', name: x.fullName }));
      const names = like(visible.map((x) => x.name));
      return { columns: cols('databaseName'), rows: names.map((n) => [n]) };
    }
    if (c.eat('TABLES') || c.at('VIEWS')) {
      const views = c.eat('VIEWS');
      let [cat, sch] = [session.catalog, session.schema];
      if (c.eat('IN') || c.eat('FROM')) {
        const p = c.name();
        [cat, sch] = p.length > 1 ? [p[0], p[1]] : [session.catalog, p[0]];
      }
      await this.gov.require(session, 'USE SCHEMA', { type: 'SCHEMA', name: `${cat}.${sch}` });
      const listed = await this.metastore.listTables(cat, sch).catch(async (e: unknown) => {
        throw await this.gov.scrub(e, session);
      });
      const all = await this.gov.filter(session, listed, (t) => ({ type: 'TABLE', name: t.fullName }));
      const list = views ? all.filter((t) => t.tableType === 'VIEW' || t.tableType === 'MATERIALIZED_VIEW') : all;
      const names = new Set(like(list.map((t) => t.name)));
      const rows: unknown[][] = list.filter((t) => names.has(t.name)).map((t) => [sch, t.name, false]);
      for (const v of session.tempViews?.keys() ?? []) rows.push(['', v, true]);
      return {
        columns: [...cols('namespace', views ? 'viewName' : 'tableName'), { name: 'isTemporary', type: 'boolean' }],
        rows,
      };
    }
    if (c.eat('COLUMNS')) {
      c.expect('IN', 'FROM');
      const parts = c.name();
      if (c.eat('IN') || c.eat('FROM')) parts.unshift(c.ident());
      const r = await this.describe(
        new Cursor(
          [
            ...parts.flatMap((p, i) =>
              i
                ? [
                    { ...word('.'), kind: 'op' as const },
                    { ...word(p), kind: 'qident' as const },
                  ]
                : [{ ...word(p), kind: 'qident' as const }],
            ),
          ],
          c.endTok,
        ),
        ctx,
      );
      return {
        columns: cols('col_name'),
        rows: r.rows
          .slice(0, r.rows.findIndex((x) => String(x[0]).startsWith('#') || x[0] === '') >>> 0)
          .map((x) => [x[0]]),
      };
    }
    if (c.eat('TBLPROPERTIES')) {
      const tparts = c.name();
      await this.gov.require(session, 'BROWSE', { type: 'TABLE', name: this.qualify(tparts, session).join('.') });
      const info = await this.table(tparts, session);
      let props = info.properties;
      if (info.storageLocation && info.tableType !== 'VIEW')
        props = (await (await DeltaTable.open(info.storageLocation)).snapshot()).metadata.configuration ?? {};
      return { columns: cols('key', 'value'), rows: Object.entries(props).map(([k, v]) => [k, v]) };
    }
    if (c.eat('CREATE', 'TABLE')) {
      const tparts = c.name();
      await this.gov.require(session, 'BROWSE', { type: 'TABLE', name: this.qualify(tparts, session).join('.') });
      const info = await this.table(tparts, session);
      return { columns: cols('createtab_stmt'), rows: [[await this.showCreate(info)]] };
    }
    if (c.eat('FUNCTIONS') || c.eat('USER', 'FUNCTIONS')) {
      const fns = await this.gov.filter(
        session,
        await (this.metastore as any).listFunctions(session.catalog, session.schema).catch(() => []),
        (f: { fullName: string }) => ({ type: 'FUNCTION', name: f.fullName }),
      );
      const names = like(
        [
          ...fns.map((f: { fullName: string }) => f.fullName),
          ...Object.keys((await import('./functions.js')).FUNCTIONS),
        ].sort(),
      );
      return { columns: cols('function'), rows: names.map((n) => [n]) };
    }
    throw c.error('unsupported SHOW');
  }

  private async showCreate(info: TableInfo): Promise<string> {
    if (info.tableType === 'VIEW') return `CREATE VIEW ${info.fullName} AS ${info.viewDefinition}`;
    const snap = await (await DeltaTable.open(info.storageLocation!)).snapshot();
    const colsText = snap.schema.fields
      .map(
        (f) =>
          `  ${quoteIdent(f.name)} ${simpleString(f.type).toUpperCase()}${f.nullable ? '' : ' NOT NULL'}${f.metadata?.comment ? ` COMMENT ${sqlString(String(f.metadata.comment))}` : ''}`,
      )
      .join(',\n');
    let s = `CREATE TABLE ${info.fullName} (\n${colsText})\nUSING delta`;
    if (snap.partitionColumns.length) s += `\nPARTITIONED BY (${snap.partitionColumns.map(quoteIdent).join(', ')})`;
    if (info.comment) s += `\nCOMMENT ${sqlString(info.comment)}`;
    if (info.tableType === 'EXTERNAL') s += `\nLOCATION ${sqlString(info.storageLocation!)}`;
    const props = Object.entries(snap.metadata.configuration ?? {});
    if (props.length)
      s += `\nTBLPROPERTIES (\n${props.map(([k, v]) => `  ${sqlString(k)} = ${sqlString(v)}`).join(',\n')})`;
    return s + '\n';
  }
}

function quoteIdent(s: string): string {
  return /^[a-z_][a-z0-9_]*$/i.test(s) ? s : `\`${s.replaceAll('`', '``')}\``;
}

function firstOffset(n: Node): number {
  return isGroup(n) ? n.open.offset : n.offset;
}

/** Reproduce nodes as Spark SQL text (for stored view and constraint text). */
export function nodesText(nodes: Node[]): string {
  let out = '';
  for (const n of nodes) {
    const piece = isGroup(n) ? `${n.open.value}${nodesText(n.items)}${n.close.value}` : n.raw;
    if (out && !(piece === '.' || out.endsWith('.') || piece === ',' || (isGroup(n) && /[\w`]$/.test(out)))) out += ' ';
    out += piece;
  }
  return out;
}

export function columnInfos(schema: StructType, partitionColumns: string[]): ColumnInfo[] {
  return schema.fields.map((f) => ({
    name: f.name,
    typeText: simpleString(f.type),
    typeJson: JSON.stringify(f.type as DeltaDataType),
    nullable: f.nullable,
    comment: (f.metadata?.comment as string | undefined) ?? null,
    partitionIndex: partitionColumns.includes(f.name) ? partitionColumns.indexOf(f.name) : null,
  }));
}

void refPlaceholder;
