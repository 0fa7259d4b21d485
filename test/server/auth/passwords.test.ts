/** Stored password hashes, the password rules, generated passwords and the KDF's concurrency bound. */
import { describe, expect, it } from 'vitest';
import {
  decodeHash,
  generatePassword,
  hashPassword,
  kdf,
  KDF_CONCURRENCY,
  passwordProblem,
  verifyPassword,
} from '../../../server/src/auth/passwords.js';

const CHEAP = { algo: 'scrypt', N: 2 ** 10, r: 8, p: 1, keyLen: 32 } as const;

describe('server passwords', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies only the password', async () => {
    const h = await hashPassword('a good password', CHEAP);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('a good password', h)).toBe(true);
    expect(await verifyPassword('a good passworD', h)).toBe(false);
    expect(await verifyPassword('a good password', undefined)).toBe(false);
    expect(await verifyPassword('a good password', 'unusable')).toBe(false);
  });

  it.each([
    ['a cost beyond 2^20', 'scrypt$1073741824$8$1$c2FsdA==$' + 'A'.repeat(44)],
    ['a cost that is no power of two', 'scrypt$1000$8$1$c2FsdA==$' + 'A'.repeat(44)],
    ['a key shorter than 16 bytes', 'scrypt$1024$8$1$c2FsdA==$AAAA'],
    ['another algorithm', 'argon2$1024$8$1$c2FsdA==$' + 'A'.repeat(44)],
  ])('refuses a stored hash with %s (no minutes of work for a tampered row)', (_what, stored) => {
    expect(decodeHash(stored)).toBeUndefined();
  });

  it.each([
    ['short', 'wang.lei', 'password_too_short'],
    ['wang.lei.x1', 'wang.lei.x1', 'password_is_login'],
    ['x'.repeat(257), 'wang.lei', 'password_too_long'],
    ['十个汉字的密码就够长了', 'wang.lei', undefined],
    ['a good password', 'wang.lei', undefined],
  ])('%s for %s: %s', (pw, login, problem) => {
    expect(passwordProblem(pw, login)).toBe(problem);
  });

  it('generates 20 characters without look-alikes, different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
    expect(generatePassword()).not.toBe(a);
  });

  it(`runs at most ${KDF_CONCURRENCY} scrypt computations at once`, async () => {
    await Promise.all(Array.from({ length: 6 }, (_, i) => hashPassword(`password number ${i}`, CHEAP)));
    expect(kdf.peak).toBe(KDF_CONCURRENCY);
  });
});
