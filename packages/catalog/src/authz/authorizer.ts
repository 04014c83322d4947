import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { LakeboxError } from '@lakebox/common';
import { PrincipalStore, type Principal } from '../principals.js';
import type { MetastoreDatabase } from '../tables.js';
import type { SecurableOwnersTable, TablePoliciesTable } from './migrations.js';
import {
  GRANTABLE,
  PRIVILEGES,
  parsePrivilege,
  typeLabel,
  type Privilege,
  type Securable,
  type SecurableType,
} from './privileges.js';

/** The metastore's tables plus the governance ones. */
export interface AuthzDatabase extends MetastoreDatabase {
  securable_owners: SecurableOwnersTable;
  table_policies: TablePoliciesTable;
}

/** A principal, or just its name (looked up in the principal store; unknown names have no privileges). */
export type PrincipalLike = Principal | string;

/** One resolved level of a securable's path: metastore > catalog > schema > object. */
export interface SecurableNode {
  type: SecurableType;
  id: string;
  /** Full name as users write it (`main`, `main.sales`, `main.sales.orders`; experiments: their id). */
  name: string;
  owner: string | null;
}

/** A privilege granted to a principal on a securable. */
export interface GrantInfo {
  principal: string;
  privilege: Privilege;
  securableType: SecurableType;
  securableName: string;
  grantedBy: string;
  createdAt: number;
}

interface GrantRow {
  securable_type: string;
  securable_id: string;
  principal: string;
  privilege: string;
}

const METASTORE: SecurableNode = { type: 'METASTORE', id: 'metastore', name: 'metastore', owner: null };

/**
 * Grants by principal name, shared by every Authorizer over the same database (the statement
 * engine, the REST routes, Spark Connect all hold their own instance) and cleared whenever a
 * grant or an owner changes through any of them.
 */
const grantCaches = new WeakMap<object, Map<string, { rows: GrantRow[]; at: number }>>();
/**
 * Another process sharing the metastore (PostgreSQL) cannot clear this process's cache: cached
 * grants are re-read after this many milliseconds.
 */
const GRANT_CACHE_MS = 5_000;

export function permissionDenied(privilege: string, node: { type: SecurableType; name: string }): LakeboxError {
  return new LakeboxError(
    'PERMISSION_DENIED',
    `User does not have ${privilege} on ${typeLabel(node.type)} '${node.name}'.`,
    { httpStatus: 403, sqlState: '42501' },
  );
}

export interface AuthorizerOptions {
  /** Where principals (and their groups) are looked up by name; default: the metastore's PrincipalStore. */
  principals?: Pick<PrincipalStore, 'getPrincipal'> & { groupsOf?(nameOrId: string): Promise<string[]> };
}

/**
 * Unity-Catalog-style authorization: who may do what on which securable. Privileges granted on a
 * securable apply to everything below it (metastore > catalog > schema > table/view/volume/
 * function/registered model; experiments below the metastore). Owners of a securable or of any
 * of its ancestors, and workspace administrators, hold every privilege. Objects inside a catalog
 * also need USE CATALOG on it, objects inside a schema USE SCHEMA on it.
 *
 * Use one `scope(principal)` per request or statement: it caches the principal, its groups and
 * its effective privileges for its lifetime. The convenience methods on the Authorizer itself
 * open a fresh scope per call.
 */
export class Authorizer {
  readonly db: Kysely<AuthzDatabase>;
  private readonly principals: NonNullable<AuthorizerOptions['principals']>;

  constructor(db: Kysely<any>, opts: AuthorizerOptions = {}) {
    this.db = db as Kysely<AuthzDatabase>;
    this.principals = opts.principals ?? new PrincipalStore(db as Kysely<MetastoreDatabase>);
  }

  scope(principal: PrincipalLike): AuthzScope {
    return new AuthzScope(this, principal);
  }

  // ---- one-shot checks (each opens a scope)

  /** Throw PERMISSION_DENIED (403) unless `principal` holds every privilege in `privileges` on `securable`. */
  require(principal: PrincipalLike, privileges: Privilege | Privilege[], securable: Securable): Promise<void> {
    return this.scope(principal).require(privileges, securable);
  }
  check(principal: PrincipalLike, privileges: Privilege | Privilege[], securable: Securable): Promise<boolean> {
    return this.scope(principal).check(privileges, securable);
  }
  /** Owner (of it or an ancestor), MANAGE, or admin: may drop, grant on, transfer `securable`. */
  requireManage(principal: PrincipalLike, securable: Securable): Promise<void> {
    return this.scope(principal).requireManage(securable);
  }
  canSee(principal: PrincipalLike, securable: Securable): Promise<boolean> {
    return this.scope(principal).canSee(securable);
  }
  filterVisible<T>(principal: PrincipalLike, items: T[], toSecurable: (item: T) => Securable): Promise<T[]> {
    return this.scope(principal).filterVisible(items, toSecurable);
  }
  privileges(principal: PrincipalLike, securable: Securable): Promise<Set<Privilege>> {
    return this.scope(principal).privileges(securable);
  }

  // ---- grants and owners

  /** For GRANT and REVOKE: `by` may manage the securable; its node and the privileges, checked against its type. */
  private async managed(by: PrincipalLike, securable: Securable, privileges: (Privilege | string)[]) {
    const scope = this.scope(by);
    await scope.requireManage(securable);
    const node = await scope.leaf(securable);
    return { scope, node, privs: this.validate(node, privileges) };
  }

  /** GRANT: `by` must own or MANAGE the securable (or be an admin). */
  async grant(
    by: PrincipalLike,
    securable: Securable,
    grantee: string,
    privileges: (Privilege | string)[],
  ): Promise<void> {
    const { scope, node, privs } = await this.managed(by, securable, privileges);
    await this.requirePrincipal(grantee);
    const who = (await scope.principal()).name;
    for (const p of privs) {
      await this.db
        .insertInto('grants')
        .values({
          id: randomUUID(),
          securable_type: node.type,
          securable_id: node.id,
          principal: grantee,
          privilege: p,
          granted_by: who,
          created_at: Date.now(),
        })
        .onConflict((oc) => oc.columns(['securable_type', 'securable_id', 'principal', 'privilege']).doNothing())
        .execute();
    }
    this.invalidate();
  }

  /** REVOKE: `by` must own or MANAGE the securable (or be an admin). Revoking what was not granted is a no-op. */
  async revoke(
    by: PrincipalLike,
    securable: Securable,
    grantee: string,
    privileges: (Privilege | string)[],
  ): Promise<void> {
    const { node, privs } = await this.managed(by, securable, privileges);
    // REVOKE ALL PRIVILEGES takes back every privilege granted on the securable, as in Databricks
    let q = this.db
      .deleteFrom('grants')
      .where('securable_type', '=', node.type)
      .where('securable_id', '=', node.id)
      .where('principal', '=', grantee);
    if (!privs.includes('ALL PRIVILEGES')) q = q.where('privilege', 'in', privs);
    await q.execute();
    this.invalidate();
  }

  /**
   * The grants on a securable (SHOW GRANTS). Owners, managers and admins see all of them; anyone
   * else who can see the securable sees only the grants to themselves and their groups.
   */
  async listGrants(by: PrincipalLike, securable: Securable, opts: { principal?: string } = {}): Promise<GrantInfo[]> {
    const scope = this.scope(by);
    const node = await scope.leaf(securable);
    if (!(await scope.canSee(securable))) throw permissionDenied('BROWSE', node);
    let q = this.db
      .selectFrom('grants')
      .selectAll()
      .where('securable_type', '=', node.type)
      .where('securable_id', '=', node.id);
    if (opts.principal !== undefined) q = q.where('principal', '=', opts.principal);
    const rows = await q.orderBy('principal').orderBy('privilege').execute();
    const manager = await scope.check('MANAGE', securable);
    const mine = new Set(await scope.names());
    return rows
      .filter((r) => manager || mine.has(r.principal))
      .map((r) => ({
        principal: r.principal,
        privilege: r.privilege as Privilege,
        securableType: node.type,
        securableName: node.name,
        grantedBy: r.granted_by,
        createdAt: r.created_at,
      }));
  }

  /** ALTER ... OWNER TO: the owner, a manager or an admin may transfer ownership to an existing principal. */
  async setOwner(by: PrincipalLike, securable: Securable, newOwner: string): Promise<void> {
    const scope = this.scope(by);
    await scope.requireManage(securable);
    const node = await scope.leaf(securable);
    await this.requirePrincipal(newOwner);
    const who = (await scope.principal()).name;
    const now = Date.now();
    const table = {
      CATALOG: 'catalogs',
      SCHEMA: 'schemas',
      TABLE: 'tables',
      VOLUME: 'volumes',
      FUNCTION: 'functions',
    } as const;
    if (node.type in table) {
      await this.db
        .updateTable(table[node.type as keyof typeof table])
        .set({ owner: newOwner, updated_at: now, updated_by: who })
        .where('id', '=', node.id)
        .execute();
    } else if (node.type === 'METASTORE') {
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'the metastore has no owner: make principals admins instead');
    } else {
      await this.registerOwner(securable, newOwner);
    }
    this.invalidate();
  }

  /**
   * Record the owner (the creator) of an experiment or registered model, which live outside the
   * metastore's own tables. Idempotent; replaces a previous owner.
   */
  async registerOwner(securable: Securable, owner: string): Promise<void> {
    const node = await this.scope(owner).leaf(securable);
    await this.db
      .insertInto('securable_owners')
      .values({ securable_type: node.type, securable_id: node.id, owner, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['securable_type', 'securable_id']).doUpdateSet({ owner }))
      .execute();
    this.invalidate();
  }

  /** Forget an experiment's or registered model's owner and grants (when it is deleted for good). */
  async forget(securable: Securable): Promise<void> {
    const node = await this.scope('').leaf(securable);
    await this.db
      .deleteFrom('securable_owners')
      .where('securable_type', '=', node.type)
      .where('securable_id', '=', node.id)
      .execute();
    await this.db
      .deleteFrom('grants')
      .where('securable_type', '=', node.type)
      .where('securable_id', '=', node.id)
      .execute();
    this.invalidate();
  }

  /** Drop cached grants (after a change made outside the Authorizer). */
  invalidate(): void {
    grantCaches.get(this.db)?.clear();
  }

  // ---- internals used by scopes

  async lookupPrincipal(p: PrincipalLike): Promise<Principal & { groups: string[] }> {
    const base: Principal =
      typeof p === 'string'
        ? ((await this.principals.getPrincipal(p)) ?? { id: '', name: p, kind: 'user', isAdmin: false })
        : p;
    let groups = base.groups;
    if (!groups) groups = this.principals.groupsOf && base.name ? await this.principals.groupsOf(base.name) : [];
    return { ...base, groups };
  }

  /** Grants to any of `names`, through the shared cache. */
  async grantsOf(names: string[]): Promise<GrantRow[]> {
    let cache = grantCaches.get(this.db);
    if (!cache) grantCaches.set(this.db, (cache = new Map()));
    const now = Date.now();
    const missing = names.filter((n) => {
      const c = cache.get(n);
      return !c || now - c.at > GRANT_CACHE_MS;
    });
    if (missing.length) {
      const rows = await this.db
        .selectFrom('grants')
        .select(['securable_type', 'securable_id', 'principal', 'privilege'])
        .where('principal', 'in', missing)
        .execute();
      for (const n of missing) cache.set(n, { rows: [], at: now });
      for (const r of rows) cache.get(r.principal)!.rows.push(r);
    }
    return names.flatMap((n) => cache.get(n)?.rows ?? []);
  }

  /** The path metastore > ... > securable; `missing` when some level does not exist (the path stops there). */
  async resolve(s: Securable): Promise<{ nodes: SecurableNode[]; missing: boolean }> {
    const parts = (s.name ?? '').split('.').map((x) => x.trim());
    const lower = parts.map((x) => x.toLowerCase());
    const nodes: SecurableNode[] = [METASTORE];
    const db = this.db;
    if (s.type === 'METASTORE') return { nodes, missing: false };
    if (s.type === 'EXPERIMENT' || (s.type === 'REGISTERED_MODEL' && parts.length !== 3)) {
      const id = s.type === 'EXPERIMENT' ? (s.name ?? '') : lower.join('.');
      nodes.push({ type: s.type, id, name: s.name ?? '', owner: await this.extraOwner(s.type, id) });
      return { nodes, missing: false };
    }
    const want = { CATALOG: 1, SCHEMA: 2 }[s.type as 'CATALOG' | 'SCHEMA'] ?? 3;
    if (parts.length !== want || parts.some((x) => !x)) {
      throw new LakeboxError(
        'INVALID_PARAMETER_VALUE',
        `a ${typeLabel(s.type).toLowerCase()} name needs ${want} part${want > 1 ? 's' : ''}, got '${s.name ?? ''}'`,
        { sqlState: '42000' },
      );
    }
    const cat = await db.selectFrom('catalogs').select(['id', 'owner']).where('name', '=', lower[0]).executeTakeFirst();
    if (!cat) return { nodes, missing: true };
    nodes.push({ type: 'CATALOG', id: cat.id, name: lower[0], owner: cat.owner });
    if (want === 1) return { nodes, missing: false };
    const sch = await db
      .selectFrom('schemas')
      .select(['id', 'owner'])
      .where('catalog_id', '=', cat.id)
      .where('name', '=', lower[1])
      .executeTakeFirst();
    if (!sch) return { nodes, missing: true };
    nodes.push({ type: 'SCHEMA', id: sch.id, name: `${lower[0]}.${lower[1]}`, owner: sch.owner });
    if (want === 2) return { nodes, missing: false };
    const full = lower.join('.');
    if (s.type === 'REGISTERED_MODEL') {
      nodes.push({ type: s.type, id: full, name: full, owner: await this.extraOwner(s.type, full) });
      return { nodes, missing: false };
    }
    const table = ({ TABLE: 'tables', VOLUME: 'volumes', FUNCTION: 'functions' } as const)[
      s.type as 'TABLE' | 'VOLUME' | 'FUNCTION'
    ];
    const leaf = await db
      .selectFrom(table)
      .select(['id', 'owner'])
      .where('schema_id', '=', sch.id)
      .where('name', '=', lower[2])
      .executeTakeFirst();
    if (!leaf) return { nodes, missing: true };
    nodes.push({ type: s.type, id: leaf.id, name: full, owner: leaf.owner });
    return { nodes, missing: false };
  }

  private async extraOwner(type: SecurableType, id: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('securable_owners')
      .select('owner')
      .where('securable_type', '=', type)
      .where('securable_id', '=', id)
      .executeTakeFirst();
    return r?.owner ?? null;
  }

  private validate(node: SecurableNode, privileges: (Privilege | string)[]): Privilege[] {
    if (!privileges.length)
      throw new LakeboxError('INVALID_PARAMETER_VALUE', 'no privileges given', { sqlState: '42000' });
    const privs = privileges.map((p) => parsePrivilege(p));
    for (const p of privs) {
      if (!GRANTABLE[node.type].includes(p)) {
        throw new LakeboxError(
          'INVALID_PARAMETER_VALUE',
          `privilege ${p} cannot be granted on a ${typeLabel(node.type).toLowerCase()} (allowed: ${GRANTABLE[node.type].join(', ')})`,
          { sqlState: '0AKUC' },
        );
      }
    }
    return [...new Set(privs)];
  }

  private async requirePrincipal(name: string): Promise<void> {
    if (!(await this.principals.getPrincipal(name))) {
      throw new LakeboxError('PRINCIPAL_DOES_NOT_EXIST', `Could not find principal with name ${name}`, {
        httpStatus: 404,
        sqlState: '42704',
      });
    }
  }
}

/** Effective-privilege checks for one principal, cached for the scope's lifetime (a request, a statement). */
export class AuthzScope {
  private who?: Promise<Principal & { groups: string[] }>;
  private paths = new Map<string, Promise<{ nodes: SecurableNode[]; missing: boolean }>>();
  private containers?: Promise<Set<string>>;

  constructor(
    readonly authorizer: Authorizer,
    private readonly p: PrincipalLike,
  ) {}

  principal(): Promise<Principal & { groups: string[] }> {
    return (this.who ??= this.authorizer.lookupPrincipal(this.p));
  }

  /** The principal's name and its groups' names: the names grants and owners match. */
  async names(): Promise<string[]> {
    const p = await this.principal();
    return [p.name, ...p.groups];
  }

  async isAdmin(): Promise<boolean> {
    return (await this.principal()).isAdmin;
  }

  path(s: Securable): Promise<{ nodes: SecurableNode[]; missing: boolean }> {
    const key = `${s.type}:${(s.name ?? '').toLowerCase()}`;
    let r = this.paths.get(key);
    if (!r) this.paths.set(key, (r = this.authorizer.resolve(s)));
    return r;
  }

  /** The securable's own node; a not-found error (without hints) when it does not exist. */
  async leaf(s: Securable): Promise<SecurableNode> {
    const { nodes, missing } = await this.path(s);
    if (missing) {
      throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `${typeLabel(s.type)} '${s.name ?? ''}' does not exist.`, {
        httpStatus: 404,
        sqlState: '42704',
      });
    }
    return nodes[nodes.length - 1];
  }

  /** Privileges held on the node at `depth` of `nodes` (everything for owners and admins). */
  private async effective(nodes: SecurableNode[], depth: number): Promise<Set<Privilege>> {
    if (await this.isAdmin()) return new Set(PRIVILEGES);
    const names = new Set(await this.names());
    for (let j = 1; j <= depth; j++)
      if (nodes[j].owner !== null && names.has(nodes[j].owner!)) return new Set(PRIVILEGES);
    const grants = await this.authorizer.grantsOf([...names]);
    const out = new Set<Privilege>();
    for (let j = 0; j <= depth; j++) {
      for (const g of grants) {
        if (g.securable_type !== nodes[j].type || g.securable_id !== nodes[j].id) continue;
        if (g.privilege === 'ALL PRIVILEGES') return new Set(PRIVILEGES);
        out.add(g.privilege as Privilege);
      }
    }
    return out;
  }

  /** Effective privileges on a securable (empty when it does not exist). */
  async privileges(s: Securable): Promise<Set<Privilege>> {
    const { nodes, missing } = await this.path(s);
    if (missing) return new Set();
    return this.effective(nodes, nodes.length - 1);
  }

  /**
   * The first missing privilege, or undefined when all are held. Objects below a catalog also
   * need USE CATALOG on it, objects below a schema USE SCHEMA on it (BROWSE needs neither). When
   * the securable (or a parent) does not exist, only the existing levels are checked: the caller
   * reports the missing object as not found.
   */
  private async missing(
    privileges: Privilege[],
    s: Securable,
  ): Promise<{ privilege: string; node: SecurableNode } | undefined> {
    if (await this.isAdmin()) return undefined;
    const { nodes, missing } = await this.path(s);
    const target = nodes.length - 1;
    const needs: [number, Privilege][] = [];
    const browseOnly = privileges.every((p) => p === 'BROWSE');
    if (!browseOnly) {
      for (let d = 1; d < nodes.length; d++) {
        if (nodes[d].type === 'CATALOG' && (d < target || missing || s.type === 'CATALOG'))
          needs.push([d, 'USE CATALOG']);
        if (nodes[d].type === 'SCHEMA' && (d < target || missing || s.type === 'SCHEMA')) needs.push([d, 'USE SCHEMA']);
      }
    }
    if (!missing) for (const p of privileges) needs.push([target, p]);
    for (const [d, p] of needs) {
      const have = await this.effective(nodes, d);
      // BROWSE: any privilege that applies to the object itself also lets one see its metadata
      const browse = p === 'BROWSE' && [...have].some((x) => GRANTABLE[nodes[d].type].includes(x));
      if (!have.has(p) && !browse) return { privilege: p, node: nodes[d] };
    }
    return undefined;
  }

  async check(privileges: Privilege | Privilege[], s: Securable): Promise<boolean> {
    return (await this.missing(Array.isArray(privileges) ? privileges : [privileges], s)) === undefined;
  }

  async require(privileges: Privilege | Privilege[], s: Securable): Promise<void> {
    const m = await this.missing(Array.isArray(privileges) ? privileges : [privileges], s);
    if (m) throw permissionDenied(m.privilege, m.node);
  }

  /** Owner (of it or an ancestor), MANAGE holder or admin. */
  async requireManage(s: Securable): Promise<void> {
    await this.require('MANAGE', s);
  }

  /**
   * Whether the securable shows up for this principal in listings: admins and owners see it, so
   * does anyone with any privilege on it (inherited ones included), and, for catalogs and
   * schemas, anyone holding or owning something inside them.
   */
  async canSee(s: Securable): Promise<boolean> {
    const { nodes, missing } = await this.path(s);
    if (missing) return false;
    if (await this.isAdmin()) return true;
    const node = nodes[nodes.length - 1];
    const have = await this.effective(nodes, nodes.length - 1);
    if ([...have].some((p) => GRANTABLE[node.type].includes(p) || p === 'ALL PRIVILEGES')) return true;
    if (node.type === 'CATALOG' || node.type === 'SCHEMA') return (await this.containerIds()).has(node.id);
    return false;
  }

  async filterVisible<T>(items: T[], toSecurable: (item: T) => Securable): Promise<T[]> {
    if (await this.isAdmin()) return items;
    const out: T[] = [];
    for (const it of items) if (await this.canSee(toSecurable(it))) out.push(it);
    return out;
  }

  /** Ids of catalogs and schemas that hold something granted to or owned by this principal. */
  private containerIds(): Promise<Set<string>> {
    return (this.containers ??= (async () => {
      const names = await this.names();
      const grants = await this.authorizer.grantsOf(names);
      const db = this.authorizer.db;
      const ids = new Set<string>();
      const schemaIds = grants.filter((g) => g.securable_type === 'SCHEMA').map((g) => g.securable_id);
      const add = (rows: { schema_id: string }[]) => rows.forEach((r) => schemaIds.push(r.schema_id));
      for (const [type, table] of [
        ['TABLE', 'tables'],
        ['VOLUME', 'volumes'],
        ['FUNCTION', 'functions'],
      ] as const) {
        const gid = grants.filter((g) => g.securable_type === type).map((g) => g.securable_id);
        add(
          await db
            .selectFrom(table)
            .select('schema_id')
            .where((eb) => eb.or([eb('owner', 'in', names), ...(gid.length ? [eb('id', 'in', gid)] : [])]))
            .execute(),
        );
      }
      for (const g of grants) {
        if (g.securable_type === 'REGISTERED_MODEL' && g.securable_id.split('.').length === 3) {
          const [c, s] = g.securable_id.split('.');
          const r = await db
            .selectFrom('schemas')
            .innerJoin('catalogs', 'catalogs.id', 'schemas.catalog_id')
            .select('schemas.id as id')
            .where('catalogs.name', '=', c)
            .where('schemas.name', '=', s)
            .executeTakeFirst();
          if (r) schemaIds.push(r.id);
        }
      }
      const schemas = await db
        .selectFrom('schemas')
        .select(['id', 'catalog_id'])
        .where((eb) => eb.or([eb('owner', 'in', names), ...(schemaIds.length ? [eb('id', 'in', schemaIds)] : [])]))
        .execute();
      for (const s of schemas) {
        ids.add(s.id);
        ids.add(s.catalog_id);
      }
      for (const g of grants) if (g.securable_type === 'CATALOG') ids.add(g.securable_id);
      return ids;
    })());
  }
}
