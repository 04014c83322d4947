import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeboxError } from '@lakebox/common';
import {
  informationSchemaRows,
  INFORMATION_SCHEMA,
  SYSTEM_CATALOG,
  type InformationSchemaView,
  type Metastore,
  type Principal,
  type TableInfo,
} from '@lakebox/catalog';
import {
  Authorizer,
  PolicyStore,
  parsePrivilege,
  type AuthzScope,
  type PrincipalLike,
  type Privilege,
  type Securable,
  type SecurableType,
} from '@lakebox/catalog/authz';
import { sqlIdent, sqlString } from '@lakebox/delta';
import { Cursor } from './cursor.js';
import type { ExecContext, ParsedStatement, Session, StatementResult } from './engine.js';
import type { Lakehouse } from './lakehouse.js';
import { isGroup, isWord, splitCommas } from './tree.js';
import type { Token } from './lexer.js';

/**
 * A session as governance sees it: `principal` says whose privileges apply (a Principal, or a
 * name looked up in the principal store); without it, `user` is looked up. Views run with their
 * owner as `principal` while `user` (current_user()) stays the invoker.
 */
export interface GovernedSession extends Session {
  principal?: PrincipalLike;
  /** The invoker's groups, for is_account_group_member() (filled per statement). */
  invokerGroups?: string[];
}

const ok = (): StatementResult => ({ columns: [], rows: [] });
const scol = (...names: string[]) => names.map((name) => ({ name, type: 'string' }));

/** Columns of each information_schema view, in order (so empty results keep their shape). */
const INFO_COLUMNS: Record<InformationSchemaView, string[]> = {
  catalogs: ['catalog_name', 'catalog_owner', 'comment', 'created', 'created_by', 'last_altered', 'last_altered_by'],
  schemata: [
    'catalog_name',
    'schema_name',
    'schema_owner',
    'comment',
    'created',
    'created_by',
    'last_altered',
    'last_altered_by',
  ],
  tables: [
    'table_catalog',
    'table_schema',
    'table_name',
    'table_type',
    'is_insertable_into',
    'commit_action',
    'table_owner',
    'comment',
    'created',
    'created_by',
    'last_altered',
    'last_altered_by',
    'data_source_format',
    'storage_path',
  ],
  columns: [
    'table_catalog',
    'table_schema',
    'table_name',
    'column_name',
    'ordinal_position',
    'column_default',
    'is_nullable',
    'full_data_type',
    'data_type',
    'comment',
    'partition_index',
  ],
  views: [
    'table_catalog',
    'table_schema',
    'table_name',
    'view_definition',
    'check_option',
    'is_updatable',
    'is_insertable_into',
    'sql_path',
    'is_materialized',
  ],
  volumes: [
    'volume_catalog',
    'volume_schema',
    'volume_name',
    'volume_type',
    'volume_owner',
    'comment',
    'storage_location',
    'created',
    'created_by',
    'last_altered',
    'last_altered_by',
  ],
  routines: [
    'specific_catalog',
    'specific_schema',
    'specific_name',
    'routine_catalog',
    'routine_schema',
    'routine_name',
    'routine_type',
    'routine_owner',
    'data_type',
    'full_data_type',
    'routine_body',
    'routine_definition',
    'is_deterministic',
    'comment',
    'created',
    'created_by',
    'last_altered',
    'last_altered_by',
  ],
};

/** DuckDB functions that reach outside the catalog (files, environment, settings, attached databases). */
const ENGINE_FUNCTIONS = new Set([
  'read_files',
  'read_csv',
  'read_csv_auto',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'read_json',
  'read_json_auto',
  'read_json_objects',
  'read_ndjson',
  'read_ndjson_auto',
  'read_ndjson_objects',
  'read_text',
  'read_blob',
  'glob',
  'delta_scan',
  'iceberg_scan',
  'query',
  'query_table',
  'getenv',
  'current_setting',
  'which_secret',
]);

/** Securable keywords after ON in GRANT / REVOKE / SHOW GRANTS. */
const SECURABLE_WORDS: Record<string, SecurableType> = {
  METASTORE: 'METASTORE',
  CATALOG: 'CATALOG',
  SCHEMA: 'SCHEMA',
  DATABASE: 'SCHEMA',
  TABLE: 'TABLE',
  VIEW: 'TABLE',
  VOLUME: 'VOLUME',
  FUNCTION: 'FUNCTION',
  MODEL: 'REGISTERED_MODEL',
};

/**
 * Governance in the SQL engine: privilege checks for every statement and table read, GRANT /
 * REVOKE / SHOW GRANTS / ALTER ... OWNER TO, row filters and column masks applied to scans, and
 * information_schema and SHOW filtered to what the caller may see. Every surface that runs SQL
 * (the embedded engine, the Statement Execution API, Spark Connect) goes through here.
 */
export class Governance {
  readonly policies: PolicyStore;
  private readonly scopes = new WeakMap<Session, AuthzScope>();

  constructor(
    private readonly lakehouse: Lakehouse,
    readonly metastore: Metastore,
    /** null: no enforcement (a trusted, in-process caller). */
    readonly authz: Authorizer | null,
  ) {
    this.policies = new PolicyStore(metastore.db);
  }

  // ------------------------------------------------------------------ checks

  /** A fresh privilege cache for the statement about to run in this session. */
  async begin(ctx: ExecContext): Promise<void> {
    const s = ctx.session as GovernedSession;
    if (!this.authz) return;
    const scope = this.authz.scope(s.principal ?? s.user);
    this.scopes.set(s, scope);
    const invoker = s.principal === undefined || s.principal === s.user ? scope : this.authz.scope(s.user);
    s.invokerGroups = (await invoker.principal()).groups;
  }

  scope(session: Session): AuthzScope | undefined {
    if (!this.authz) return undefined;
    let s = this.scopes.get(session);
    if (!s) {
      const g = session as GovernedSession;
      this.scopes.set(session, (s = this.authz.scope(g.principal ?? g.user)));
    }
    return s;
  }

  async require(session: Session, privileges: Privilege | Privilege[], securable: Securable): Promise<void> {
    await this.scope(session)?.require(privileges, securable);
  }

  async requireManage(session: Session, securable: Securable): Promise<void> {
    await this.scope(session)?.requireManage(securable);
  }

  async canSee(session: Session, securable: Securable): Promise<boolean> {
    const s = this.scope(session);
    return s ? s.canSee(securable) : true;
  }

  async filter<T>(session: Session, items: T[], f: (t: T) => Securable): Promise<T[]> {
    const s = this.scope(session);
    return s ? s.filterVisible(items, f) : items;
  }

  /** Reading or writing files by path bypasses the catalog: volumes need READ/WRITE VOLUME, other paths an admin. */
  async requirePath(session: Session, p: string, write: boolean): Promise<void> {
    const scope = this.scope(session);
    if (!scope || (await scope.isAdmin())) return;
    const m = /^(?:dbfs:)?\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)(?:\/|$)/.exec(p);
    if (m && !p.split('/').includes('..')) {
      await scope.require(write ? 'WRITE VOLUME' : 'READ VOLUME', { type: 'VOLUME', name: `${m[1]}.${m[2]}.${m[3]}` });
      return;
    }
    throw new LakeboxError(
      'PERMISSION_DENIED',
      `User does not have permission to ${write ? 'write' : 'read'} files by path; use a table or a volume.`,
      { httpStatus: 403, sqlState: '42501' },
    );
  }

  /**
   * DuckDB functions that read files or the process's state by name (`read_csv('/any/path')`,
   * `glob`, `getenv`, `duckdb_settings()`, ...) would bypass the catalog: admins only. Volumes'
   * files are read through the Files API or tables.
   */
  async checkEngineFunction(session: Session, name: string): Promise<void> {
    const n = name.toLowerCase();
    if (!ENGINE_FUNCTIONS.has(n) && !/^(duckdb_|pragma_|sqlite_|postgres_|mysql_)/.test(n)) return;
    const scope = this.scope(session);
    if (!scope || (await scope.isAdmin())) return;
    throw new LakeboxError(
      'PERMISSION_DENIED',
      `User does not have permission to call ${n}(): it reads files or engine state directly.`,
      {
        httpStatus: 403,
        sqlState: '42501',
      },
    );
  }

  /** The principal whose privileges apply inside a view: its owner. */
  viewSession(session: Session, info: TableInfo): Session {
    const s: GovernedSession = { ...session, catalog: info.catalog, schema: info.schema, principal: info.owner };
    return s;
  }

  /**
   * Not-found errors name "did you mean" candidates the caller may not be allowed to see: keep
   * the message, drop the candidates (admins keep them).
   */
  async scrub(e: unknown, session: Session): Promise<unknown> {
    if (!(e instanceof LakeboxError) || !/_NOT_FOUND$/.test(e.code)) return e;
    const scope = this.scope(session);
    if (!scope || (await scope.isAdmin())) return e;
    const message = e.message.replace(/ Did you mean one of the following\? \[.*\]\.?$/s, '');
    const details = e.details ? { ...e.details, suggestions: [] } : undefined;
    return new LakeboxError(e.code, message, {
      httpStatus: e.httpStatus,
      ...(e.sqlState ? { sqlState: e.sqlState } : {}),
      ...(details ? { details } : {}),
    });
  }

  // ------------------------------------------------------------------ reads

  /** `is_account_group_member('g')` / `is_member('g')` for the invoker, as macros on the connection. */
  async defineGroupMacros(session: Session, conn: DuckDBConnection): Promise<void> {
    const g = session as GovernedSession;
    let groups = g.invokerGroups;
    if (!groups) groups = this.authz ? (await this.authz.scope(g.user).principal()).groups : [];
    const list = `[${groups.map((x) => sqlString(x)).join(', ')}]::VARCHAR[]`;
    for (const name of ['is_account_group_member', 'is_member']) {
      await conn.run(`CREATE OR REPLACE TEMP MACRO ${name}(g) AS list_contains(${list}, g)`);
    }
  }

  /**
   * A table's scan with its row filter and column masks applied: the rows where the filter
   * function is true, masked columns replaced by the mask function's result. Applies to every
   * reader (the functions decide, with current_user() and is_account_group_member()).
   */
  async applyPolicies(info: TableInfo, scan: string, session: Session, conn: DuckDBConnection): Promise<string> {
    const pol = await this.policies.get(info.id);
    if (!pol.rowFilter && pol.masks.size === 0) return scan;
    await this.defineGroupMacros(session, conn);
    const ctx: ExecContext = { session, params: {}, conn };
    const macro = async (full: string): Promise<string> => {
      const [c, s, f] = full.split('.');
      const fn = await this.metastore.getFunction(c, s, f);
      const name = `__lbx_policy_${full.replace(/[^a-z0-9_]/gi, '_')}`;
      await this.lakehouse.defineMacro({ ...fn, name }, ctx);
      return sqlIdent(name);
    };
    const q = (c: string) => `__p.${sqlIdent(c)}`;
    const cols: string[] = [];
    for (const col of info.columns) {
      const m = pol.masks.get(col.name.toLowerCase());
      cols.push(
        m
          ? `${await macro(m.functionName)}(${[col.name, ...m.using].map(q).join(', ')}) AS ${sqlIdent(col.name)}`
          : q(col.name),
      );
    }
    const where = pol.rowFilter
      ? ` WHERE ${await macro(pol.rowFilter.functionName)}(${pol.rowFilter.columns.map(q).join(', ')}) IS TRUE`
      : '';
    return `SELECT ${cols.join(', ')} FROM (${scan}) AS __p${where}`;
  }

  /**
   * UPDATE and DELETE touch only rows the caller's row filter lets through (as in Databricks):
   * the filter joins the statement's condition.
   */
  async dmlCondition(
    info: TableInfo | undefined,
    cond: string | undefined,
    ctx: ExecContext,
  ): Promise<string | undefined> {
    if (!info) return cond;
    const pol = await this.policies.get(info.id);
    if (!pol.rowFilter) return cond;
    await this.defineGroupMacros(ctx.session, ctx.conn);
    const [c, s, f] = pol.rowFilter.functionName.split('.');
    const fn = await this.metastore.getFunction(c, s, f);
    const name = `__lbx_policy_${pol.rowFilter.functionName.replace(/[^a-z0-9_]/gi, '_')}`;
    await this.lakehouse.defineMacro({ ...fn, name }, ctx);
    const filter = `(${sqlIdent(name)}(${pol.rowFilter.columns.map((x) => sqlIdent(x)).join(', ')}) IS TRUE)`;
    return cond ? `(${cond}) AND ${filter}` : filter;
  }

  /** MERGE into a table with a row filter or column masks is refused rather than half-enforced. */
  async refuseMergeWithPolicies(info: TableInfo | undefined): Promise<void> {
    if (!info) return;
    const pol = await this.policies.get(info.id);
    if (pol.rowFilter || pol.masks.size) {
      throw new LakeboxError(
        'UNSUPPORTED_FEATURE',
        `MERGE INTO ${info.fullName}: the table has a row filter or column masks; use UPDATE, DELETE and INSERT`,
        { sqlState: '0A000' },
      );
    }
  }

  /** `[catalog.]information_schema.<view>`: rows of what the caller can see. */
  async informationSchemaSql(parts: [string, string, string], session: Session): Promise<string | undefined> {
    const [c, s, v] = parts.map((x) => x.toLowerCase());
    if (s !== INFORMATION_SCHEMA) return undefined;
    const view = v as InformationSchemaView;
    if (!(view in INFO_COLUMNS)) return undefined;
    let rows = await informationSchemaRows(this.metastore, view, c === SYSTEM_CATALOG ? {} : { catalog: c });
    const key = (r: Record<string, unknown>, ...k: string[]) => k.map((x) => String(r[x])).join('.');
    const sec = (r: Record<string, unknown>): Securable => {
      switch (view) {
        case 'catalogs':
          return { type: 'CATALOG', name: String(r.catalog_name) };
        case 'schemata':
          return { type: 'SCHEMA', name: key(r, 'catalog_name', 'schema_name') };
        case 'volumes':
          return { type: 'VOLUME', name: key(r, 'volume_catalog', 'volume_schema', 'volume_name') };
        case 'routines':
          return { type: 'FUNCTION', name: key(r, 'routine_catalog', 'routine_schema', 'routine_name') };
        default:
          return { type: 'TABLE', name: key(r, 'table_catalog', 'table_schema', 'table_name') };
      }
    };
    rows = await this.filter(session, rows, sec);
    const names = INFO_COLUMNS[view];
    const lit = (x: unknown): string =>
      x === null || x === undefined
        ? 'NULL'
        : x instanceof Date
          ? `TIMESTAMP ${sqlString(x.toISOString().replace('T', ' ').replace('Z', ''))}`
          : typeof x === 'number'
            ? String(x)
            : typeof x === 'boolean'
              ? String(x).toUpperCase()
              : sqlString(String(x));
    const types = names.map((n) => {
      const sample = rows.map((r) => r[n]).find((x) => x !== null && x !== undefined);
      return sample instanceof Date
        ? 'TIMESTAMP'
        : typeof sample === 'number'
          ? 'BIGINT'
          : typeof sample === 'boolean'
            ? 'BOOLEAN'
            : /ordinal_position|partition_index/.test(n)
              ? 'BIGINT'
              : /^(created|last_altered)$/.test(n)
                ? 'TIMESTAMP'
                : n === 'is_materialized'
                  ? 'BOOLEAN'
                  : 'VARCHAR';
    });
    const select = names.map((n, i) => `CAST(${sqlIdent(n)} AS ${types[i]}) AS ${sqlIdent(n)}`).join(', ');
    if (!rows.length)
      return `SELECT ${names.map((n, i) => `CAST(NULL AS ${types[i]}) AS ${sqlIdent(n)}`).join(', ')} WHERE false`;
    const values = rows.map((r) => `(${names.map((n) => lit(r[n])).join(', ')})`).join(', ');
    return `SELECT ${select} FROM (VALUES ${values}) AS __i(${names.map((n) => sqlIdent(n)).join(', ')})`;
  }

  // ------------------------------------------------------------------ statements

  /**
   * GRANT, REVOKE, SHOW GRANTS, ALTER ... [SET] OWNER TO, ALTER TABLE ... SET/DROP ROW FILTER and
   * ALTER TABLE ... ALTER COLUMN ... SET/DROP MASK. Undefined for any other statement.
   */
  async statement(st: ParsedStatement, ctx: ExecContext): Promise<StatementResult | undefined> {
    const c = new Cursor(st.nodes, st.tokens[st.tokens.length - 1]);
    if (c.eat('GRANT')) return this.grant(c, ctx, true);
    if (c.eat('REVOKE')) return this.grant(c, ctx, false);
    if (c.at('SHOW', 'GRANTS') || c.at('SHOW', 'GRANT')) {
      c.i += 2;
      return this.showGrants(c, ctx);
    }
    if (c.eat('ALTER')) {
      const ownerAt = st.nodes.findIndex((n, i) => isWord(n, 'OWNER') && isWord(st.nodes[i + 1], 'TO'));
      const word = c.peek();
      if (
        ownerAt > 0 &&
        word &&
        !isGroup(word) &&
        (word.value.toUpperCase() in SECURABLE_WORDS || isWord(word, 'REGISTERED'))
      ) {
        return this.alterOwner(c, ctx);
      }
      if (c.eat('TABLE')) {
        const parts = c.name();
        if (c.at('SET', 'ROW', 'FILTER') || c.at('DROP', 'ROW', 'FILTER')) return this.rowFilter(c, parts, ctx);
        if ((c.at('ALTER', 'COLUMN') || c.at('CHANGE', 'COLUMN')) && (isMaskAt(c, 3) || isMaskAt(c, 3, 'DROP'))) {
          c.i += 2;
          return this.mask(c, parts, ctx);
        }
        if (c.at('ALTER') || c.at('CHANGE')) {
          c.i++;
          if (isMaskAt(c, 1) || isMaskAt(c, 1, 'DROP')) return this.mask(c, parts, ctx);
        }
      }
    }
    return undefined;
  }

  /** `[TYPE] name` after ON: the securable, qualified with the session's catalog and schema. */
  private securable(c: Cursor, session: Session): Securable {
    let type: SecurableType = 'TABLE';
    const w = c.peek();
    if (isWord(w, 'REGISTERED') && isWord(c.peek(1), 'MODEL')) {
      c.i += 2;
      type = 'REGISTERED_MODEL';
    } else if (w && !isGroup(w) && w.kind === 'ident' && w.value.toUpperCase() in SECURABLE_WORDS) {
      const next = c.peek(1);
      // `ON catalog TO x` names a table called catalog; `ON CATALOG main` a catalog
      if (w.value.toUpperCase() === 'METASTORE' || (next && !isWord(next, 'TO') && !isWord(next, 'FROM'))) {
        type = SECURABLE_WORDS[w.value.toUpperCase()];
        c.i++;
      }
    }
    if (type === 'METASTORE') return { type };
    const parts = c.name();
    let full: string[];
    if (type === 'CATALOG') full = parts;
    else if (type === 'SCHEMA') full = parts.length === 1 ? [session.catalog, parts[0]] : parts;
    else if (type === 'REGISTERED_MODEL') full = parts;
    else full = this.lakehouse.qualify(parts, session);
    return { type, name: full.join('.') };
  }

  private principalName(c: Cursor): string {
    const n = c.peek();
    if (n && !isGroup(n) && n.kind === 'string') return c.string();
    return c.ident();
  }

  private notFound(e: unknown, sec: Securable): unknown {
    if (!(e instanceof LakeboxError) || e.code !== 'RESOURCE_DOES_NOT_EXIST') return e;
    const code = {
      CATALOG: 'CATALOG_NOT_FOUND',
      SCHEMA: 'SCHEMA_NOT_FOUND',
      TABLE: 'TABLE_OR_VIEW_NOT_FOUND',
      VOLUME: 'VOLUME_NOT_FOUND',
      FUNCTION: 'ROUTINE_NOT_FOUND',
    }[sec.type as 'CATALOG'];
    return code ? new LakeboxError(code, e.message, { httpStatus: 404, sqlState: '42704' }) : e;
  }

  private async grant(c: Cursor, ctx: ExecContext, grant: boolean): Promise<StatementResult> {
    const privNodes = c.until('ON');
    const privileges = splitCommas(privNodes).map((p) =>
      parsePrivilege(p.map((x) => (isGroup(x) ? '' : (x as Token).value)).join(' ')),
    );
    c.expect('ON');
    const sec = this.securable(c, ctx.session);
    c.expect(grant ? 'TO' : 'FROM');
    const who = this.principalName(c);
    c.end();
    const authz = this.authz ?? new Authorizer(this.metastore.db);
    const by =
      (ctx.session as GovernedSession).principal ?? (this.authz ? ctx.session.user : trusted(ctx.session.user));
    try {
      if (grant) await authz.grant(by, sec, who, privileges);
      else await authz.revoke(by, sec, who, privileges);
    } catch (e) {
      throw this.notFound(e, sec);
    }
    return ok();
  }

  private async showGrants(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    let who: string | undefined;
    if (!c.at('ON')) who = this.principalName(c);
    c.expect('ON');
    const sec = this.securable(c, ctx.session);
    c.end();
    const authz = this.authz ?? new Authorizer(this.metastore.db);
    const by =
      (ctx.session as GovernedSession).principal ?? (this.authz ? ctx.session.user : trusted(ctx.session.user));
    // the securable's own grants, then those inherited from its catalog and schema
    const { nodes, missing } = await authz.resolve(sec);
    if (missing)
      throw this.notFound(
        await authz
          .scope(by)
          .leaf(sec)
          .catch((e: unknown) => e),
        sec,
      );
    const levels: Securable[] = nodes
      .slice(1)
      .reverse()
      .map((n) => (n.type === 'METASTORE' ? { type: n.type } : { type: n.type, name: n.name }));
    if (sec.type === 'METASTORE') levels.push({ type: 'METASTORE' });
    const rows: unknown[][] = [];
    for (const [i, level] of levels.entries()) {
      let grants;
      try {
        grants = await authz.listGrants(by, level, who !== undefined ? { principal: who } : {});
      } catch (e) {
        if (i === 0) throw e;
        continue;
      }
      for (const g of grants)
        rows.push([
          g.principal,
          g.privilege,
          g.securableType === 'REGISTERED_MODEL' ? 'MODEL' : g.securableType,
          level.name ?? '',
        ]);
    }
    return { columns: scol('principal', 'action_type', 'object_type', 'object_key'), rows };
  }

  private async alterOwner(c: Cursor, ctx: ExecContext): Promise<StatementResult> {
    const sec = this.securable(c, ctx.session);
    c.eat('SET');
    c.expect('OWNER');
    c.expect('TO');
    const who = this.principalName(c);
    c.end();
    const authz = this.authz ?? new Authorizer(this.metastore.db);
    const by =
      (ctx.session as GovernedSession).principal ?? (this.authz ? ctx.session.user : trusted(ctx.session.user));
    try {
      await authz.setOwner(by, sec, who);
    } catch (e) {
      throw this.notFound(e, sec);
    }
    return ok();
  }

  /** The table (not a view) the policy is for, with MANAGE checked; and the policy function, with EXECUTE checked. */
  private async policyTarget(parts: string[], ctx: ExecContext): Promise<TableInfo> {
    const [cat, sch, name] = this.lakehouse.qualify(parts, ctx.session);
    const sec: Securable = { type: 'TABLE', name: `${cat}.${sch}.${name}` };
    await this.requireManage(ctx.session, sec);
    const info = await this.metastore.getTable(cat, sch, name);
    if (info.tableType === 'VIEW' || info.tableType === 'MATERIALIZED_VIEW') {
      throw new LakeboxError(
        'EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE',
        `${info.fullName} is a view: row filters and masks apply to tables`,
        {
          sqlState: '42809',
        },
      );
    }
    return info;
  }

  private async policyFunction(c: Cursor, ctx: ExecContext): Promise<string> {
    const [cat, sch, name] = this.lakehouse.qualify(c.name(), ctx.session);
    await this.require(ctx.session, 'EXECUTE', { type: 'FUNCTION', name: `${cat}.${sch}.${name}` });
    const fn = await this.metastore.getFunction(cat, sch, name);
    return fn.fullName;
  }

  private columnOf(info: TableInfo, name: string): string {
    const col = info.columns.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!col) {
      throw new LakeboxError(
        'UNRESOLVED_COLUMN.WITHOUT_SUGGESTION',
        `A column with name \`${name}\` cannot be resolved.`,
        {
          sqlState: '42703',
        },
      );
    }
    return col.name;
  }

  private async rowFilter(c: Cursor, parts: string[], ctx: ExecContext): Promise<StatementResult> {
    const info = await this.policyTarget(parts, ctx);
    if (c.eat('DROP', 'ROW', 'FILTER')) {
      c.end();
      await this.policies.dropRowFilter(info.id);
      return ok();
    }
    c.expect('SET');
    c.expect('ROW');
    c.expect('FILTER');
    const fn = await this.policyFunction(c, ctx);
    c.expect('ON');
    const cols = splitCommas(c.group().items)
      .filter((x) => x.length)
      .map((x) => this.columnOf(info, (x[0] as Token).value));
    c.end();
    await this.policies.setRowFilter(info.id, fn, cols, ctx.session.user);
    return ok();
  }

  private async mask(c: Cursor, parts: string[], ctx: ExecContext): Promise<StatementResult> {
    const info = await this.policyTarget(parts, ctx);
    const col = this.columnOf(info, c.ident());
    if (c.eat('DROP', 'MASK')) {
      c.end();
      await this.policies.dropColumnMask(info.id, col);
      return ok();
    }
    c.expect('SET');
    c.expect('MASK');
    const fn = await this.policyFunction(c, ctx);
    let using: string[] = [];
    if (c.eat('USING', 'COLUMNS')) {
      using = splitCommas(c.group().items)
        .filter((x) => x.length)
        .map((x) => this.columnOf(info, (x[0] as Token).value));
    }
    c.end();
    await this.policies.setColumnMask(info.id, col, fn, using, ctx.session.user);
    return ok();
  }
}

function isMaskAt(c: Cursor, k: number, verb = 'SET'): boolean {
  return isWord(c.peek(k), verb) && isWord(c.peek(k + 1), 'MASK');
}

/** An in-process caller with no enforcement configured acts as an administrator. */
function trusted(name: string): Principal {
  return { id: '', name, kind: 'user', isAdmin: true, groups: [] };
}
