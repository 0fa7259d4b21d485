import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountError,
  CredentialsFileError,
  provisionAccounts,
  readCredentialsFile,
  rotateAccount,
  type CredentialsFileProblem,
} from '@yizhan/broker/credentials';
import { DEFAULT_SCRYPT_PARAMS, verifySecret } from '@yizhan/common/scrypt';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(async () => cleanup());

describe('provisionAccounts', () => {
  it('creates only missing accounts, returns their secrets once, and stores hashes (never secrets) in a 0600 file', async () => {
    const file = join(dir, 'store', 'credentials.json');
    const first = await provisionAccounts(file, [
      { username: 'st-001', role: 'station' },
      { username: 'st-002', role: 'station' },
      { username: 'server', role: 'server' },
    ]);
    expect([...first.keys()].sort()).toEqual(['server', 'st-001', 'st-002']);
    for (const s of first.values()) expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url

    const again = await provisionAccounts(file, [
      { username: 'st-001', role: 'station' },
      { username: 'st-003', role: 'station' },
    ]);
    expect([...again.keys()]).toEqual(['st-003']);

    const text = await readFile(file, 'utf8');
    for (const s of [...first.values(), ...again.values()]) expect(text).not.toContain(s);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'store'))).mode & 0o777).toBe(0o700);
    expect((await readdir(join(dir, 'store'))).sort()).toEqual(['credentials.json']); // no temp or lock files left

    const { data } = await readCredentialsFile(file);
    expect(data.accounts.map((a) => [a.username, a.role])).toEqual([
      ['st-001', 'station'],
      ['st-002', 'station'],
      ['server', 'server'],
      ['st-003', 'station'],
    ]);
    const st1 = data.accounts[0];
    if (!st1) throw new Error('no account');
    expect(st1.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(Buffer.from(st1.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(st1.hash, 'base64')).toHaveLength(32);
    expect(await verifySecret(first.get('st-001') ?? '', st1)).toBe(true);
    expect(await verifySecret(first.get('st-002') ?? '', st1)).toBe(false);
    expect(await verifySecret(Buffer.from(first.get('st-001') ?? ''), st1)).toBe(true);
  });

  it('serialises concurrent writers so no account is lost', async () => {
    const file = join(dir, 'concurrent.json');
    const cheap = { params: { ...DEFAULT_SCRYPT_PARAMS, N: 2 ** 10 } };
    const batches = [0, 1, 2, 3].map((b) =>
      [1, 2, 3].map((i) => ({ username: `st-${b}0${i}`, role: 'station' as const })),
    );
    const results = await Promise.all(batches.map((accounts) => provisionAccounts(file, accounts, cheap)));
    expect(results.reduce((n, m) => n + m.size, 0)).toBe(12);
    expect((await readCredentialsFile(file)).data.accounts).toHaveLength(12);
  });

  it.each([
    [[{ username: 'ST-001', role: 'station' as const }], 'invalid_username'],
    [[{ username: 'st_001', role: 'station' as const }], 'invalid_username'],
    [[{ username: 'x', role: 'server' as const }], 'invalid_username'],
    [[{ username: 'st-009', role: 'root' as 'server' }], 'invalid_role'],
    [
      [
        { username: 'st-001', role: 'station' as const },
        { username: 'st-001', role: 'operator' as const },
      ],
      'role_conflict',
    ],
  ])('refuses %j with %s', async (accounts, code) => {
    const file = join(dir, 'refused.json');
    const err = await provisionAccounts(file, accounts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountError);
    expect((err as AccountError).code).toBe(code);
  });

  it('rotation replaces the hash: the old secret no longer verifies, the new one does', async () => {
    const file = join(dir, 'rotate.json');
    const s1 = (await provisionAccounts(file, [{ username: 'st-010', role: 'station' }])).get('st-010') ?? '';
    const s2 = await rotateAccount(file, 'st-010');
    expect(s2).not.toBe(s1);
    const acc = (await readCredentialsFile(file)).data.accounts[0];
    if (!acc) throw new Error('no account');
    expect(acc.rotatedAt).toMatch(/^\d{4}-/);
    expect(await verifySecret(s1, acc)).toBe(false);
    expect(await verifySecret(s2, acc)).toBe(true);
  });
});

describe('broken credentials files', () => {
  const good = {
    username: 'st-001',
    role: 'station',
    salt: Buffer.alloc(16, 1).toString('base64'),
    hash: Buffer.alloc(32, 2).toString('base64'),
    params: DEFAULT_SCRYPT_PARAMS,
    createdAt: '2025-01-01T00:00:00.000Z',
  };
  const doc = (accounts: unknown[]): string => JSON.stringify({ version: 1, accounts }, null, 2);
  const fixtures: [name: string, text: string, problem: CredentialsFileProblem, detail: RegExp][] = [
    ['truncated JSON', doc([good]).slice(0, 60), 'not_json', /not valid JSON at line \d+, column \d+/],
    ['trailing comma', '{\n  "version": 1,\n  "accounts": [],\n}', 'not_json', /line 4/],
    ['wrong version', JSON.stringify({ version: 2, accounts: [] }), 'schema', /\/version/],
    ['unknown role', doc([{ ...good, role: 'admin' }]), 'schema', /\/accounts\/0\/role/],
    ['secret stored in clear', doc([{ ...good, secret: 'abc' }]), 'schema', /\/accounts\/0/],
    ['duplicate username', doc([good, good]), 'invalid', /accounts\/1 \(st-001\): username appears twice/],
    ['station with a non-station name', doc([{ ...good, username: 'ops.team' }]), 'invalid', /station id/],
    [
      'short salt',
      doc([{ ...good, salt: Buffer.alloc(8).toString('base64') }]),
      'invalid',
      /salt must be at least 16 bytes/,
    ],
    [
      'hash of the wrong length',
      doc([{ ...good, hash: Buffer.alloc(31).toString('base64') }]),
      'invalid',
      /hash must be params.keyLen \(32\) bytes/,
    ],
    [
      'N not a power of two',
      doc([{ ...good, params: { ...good.params, N: 30000 } }]),
      'invalid',
      /params.N must be a power of two/,
    ],
  ];
  it.each(fixtures)(
    '%s: refused with a message naming the file and the problem',
    async (_name, text, problem, detail) => {
      const file = join(dir, 'broken.json');
      await writeFile(file, text, { mode: 0o600 });
      const err = await readCredentialsFile(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsFileError);
      const e = err as CredentialsFileError;
      expect(e.problem).toBe(problem);
      expect(e.detail).toMatch(detail);
      expect(e.message).toContain(file);
      // provisioning never overwrites a broken file
      await expect(provisionAccounts(file, [{ username: 'st-047', role: 'station' }])).rejects.toBeInstanceOf(
        CredentialsFileError,
      );
      expect(await readFile(file, 'utf8')).toBe(text);
    },
  );

  it('a missing file is reported as missing', async () => {
    const err = await readCredentialsFile(join(dir, 'nope.json')).catch((e: unknown) => e);
    expect((err as CredentialsFileError).problem).toBe('missing');
  });
});
