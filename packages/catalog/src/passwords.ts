import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { LakeboxError } from '@lakebox/common';

/**
 * Web-UI passwords are stored only as a slow, salted hash: scrypt (node:crypto) with a 16-byte
 * random salt per password, encoded as `scrypt$N$r$p$<salt b64>$<hash b64>` so the cost can be
 * raised later without breaking existing hashes.
 */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MIN_LENGTH = 8;
const MAX_LENGTH = 1024;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (n: number, r: number) => 128 * n * r * 2;

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_LENGTH || password.length > MAX_LENGTH) {
    throw new LakeboxError(
      'INVALID_PARAMETER_VALUE',
      `a password must be a string of ${MIN_LENGTH} to ${MAX_LENGTH} characters`,
    );
  }
  return password;
}

export async function hashPassword(password: string): Promise<string> {
  validatePassword(password);
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEYLEN, { N, r: R, p: P, maxmem: maxmem(N, R) });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Compare in constant time; false for a malformed stored hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length === 0) return false;
  const key = await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: maxmem(n, r) });
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;
/**
 * Spend the same time as a real check when the user does not exist or has no password, so
 * response times do not reveal which user names exist.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password.slice(0, MAX_LENGTH), await dummy);
  return false;
}
