import type { Kysely, Migration } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { isUniqueViolation, runMigrations } from '@lakebox/catalog';

// Catalog-managed Delta commits (`/api/2.1/unity-catalog/delta/preview/commits`), the protocol the
// Unity Catalog Spark connector and Delta Lake (4.0.1, 4.1.0) use for managed tables with the
// `catalogManaged` table feature: the client writes a commit file under `_delta_log/_staged_commits/`,
// asks the catalog to accept it as the table's next version, and later copies it into
// `_delta_log/` (backfill) and reports that. The catalog is what decides the order of versions, so
// it keeps every accepted commit until the client reports it backfilled, and the latest one always
// (it is the table's current version).

/** One accepted commit, as the API spells it. */
export interface DeltaCommitInfo {
  version: number;
  timestamp: number;
  file_name: string;
  file_size: number;
  file_modification_timestamp: number;
}

/** Unbackfilled commits a table may hold before the catalog refuses new ones (as Unity Catalog). */
export const MAX_UNBACKFILLED_COMMITS = 10;

interface CommitRow {
  table_id: string;
  commit_version: number;
  commit_timestamp: number;
  file_name: string;
  file_size: number;
  file_modification_timestamp: number;
  /** 1: this (latest) commit is backfilled; kept only to remember the table's version. */
  is_backfilled_latest: number;
}
interface CommitsDb {
  uc_delta_commits: CommitRow;
}

const migrations: Record<string, Migration> = {
  '0001_uc_delta_commits': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('uc_delta_commits')
        .addColumn('table_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('commit_version', 'bigint', (c) => c.notNull())
        .addColumn('commit_timestamp', 'bigint', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('file_size', 'bigint', (c) => c.notNull())
        .addColumn('file_modification_timestamp', 'bigint', (c) => c.notNull())
        .addColumn('is_backfilled_latest', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('uc_delta_commits_pk', ['table_id', 'commit_version'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('uc_delta_commits').ifExists().execute();
    },
  },
};

const invalid = (message: string) => new LakeboxError('INVALID_PARAMETER_VALUE', message, { httpStatus: 400 });

function nonNegativeInt(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw invalid(`Field must be a non-negative integer: ${field}`);
  return n;
}

/** The commit_info of a request, checked. */
export function parseCommitInfo(v: unknown): DeltaCommitInfo {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('commit_info must be an object');
  const o = v as Record<string, unknown>;
  if (typeof o.file_name !== 'string' || !o.file_name || /[/\\]/.test(o.file_name))
    throw invalid('Field must be a file name: commit_info.file_name');
  return {
    version: nonNegativeInt(o.version, 'commit_info.version'),
    timestamp: nonNegativeInt(o.timestamp, 'commit_info.timestamp'),
    file_name: o.file_name,
    file_size: nonNegativeInt(o.file_size, 'commit_info.file_size'),
    file_modification_timestamp: nonNegativeInt(
      o.file_modification_timestamp,
      'commit_info.file_modification_timestamp',
    ),
  };
}

export { nonNegativeInt as parseVersion };

/** The commits of catalog-managed tables, in the metastore database (table `uc_delta_commits`). */
export class DeltaCommitStore {
  private readonly db: Kysely<CommitsDb>;
  private migrated?: Promise<unknown>;

  constructor(db: Kysely<any>) {
    this.db = db as Kysely<CommitsDb>;
  }

  private ready(): Promise<unknown> {
    this.migrated ??= runMigrations(this.db, migrations, 'lakebox_uc_delta_commits_migrations');
    return this.migrated;
  }

  private async rows(tableId: string): Promise<CommitRow[]> {
    await this.ready();
    const rows = await this.db
      .selectFrom('uc_delta_commits')
      .selectAll()
      .where('table_id', '=', tableId)
      .orderBy('commit_version', 'asc')
      .execute();
    return rows.map((r) => ({
      ...r,
      commit_version: Number(r.commit_version),
      commit_timestamp: Number(r.commit_timestamp),
      file_size: Number(r.file_size),
      file_modification_timestamp: Number(r.file_modification_timestamp),
      is_backfilled_latest: Number(r.is_backfilled_latest),
    }));
  }

  /**
   * The unbackfilled commits with versions in [start, end], and the table's latest version (-1 when
   * no commit went through the catalog yet).
   */
  async getCommits(
    tableId: string,
    start: number,
    end?: number,
  ): Promise<{ commits: DeltaCommitInfo[]; latest_table_version: number }> {
    if (end !== undefined && end < start) throw invalid('end_version must be >= start_version');
    const rows = await this.rows(tableId);
    const last = rows.at(-1);
    if (!last) return { commits: [], latest_table_version: -1 };
    const commits = rows
      .filter(
        (r) => !r.is_backfilled_latest && r.commit_version >= start && (end === undefined || r.commit_version <= end),
      )
      .slice(0, MAX_UNBACKFILLED_COMMITS)
      .map((r) => ({
        version: r.commit_version,
        timestamp: r.commit_timestamp,
        file_name: r.file_name,
        file_size: r.file_size,
        file_modification_timestamp: r.file_modification_timestamp,
      }));
    return { commits, latest_table_version: last.commit_version };
  }

  /**
   * Accept `commit` as the table's next version and/or record that versions up to
   * `latestBackfilled` are backfilled. The first commit through the catalog may have any version
   * (the table's earlier versions were written before it was catalog-managed); later ones must be
   * the latest version + 1.
   */
  async commit(tableId: string, commit: DeltaCommitInfo | undefined, latestBackfilled?: number): Promise<void> {
    if (!commit && latestBackfilled === undefined)
      throw invalid('A commit needs commit_info, latest_backfilled_version or both');
    const rows = await this.rows(tableId);
    const first = rows[0];
    const last = rows.at(-1);
    if (!first || !last) {
      if (!commit) throw invalid('Field can not be null: commit_info in onboarding commit');
      await this.insert(tableId, commit, undefined);
      return;
    }
    if (!commit) {
      if (latestBackfilled! > last.commit_version)
        throw invalid(
          `Should not backfill version ${latestBackfilled} while the last version committed is ${last.commit_version}`,
        );
      await this.backfill(tableId, latestBackfilled!, last.commit_version, true);
      return;
    }
    if (commit.version <= last.commit_version)
      throw new LakeboxError(
        'RESOURCE_ALREADY_EXISTS',
        `Commit version already accepted. Current table version is ${last.commit_version}`,
        { httpStatus: 409 },
      );
    if (commit.version > last.commit_version + 1)
      throw invalid(
        `Commit version must be the next version after the latest commit ${last.commit_version}, but got ${commit.version}`,
      );
    if (latestBackfilled !== undefined && latestBackfilled > last.commit_version)
      throw invalid(
        `Latest backfilled version ${latestBackfilled} cannot be greater than the last commit version = ${last.commit_version}`,
      );
    const backfilled = last.is_backfilled_latest
      ? last.commit_version
      : Math.max(latestBackfilled ?? -1, first.commit_version - 1);
    if (commit.version - backfilled > MAX_UNBACKFILLED_COMMITS)
      throw new LakeboxError('RESOURCE_EXHAUSTED', `Max number of commits per table reached: ${tableId}`, {
        httpStatus: 429,
      });
    await this.insert(tableId, commit, latestBackfilled);
  }

  private async insert(tableId: string, c: DeltaCommitInfo, latestBackfilled: number | undefined): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      try {
        await tx
          .insertInto('uc_delta_commits')
          .values({
            table_id: tableId,
            commit_version: c.version,
            commit_timestamp: c.timestamp,
            file_name: c.file_name,
            file_size: c.file_size,
            file_modification_timestamp: c.file_modification_timestamp,
            is_backfilled_latest: 0,
          })
          .execute();
      } catch (e) {
        // another writer got this version first
        if (isUniqueViolation(e))
          throw new LakeboxError('RESOURCE_ALREADY_EXISTS', `Commit version ${c.version} already accepted.`, {
            httpStatus: 409,
          });
        throw e;
      }
      // the newest commit always stays (it is the table's version); older backfilled ones go
      const upTo = Math.min(latestBackfilled ?? -1, c.version - 1);
      if (upTo >= 0)
        await tx
          .deleteFrom('uc_delta_commits')
          .where('table_id', '=', tableId)
          .where('commit_version', '<=', upTo)
          .execute();
    });
  }

  private async backfill(tableId: string, upTo: number, lastVersion: number, markLast: boolean): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (markLast && upTo === lastVersion)
        await tx
          .updateTable('uc_delta_commits')
          .set({ is_backfilled_latest: 1 })
          .where('table_id', '=', tableId)
          .where('commit_version', '=', lastVersion)
          .execute();
      await tx
        .deleteFrom('uc_delta_commits')
        .where('table_id', '=', tableId)
        .where('commit_version', '<=', Math.min(upTo, lastVersion - 1))
        .execute();
    });
  }

  /** Forget a table's commits (when the table is dropped). */
  async drop(tableId: string): Promise<void> {
    await this.ready();
    await this.db.deleteFrom('uc_delta_commits').where('table_id', '=', tableId).execute();
  }
}
