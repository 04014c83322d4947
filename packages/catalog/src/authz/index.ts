// Governance: authorization (privileges, owners, grants) and row filters / column masks.
// Import from '@lakebox/catalog/authz'.
export { Authorizer, AuthzScope, permissionDenied } from './authorizer.js';
export type { AuthorizerOptions, AuthzDatabase, GrantInfo, PrincipalLike, SecurableNode } from './authorizer.js';
export {
  GRANTABLE,
  PRIVILEGES,
  SECURABLE_TYPES,
  parsePrivilege,
  parseSecurableType,
  privilegeApiName,
  typeLabel,
} from './privileges.js';
export type { Privilege, Securable, SecurableType } from './privileges.js';
export { PolicyStore } from './policies.js';
export type { TablePolicies } from './policies.js';
export { authzMigrations, migrateAuthz } from './migrations.js';
