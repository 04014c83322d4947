/**
 * The metastore's relational tables, as Kysely sees them. Timestamps are milliseconds since the
 * epoch (BIGINT); JSON documents (properties, columns, parameters) are TEXT; booleans are 0/1
 * INTEGERs, so the same queries run on SQLite and PostgreSQL. Object names are stored in lower
 * case (identifiers are case-insensitive, as in Spark and Unity Catalog).
 */
export interface PrincipalsTable {
  id: string;
  name: string;
  /** 'user' | 'service_principal' | 'group' */
  kind: string;
  is_admin: number;
  created_at: number;
  /** SCIM displayName (null: the name). Added by migration 0002_identity. */
  display_name?: string | null;
  /** 0: deactivated (cannot authenticate). */
  active?: number;
  /** scrypt hash of the web-UI password (`scrypt$N$r$p$salt$hash`), null: no password login. */
  password_hash?: string | null;
  /** SCIM externalId (an identity provider's id). */
  external_id?: string | null;
  /** Service principals: the applicationId (a UUID) SCIM clients address them by. */
  application_id?: string | null;
}

/** Direct group membership (added by migration 0002_identity); nesting is a group as member. */
export interface GroupMembersTable {
  group_id: string;
  member_id: string;
  created_at: number;
}

/** Web-UI sessions (added by migration 0002_identity). Only hashes of the secrets are stored. */
export interface SessionsTable {
  /** SHA-256 of the session cookie's value, hex. */
  id: string;
  principal_id: string;
  /** SHA-256 of the CSRF token, hex. */
  csrf_hash: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface TokensTable {
  id: string;
  principal_id: string;
  /** SHA-256 of the full token, hex. */
  token_hash: string;
  /** The first characters of the token (for listing), never enough to use it. */
  token_prefix: string;
  comment: string | null;
  created_at: number;
  /** null: never expires */
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface CatalogsTable {
  id: string;
  name: string;
  comment: string | null;
  owner: string;
  properties: string;
  storage_root: string | null;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

export interface SchemasTable {
  id: string;
  catalog_id: string;
  name: string;
  comment: string | null;
  owner: string;
  properties: string;
  storage_root: string | null;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

export interface TablesTable {
  id: string;
  schema_id: string;
  name: string;
  /** MANAGED | EXTERNAL | VIEW | MATERIALIZED_VIEW | STREAMING_TABLE */
  table_type: string;
  /** DELTA | PARQUET | CSV | JSON | ... ; null for views */
  data_source_format: string | null;
  storage_location: string | null;
  view_definition: string | null;
  /** JSON array of ColumnInfo, cached for listing and information_schema */
  columns: string;
  comment: string | null;
  owner: string;
  properties: string;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

export interface VolumesTable {
  id: string;
  schema_id: string;
  name: string;
  /** MANAGED | EXTERNAL */
  volume_type: string;
  storage_location: string;
  comment: string | null;
  owner: string;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

export interface FunctionsTable {
  id: string;
  schema_id: string;
  name: string;
  /** JSON array of FunctionParameter */
  parameters: string;
  return_type: string;
  /** SQL */
  routine_body: string;
  routine_definition: string;
  is_deterministic: number;
  comment: string | null;
  owner: string;
  properties: string;
  created_at: number;
  updated_at: number;
  created_by: string;
  updated_by: string;
}

/** Reserved for governance: privileges granted on a securable to a principal. */
export interface GrantsTable {
  id: string;
  /** METASTORE | CATALOG | SCHEMA | TABLE | VOLUME | FUNCTION */
  securable_type: string;
  securable_id: string;
  principal: string;
  privilege: string;
  granted_by: string;
  created_at: number;
}

export interface MetastoreDatabase {
  principals: PrincipalsTable;
  tokens: TokensTable;
  catalogs: CatalogsTable;
  schemas: SchemasTable;
  tables: TablesTable;
  volumes: VolumesTable;
  functions: FunctionsTable;
  grants: GrantsTable;
  group_members: GroupMembersTable;
  sessions: SessionsTable;
}
