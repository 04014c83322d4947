import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Kysely, Migration } from 'kysely';
import { LakeboxError } from '@lakebox/common';
import { normalizeName, runMigrations, type Metastore } from '@lakebox/catalog';

// Unity Catalog registered models and model versions (`/api/2.1/unity-catalog/models`): their own
// table set in the metastore database, keyed by the three-level name catalog.schema.model. They
// are separate from the MLflow workspace registry (packages/mlflow), as Unity Catalog's models are
// separate from the workspace model registry in Databricks.

export interface UcModel {
  id: string;
  catalog: string;
  schema: string;
  name: string;
  fullName: string;
  comment: string | null;
  owner: string;
  storageLocation: string;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export type UcModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface UcModelVersion {
  id: string;
  modelId: string;
  catalog: string;
  schema: string;
  modelName: string;
  version: number;
  source: string;
  runId: string | null;
  status: UcModelVersionStatus;
  storageLocation: string;
  comment: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

interface ModelRow {
  id: string;
  schema_id: string;
  catalog_name: string;
  schema_name: string;
  name: string;
  comment: string | null;
  owner: string;
  storage_location: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}
interface VersionRow {
  id: string;
  model_id: string;
  version: number;
  source: string;
  run_id: string | null;
  status: string;
  storage_location: string;
  comment: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}
interface ModelsDb {
  uc_registered_models: ModelRow;
  uc_model_versions: VersionRow;
}

const migrations: Record<string, Migration> = {
  '0001_uc_models': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('uc_registered_models')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('schema_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('catalog_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('schema_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('uc_registered_models_uq', ['schema_id', 'name'])
        .execute();
      await db.schema
        .createTable('uc_model_versions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('model_id', 'varchar(64)', (c) =>
          c.notNull().references('uc_registered_models.id').onDelete('cascade'),
        )
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('run_id', 'varchar(255)')
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('uc_model_versions_uq', ['model_id', 'version'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('uc_model_versions').ifExists().execute();
      await db.schema.dropTable('uc_registered_models').ifExists().execute();
    },
  },
};

const notFound = (full: string) =>
  new LakeboxError('REGISTERED_MODEL_NOT_FOUND', `Registered model '${full}' does not exist.`, { httpStatus: 404 });

export class UcModelStore {
  private readonly db: Kysely<ModelsDb>;
  private migrated?: Promise<unknown>;

  constructor(
    db: Kysely<any>,
    private readonly metastore: Metastore,
  ) {
    this.db = db as Kysely<ModelsDb>;
  }

  private ready(): Promise<unknown> {
    this.migrated ??= runMigrations(this.db, migrations, 'lakebox_uc_models_migrations');
    return this.migrated;
  }

  private toModel(r: ModelRow): UcModel {
    return {
      id: r.id,
      catalog: r.catalog_name,
      schema: r.schema_name,
      name: r.name,
      fullName: `${r.catalog_name}.${r.schema_name}.${r.name}`,
      comment: r.comment,
      owner: r.owner,
      storageLocation: r.storage_location,
      createdAt: Number(r.created_at),
      createdBy: r.created_by,
      updatedAt: Number(r.updated_at),
      updatedBy: r.updated_by,
    };
  }

  private toVersion(m: UcModel, r: VersionRow): UcModelVersion {
    return {
      id: r.id,
      modelId: m.id,
      catalog: m.catalog,
      schema: m.schema,
      modelName: m.name,
      version: Number(r.version),
      source: r.source,
      runId: r.run_id,
      status: r.status as UcModelVersionStatus,
      storageLocation: r.storage_location,
      comment: r.comment,
      createdAt: Number(r.created_at),
      createdBy: r.created_by,
      updatedAt: Number(r.updated_at),
      updatedBy: r.updated_by,
    };
  }

  async create(req: {
    catalog: string;
    schema: string;
    name: string;
    comment?: string | null;
    owner: string;
  }): Promise<UcModel> {
    await this.ready();
    const s = await this.metastore.getSchema(req.catalog, req.schema);
    const name = normalizeName(req.name, 'model');
    const id = randomUUID();
    const now = Date.now();
    const root = path.join(this.metastore.options.storageRoot, '__models', s.catalog, s.name, name);
    try {
      await this.db
        .insertInto('uc_registered_models')
        .values({
          id,
          schema_id: s.id,
          catalog_name: s.catalog,
          schema_name: s.name,
          name,
          comment: req.comment ?? null,
          owner: req.owner,
          storage_location: root,
          created_at: now,
          created_by: req.owner,
          updated_at: now,
          updated_by: req.owner,
        })
        .execute();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new LakeboxError(
          'REGISTERED_MODEL_ALREADY_EXISTS',
          `Registered model '${s.catalog}.${s.name}.${name}' already exists.`,
          { httpStatus: 409 },
        );
      throw e;
    }
    return this.get(`${s.catalog}.${s.name}.${name}`);
  }

  private async row(full: string): Promise<ModelRow> {
    await this.ready();
    const [c, s, n] = full.toLowerCase().split('.');
    const r = await this.db
      .selectFrom('uc_registered_models')
      .selectAll()
      .where('catalog_name', '=', c ?? '')
      .where('schema_name', '=', s ?? '')
      .where('name', '=', n ?? '')
      .executeTakeFirst();
    if (!r) throw notFound(full);
    return r;
  }

  async get(full: string): Promise<UcModel> {
    return this.toModel(await this.row(full));
  }

  async list(catalog?: string, schema?: string): Promise<UcModel[]> {
    await this.ready();
    let q = this.db.selectFrom('uc_registered_models').selectAll();
    if (catalog) q = q.where('catalog_name', '=', catalog.toLowerCase());
    if (schema) q = q.where('schema_name', '=', schema.toLowerCase());
    const rows = await q.orderBy('catalog_name').orderBy('schema_name').orderBy('name').execute();
    return rows.map((r) => this.toModel(r));
  }

  async update(
    full: string,
    by: string,
    changes: { comment?: string; newName?: string; owner?: string },
  ): Promise<UcModel> {
    const r = await this.row(full);
    const name = changes.newName !== undefined ? normalizeName(changes.newName, 'model') : r.name;
    await this.db
      .updateTable('uc_registered_models')
      .set({
        name,
        ...(changes.comment !== undefined ? { comment: changes.comment } : {}),
        ...(changes.owner !== undefined ? { owner: changes.owner } : {}),
        updated_at: Date.now(),
        updated_by: by,
      })
      .where('id', '=', r.id)
      .execute();
    return this.get(`${r.catalog_name}.${r.schema_name}.${name}`);
  }

  async delete(full: string, force: boolean): Promise<void> {
    const r = await this.row(full);
    const n = await this.db
      .selectFrom('uc_model_versions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('model_id', '=', r.id)
      .executeTakeFirstOrThrow();
    if (Number(n.n) > 0 && !force)
      throw new LakeboxError(
        'INVALID_STATE',
        `Registered model '${full}' has versions: delete them first or pass force=true.`,
        { httpStatus: 400 },
      );
    await this.db.deleteFrom('uc_model_versions').where('model_id', '=', r.id).execute();
    await this.db.deleteFrom('uc_registered_models').where('id', '=', r.id).execute();
  }

  async createVersion(req: {
    catalog: string;
    schema: string;
    model: string;
    source: string;
    runId?: string | null;
    comment?: string | null;
    by: string;
  }): Promise<UcModelVersion> {
    const m = await this.get(`${req.catalog}.${req.schema}.${req.model}`);
    for (let attempt = 0; ; attempt++) {
      const last = await this.db
        .selectFrom('uc_model_versions')
        .select((eb) => eb.fn.max<number>('version').as('v'))
        .where('model_id', '=', m.id)
        .executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      const id = randomUUID();
      const now = Date.now();
      try {
        await this.db
          .insertInto('uc_model_versions')
          .values({
            id,
            model_id: m.id,
            version,
            source: req.source,
            run_id: req.runId ?? null,
            status: 'PENDING_REGISTRATION',
            storage_location: path.join(m.storageLocation, 'versions', String(version)),
            comment: req.comment ?? null,
            created_at: now,
            created_by: req.by,
            updated_at: now,
            updated_by: req.by,
          })
          .execute();
        return this.getVersion(m.fullName, version);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (attempt < 5 && (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE')) continue;
        throw e;
      }
    }
  }

  private async versionRow(full: string, version: number): Promise<{ m: UcModel; r: VersionRow }> {
    const m = await this.get(full);
    const r = await this.db
      .selectFrom('uc_model_versions')
      .selectAll()
      .where('model_id', '=', m.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!r)
      throw new LakeboxError('MODEL_VERSION_NOT_FOUND', `Model version ${version} of '${full}' does not exist.`, {
        httpStatus: 404,
      });
    return { m, r };
  }

  async getVersion(full: string, version: number): Promise<UcModelVersion> {
    const { m, r } = await this.versionRow(full, version);
    return this.toVersion(m, r);
  }

  async listVersions(full: string): Promise<UcModelVersion[]> {
    const m = await this.get(full);
    const rows = await this.db
      .selectFrom('uc_model_versions')
      .selectAll()
      .where('model_id', '=', m.id)
      .orderBy('version')
      .execute();
    return rows.map((r) => this.toVersion(m, r));
  }

  async updateVersion(
    full: string,
    version: number,
    by: string,
    changes: { comment?: string; status?: UcModelVersionStatus },
  ): Promise<UcModelVersion> {
    const { r } = await this.versionRow(full, version);
    await this.db
      .updateTable('uc_model_versions')
      .set({
        ...(changes.comment !== undefined ? { comment: changes.comment } : {}),
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        updated_at: Date.now(),
        updated_by: by,
      })
      .where('id', '=', r.id)
      .execute();
    return this.getVersion(full, version);
  }

  async deleteVersion(full: string, version: number): Promise<void> {
    const { r } = await this.versionRow(full, version);
    await this.db.deleteFrom('uc_model_versions').where('id', '=', r.id).execute();
  }
}
