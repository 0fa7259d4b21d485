/**
 * People's passwords: scrypt (@yizhan/common/scrypt, as the broker) stored as one string
 * `scrypt$N$r$p$salt$hash` (salt and hash base64), the rules a new password must meet, and
 * generated passwords. At most {@link KDF_CONCURRENCY} scrypt runs at once (each ~32 MiB and one
 * core's worth of work on a 2-core machine); more wait in a bounded queue and are refused past it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashSecret,
  verifySecret,
  type ScryptParams,
  type SecretHash,
} from '@yizhan/common/scrypt';

export const KDF_CONCURRENCY = 2;
/** scrypt runs waiting for a slot; a login past this is answered 503 (the rate limits keep it rare). */
export const KDF_MAX_QUEUE = 200;
export const PASSWORD_MIN = 10;
/** Longer passwords are refused before hashing (scrypt's work grows with the input). */
export const PASSWORD_MAX = 256;
/** Length of generated passwords (the first admin, resets). */
export const GENERATED_LENGTH = 20;

/** Thrown when too many scrypt runs are queued already. */
export class KdfBusyError extends Error {
  override name = 'KdfBusyError';
}

class KdfLimiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  /** scrypt runs started since the process began (tests check that refusals cost none). */
  runs = 0;
  /** The most that ever ran at once. */
  peak = 0;
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= KDF_CONCURRENCY) {
      if (this.queue.length >= KDF_MAX_QUEUE) throw new KdfBusyError('too many password checks queued');
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.active++;
    this.runs++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export const kdf = new KdfLimiter();

export function encodeHash(h: SecretHash): string {
  return `scrypt$${h.params.N}$${h.params.r}$${h.params.p}$${h.salt}$${h.hash}`;
}

/** The stored string as salt, hash and params; undefined for anything else (e.g. an unusable hash). */
export function decodeHash(s: string): SecretHash | undefined {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(s);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hash = m[5] ?? '';
  const keyLen = Buffer.from(hash, 'base64').length;
  const params: ScryptParams = { algo: 'scrypt', N, r, p, keyLen };
  // A tampered row must not make the server spend minutes or gigabytes on one check.
  if (N < 2 ** 10 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16)
    return undefined;
  if (keyLen < 16 || keyLen > 64) return undefined;
  return { salt: m[4] ?? '', hash, params };
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  return encodeHash(await kdf.run(() => hashSecret(password, params)));
}

/** Random bytes no password derives, checked against when the login is unknown so both cost the same. */
const DECOY: SecretHash = {
  salt: randomBytes(16).toString('base64'),
  hash: randomBytes(DEFAULT_SCRYPT_PARAMS.keyLen).toString('base64'),
  params: DEFAULT_SCRYPT_PARAMS,
};

/**
 * Whether the password matches the stored hash. `stored` undefined (unknown login) still runs
 * scrypt against a dummy hash, so the answer takes as long as for a wrong password.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const real = stored === undefined ? undefined : decodeHash(stored);
  const ok = await kdf.run(() => verifySecret(password, real ?? DECOY));
  return ok && real !== undefined;
}

export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_is_login';

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, login: string): PasswordProblem | undefined {
  if ([...password].length < PASSWORD_MIN) return 'password_too_short';
  if (password.length > PASSWORD_MAX) return 'password_too_long';
  if (password.trim().toLowerCase() === login.toLowerCase()) return 'password_is_login';
  return undefined;
}

// No 0/O, 1/l/I: a generated password is read off a terminal and typed on a phone.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of {@link GENERATED_LENGTH} characters (~115 bits). */
export function generatePassword(): string {
  let s = '';
  for (let i = 0; i < GENERATED_LENGTH; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}
