import { sql, type Kysely, type Migration } from 'kysely';

// The MLflow tables in the metastore database. Never edit a committed migration: add a new one.

const m0001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('mlflow_experiments')
      .addColumn('experiment_id', 'bigint', (c) => c.primaryKey())
      .addColumn('name', 'varchar(500)', (c) => c.notNull().unique())
      .addColumn('artifact_location', 'text', (c) => c.notNull())
      .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_update_time', 'bigint', (c) => c.notNull())
      .addColumn('owner', 'varchar(255)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mlflow_experiment_tags')
      .addColumn('experiment_id', 'bigint', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_experiment_tags_pk', ['experiment_id', 'key'])
      .execute();
    await db.schema
      .createTable('mlflow_runs')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull())
      .addColumn('name', 'varchar(250)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('start_time', 'bigint', (c) => c.notNull())
      .addColumn('end_time', 'bigint')
      .addColumn('deleted_time', 'bigint')
      .addColumn('lifecycle_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('artifact_uri', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('mlflow_runs_exp_start')
      .on('mlflow_runs')
      .columns(['experiment_id', 'lifecycle_stage', 'start_time'])
      .execute();
    for (const t of ['mlflow_params', 'mlflow_tags']) {
      await db.schema
        .createTable(t)
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${t}_pk`, ['run_uuid', 'key'])
        .execute();
      await db.schema.createIndex(`${t}_key`).on(t).columns(['key', 'run_uuid']).execute();
    }
    // Full history (one row per logged point) and the latest value per (run, key) for search.
    await db.schema
      .createTable('mlflow_metrics')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('is_nan', 'integer', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('mlflow_metrics_run_key_step')
      .on('mlflow_metrics')
      .columns(['run_uuid', 'key', 'step', 'timestamp'])
      .execute();
    await db.schema
      .createTable('mlflow_latest_metrics')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('is_nan', 'integer', (c) => c.notNull())
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_latest_metrics_pk', ['run_uuid', 'key'])
      .execute();
    await db.schema
      .createIndex('mlflow_latest_metrics_key_value')
      .on('mlflow_latest_metrics')
      .columns(['key', 'value', 'run_uuid'])
      .execute();
    await db.schema
      .createTable('mlflow_run_inputs')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
      .addColumn('name', 'varchar(500)', (c) => c.notNull())
      .addColumn('digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('source_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('schema', 'text')
      .addColumn('profile', 'text')
      .addColumn('tags', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_run_inputs_pk', ['run_uuid', 'name', 'digest'])
      .execute();
    await db.schema
      .createTable('mlflow_run_model_io')
      .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
      .addColumn('direction', 'varchar(8)', (c) => c.notNull())
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('step', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_run_model_io_pk', ['run_uuid', 'direction', 'model_id'])
      .execute();
    await db.schema
      .createTable('mlflow_logged_models')
      .addColumn('model_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('experiment_id', 'bigint', (c) => c.notNull())
      .addColumn('name', 'varchar(500)', (c) => c.notNull())
      .addColumn('artifact_location', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('status_message', 'text')
      .addColumn('model_type', 'varchar(500)')
      .addColumn('source_run_id', 'varchar(32)')
      .addColumn('creator_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('lifecycle_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_update_time', 'bigint', (c) => c.notNull())
      .execute();
    for (const t of ['mlflow_logged_model_tags', 'mlflow_logged_model_params']) {
      await db.schema
        .createTable(t)
        .addColumn('model_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${t}_pk`, ['model_id', 'key'])
        .execute();
    }
    await db.schema
      .createTable('mlflow_registered_models')
      .addColumn('name', 'varchar(256)', (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('owner', 'varchar(255)', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_update_time', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mlflow_registered_model_tags')
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_registered_model_tags_pk', ['name', 'key'])
      .execute();
    await db.schema
      .createTable('mlflow_model_versions')
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('current_stage', 'varchar(20)', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('storage_location', 'text')
      .addColumn('run_id', 'varchar(32)')
      .addColumn('run_link', 'text')
      .addColumn('model_id', 'varchar(64)')
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('creation_time', 'bigint', (c) => c.notNull())
      .addColumn('last_update_time', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_model_versions_pk', ['name', 'version'])
      .execute();
    await db.schema
      .createTable('mlflow_model_version_tags')
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(250)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_model_version_tags_pk', ['name', 'version', 'key'])
      .execute();
    await db.schema
      .createTable('mlflow_aliases')
      .addColumn('name', 'varchar(256)', (c) => c.notNull())
      .addColumn('alias', 'varchar(256)', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('mlflow_aliases_pk', ['name', 'alias'])
      .execute();
  },
};

// Search over many runs: the latest-metric table carries its run's experiment, so that
// `ORDER BY metrics.x` walks an index (experiment, key, value) and stops after one page.
const m0002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('mlflow_latest_metrics').addColumn('experiment_id', 'bigint').execute();
    await sql`UPDATE mlflow_latest_metrics SET experiment_id = (SELECT r.experiment_id FROM mlflow_runs r WHERE r.run_uuid = mlflow_latest_metrics.run_uuid)`.execute(
      db,
    );
    await db.schema.dropIndex('mlflow_latest_metrics_key_value').execute();
    await db.schema
      .createIndex('mlflow_latest_metrics_exp_key_value')
      .on('mlflow_latest_metrics')
      .columns(['experiment_id', 'key', 'is_nan', 'value'])
      .execute();
  },
};

export const mlflowMigrations: Record<string, Migration> = { '0001_mlflow': m0001, '0002_mlflow_search': m0002 };
