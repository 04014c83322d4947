import { LakeboxError } from '@lakebox/common';

/**
 * Unity Catalog's privileges, plus CREATE CATALOG on the metastore. `ALL PRIVILEGES` stands for
 * every privilege that applies to the securable it is granted on (and below it).
 */
export const PRIVILEGES = [
  'CREATE CATALOG',
  'USE CATALOG',
  'USE SCHEMA',
  'SELECT',
  'MODIFY',
  'CREATE SCHEMA',
  'CREATE TABLE',
  'CREATE VIEW',
  'CREATE VOLUME',
  'READ VOLUME',
  'WRITE VOLUME',
  'CREATE FUNCTION',
  'EXECUTE',
  'CREATE MODEL',
  'APPLY TAG',
  'BROWSE',
  'MANAGE',
  'ALL PRIVILEGES',
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/**
 * The securable kinds. Views are TABLEs (as in Unity Catalog); experiments hang off the metastore;
 * registered models sit in a schema when their name has three parts, else off the metastore.
 */
export const SECURABLE_TYPES = [
  'METASTORE',
  'CATALOG',
  'SCHEMA',
  'TABLE',
  'VOLUME',
  'FUNCTION',
  'REGISTERED_MODEL',
  'EXPERIMENT',
] as const;
export type SecurableType = (typeof SECURABLE_TYPES)[number];

/**
 * A securable named the way users name it: `catalog`, `catalog.schema`, `catalog.schema.object`;
 * a registered model by its (possibly three-part) name; an experiment by its id; the metastore
 * needs no name.
 */
export interface Securable {
  type: SecurableType;
  name?: string;
}

const LEAF_DATA: Privilege[] = ['SELECT', 'MODIFY'];
const CREATES: Privilege[] = ['CREATE TABLE', 'CREATE VIEW', 'CREATE VOLUME', 'CREATE FUNCTION', 'CREATE MODEL'];
const COMMON: Privilege[] = ['APPLY TAG', 'BROWSE', 'MANAGE', 'ALL PRIVILEGES'];
const LEAF: Privilege[] = [...LEAF_DATA, 'READ VOLUME', 'WRITE VOLUME', 'EXECUTE'];

/** Which privileges may be granted on each kind of securable (inherited ones included). */
export const GRANTABLE: Record<SecurableType, readonly Privilege[]> = {
  METASTORE: ['CREATE CATALOG', 'MANAGE'],
  CATALOG: ['USE CATALOG', 'USE SCHEMA', 'CREATE SCHEMA', ...CREATES, ...LEAF, ...COMMON],
  SCHEMA: ['USE SCHEMA', ...CREATES, ...LEAF, ...COMMON],
  TABLE: ['SELECT', 'MODIFY', ...COMMON],
  VOLUME: ['READ VOLUME', 'WRITE VOLUME', ...COMMON],
  FUNCTION: ['EXECUTE', ...COMMON],
  REGISTERED_MODEL: ['EXECUTE', 'MODIFY', ...COMMON],
  EXPERIMENT: ['SELECT', 'MODIFY', 'MANAGE', 'ALL PRIVILEGES'],
};

/** Parse a privilege as written in SQL or JSON (`select`, `USE_CATALOG`, `ALL`, `all privileges`). */
export function parsePrivilege(text: string): Privilege {
  const t = text
    .trim()
    .toUpperCase()
    .replace(/[_\s]+/g, ' ');
  if (t === 'ALL') return 'ALL PRIVILEGES';
  if (t === 'USAGE') return 'USE SCHEMA';
  const p = PRIVILEGES.find((x) => x === t);
  if (!p) {
    throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown privilege '${text}'`, {
      sqlState: '42000',
      details: { privileges: PRIVILEGES },
    });
  }
  return p;
}

/** `USE CATALOG` -> `USE_CATALOG`, as the Unity Catalog REST API spells privileges. */
export const privilegeApiName = (p: Privilege): string => p.replaceAll(' ', '_');

export function parseSecurableType(text: string): SecurableType {
  const t = text.trim().toUpperCase().replace(/\s+/g, '_');
  const alias: Record<string, SecurableType> = {
    VIEW: 'TABLE',
    DATABASE: 'SCHEMA',
    MODEL: 'REGISTERED_MODEL',
    'REGISTERED MODEL': 'REGISTERED_MODEL',
  };
  const r = alias[t] ?? SECURABLE_TYPES.find((x) => x === t);
  if (!r) throw new LakeboxError('INVALID_PARAMETER_VALUE', `unknown securable type '${text}'`, { sqlState: '42000' });
  return r;
}

/** Spell a securable type the way error messages do: `Table`, `Registered model`. */
export const typeLabel = (t: SecurableType): string =>
  t === 'REGISTERED_MODEL' ? 'Registered model' : t.charAt(0) + t.slice(1).toLowerCase();
