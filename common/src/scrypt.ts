/**
 * The password KDF of every process that keeps secrets: scrypt with a salt, compared in constant
 * time. The broker stores its MQTT accounts' hashes with it (credentials file), the server its
 * people's passwords (operations store). Only the encoding of the result differs between them.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

export const ScryptParams = Type.Object(
  {
    algo: Type.Literal('scrypt'),
    N: Type.Integer({ minimum: 2 ** 10, maximum: 2 ** 20, description: 'CPU/memory cost, a power of two' }),
    r: Type.Integer({ minimum: 1, maximum: 32, description: 'Block size' }),
    p: Type.Integer({ minimum: 1, maximum: 16, description: 'Parallelism' }),
    keyLen: Type.Integer({ minimum: 16, maximum: 64, description: 'Derived key length in bytes' }),
  },
  { additionalProperties: false },
);
export type ScryptParams = Static<typeof ScryptParams>;

/**
 * scrypt cost of new hashes: N = 2^15, r = 8, p = 1, 32-byte key. About 50–100 ms and 32 MiB
 * per hash on a small machine: slow on purpose for an attacker holding the hashes, so callers
 * limit how many run at once (2 cores).
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { algo: 'scrypt', N: 2 ** 15, r: 8, p: 1, keyLen: 32 };
/** Salt length of new hashes, in bytes. */
export const SALT_BYTES = 16;

/** A salted hash: salt and derived key in base64, and the cost they were made with. */
export interface SecretHash {
  salt: string;
  hash: string;
  params: ScryptParams;
}

export function scrypt(secret: Buffer | string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // Node refuses when 128*N*r*p exceeds maxmem (32 MiB by default), which N=2^15, r=8 just reaches.
  const opts: ScryptOptions = { N: p.N, r: p.r, p: p.p, maxmem: 2 * 128 * p.N * p.r * p.p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, p.keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(
  secret: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<SecretHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(secret, salt, params);
  return { salt: salt.toString('base64'), hash: key.toString('base64'), params: { ...params } };
}

/** Constant-time check of a secret against its salted hash. */
export async function verifySecret(secret: Buffer | string, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await scrypt(secret, Buffer.from(stored.salt, 'base64'), stored.params);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
