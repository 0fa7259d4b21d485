/**
 * Broker accounts: secrets, their scrypt hashes, and the edits made by `npm start` and the CLI.
 *
 * A secret is 24 random bytes in base64url (32 characters). It is shown once, when the account is
 * created or rotated, and only its salted scrypt hash is stored (see credentials-file.ts for the
 * file format). Verification derives the key again and compares with `timingSafeEqual`.
 */
import { randomBytes } from 'node:crypto';
import { hashSecret, type ScryptParams } from '@yizhan/common/scrypt';
import {
  isValidUsername,
  readOrEmpty,
  withStoreLock,
  writeCredentialsFile,
  ROLES,
  type Account,
  type Role,
} from './credentials-file.js';

export * from './credentials-file.js';

export interface AccountRequest {
  username: string;
  role: Role;
}
export interface EditOptions {
  /** scrypt cost for new hashes; defaults to DEFAULT_SCRYPT_PARAMS. Old hashes keep their own. */
  params?: ScryptParams;
  /** rotate/revoke: refuse (role_conflict) unless the account has this role. */
  expectRole?: Role;
}
/** Account as listed, without salt or hash. */
export interface AccountInfo {
  username: string;
  role: Role;
  createdAt: string;
  rotatedAt?: string;
}

/** Random bytes in a new secret (base64url: 32 characters). */
export const SECRET_BYTES = 24;
/** New hashes are computed this many at a time (the machine has 2 cores). */
const HASH_CONCURRENCY = 2;

/** Why an account edit was refused. None of these is helped by retrying unchanged. */
export type AccountErrorCode = 'exists' | 'not_found' | 'invalid_username' | 'invalid_role' | 'role_conflict';
export class AccountError extends Error {
  override name = 'AccountError';
  readonly retryable = false;
  constructor(
    readonly code: AccountErrorCode,
    readonly username: string,
    message: string,
  ) {
    super(message);
  }
}

/** A new random secret: 24 bytes, base64url. */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

function checkRequest(req: AccountRequest): void {
  if (!(ROLES as readonly string[]).includes(req.role))
    throw new AccountError('invalid_role', req.username, `role must be one of ${ROLES.join(', ')}, got "${String(req.role)}"`);
  if (!isValidUsername(req.username, req.role))
    throw new AccountError(
      'invalid_username',
      req.username,
      req.role === 'station'
        ? `"${req.username}" is not a station id (lower-case letter first, then a-z 0-9 -, 3..32 characters)`
        : `"${req.username}" is not a valid account name (lower-case letter first, then a-z 0-9 _ . -, 3..64 characters)`,
    );
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Create the accounts that do not exist yet and return their new secrets (username → secret).
 * Existing accounts are left alone (their secret is not known and not changed); an existing
 * account with a different role is an error. A broken file is never overwritten.
 */
export async function provisionAccounts(file: string, accounts: readonly AccountRequest[], opts: EditOptions = {}): Promise<Map<string, string>> {
  for (const a of accounts) checkRequest(a);
  return withStoreLock(file, async () => {
    const data = await readOrEmpty(file);
    const existing = new Map(data.accounts.map((a) => [a.username, a]));
    const wanted = new Map<string, AccountRequest>();
    for (const a of accounts) {
      const have = existing.get(a.username) ?? wanted.get(a.username);
      if (have && have.role !== a.role)
        throw new AccountError('role_conflict', a.username, `account "${a.username}" exists with role ${have.role}, not ${a.role}`);
      if (!have) wanted.set(a.username, a);
    }
    const secrets = new Map<string, string>();
    if (wanted.size === 0) return secrets;
    const createdAt = new Date().toISOString();
    const fresh = await mapLimit([...wanted.values()], HASH_CONCURRENCY, async (a) => {
      const secret = generateSecret();
      secrets.set(a.username, secret);
      return { username: a.username, role: a.role, ...(await hashSecret(secret, opts.params)), createdAt } satisfies Account;
    });
    data.accounts.push(...fresh);
    await writeCredentialsFile(file, data);
    return secrets;
  });
}

/** Add one account; refuses when it exists already (use rotateAccount). Returns the secret. */
export async function addAccount(file: string, req: AccountRequest, opts: EditOptions = {}): Promise<string> {
  checkRequest(req);
  return withStoreLock(file, async () => {
    const data = await readOrEmpty(file);
    const have = data.accounts.find((a) => a.username === req.username);
    if (have) throw new AccountError('exists', req.username, `account "${req.username}" exists already (role ${have.role})`);
    const secret = generateSecret();
    data.accounts.push({ username: req.username, role: req.role, ...(await hashSecret(secret, opts.params)), createdAt: new Date().toISOString() });
    await writeCredentialsFile(file, data);
    return secret;
  });
}

/** Replace an account's secret. The old one stops working as soon as the broker reloads the file. */
export async function rotateAccount(file: string, username: string, opts: EditOptions = {}): Promise<string> {
  return withStoreLock(file, async () => {
    const data = await readOrEmpty(file);
    const i = data.accounts.findIndex((a) => a.username === username);
    const have = data.accounts[i];
    if (!have) throw new AccountError('not_found', username, `no account "${username}"`);
    checkRole(have, opts.expectRole);
    const secret = generateSecret();
    data.accounts[i] = { ...have, ...(await hashSecret(secret, opts.params)), rotatedAt: new Date().toISOString() };
    await writeCredentialsFile(file, data);
    return secret;
  });
}

/** Remove an account. Its connections are closed when the broker reloads the file. */
export async function revokeAccount(file: string, username: string, opts: Pick<EditOptions, 'expectRole'> = {}): Promise<AccountInfo> {
  return withStoreLock(file, async () => {
    const data = await readOrEmpty(file);
    const have = data.accounts.find((a) => a.username === username);
    if (!have) throw new AccountError('not_found', username, `no account "${username}"`);
    checkRole(have, opts.expectRole);
    data.accounts = data.accounts.filter((a) => a !== have);
    await writeCredentialsFile(file, data);
    return toInfo(have);
  });
}

function checkRole(a: Account, expected: Role | undefined): void {
  if (expected !== undefined && a.role !== expected)
    throw new AccountError('role_conflict', a.username, `account "${a.username}" has role ${a.role}, not ${expected}`);
}

function toInfo(a: Account): AccountInfo {
  return { username: a.username, role: a.role, createdAt: a.createdAt, ...(a.rotatedAt ? { rotatedAt: a.rotatedAt } : {}) };
}

/** Accounts in the file (all, or one role), sorted by username. A missing file lists nothing. */
export async function listAccounts(file: string, role?: Role): Promise<AccountInfo[]> {
  const data = await readOrEmpty(file);
  return data.accounts
    .filter((a) => role === undefined || a.role === role)
    .map(toInfo)
    .sort((a, b) => a.username.localeCompare(b.username));
}

