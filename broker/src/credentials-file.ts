/**
 * The credential store file: one JSON document holding every MQTT account of the broker.
 *
 * ```json
 * {
 *   "version": 1,
 *   "accounts": [
 *     { "username": "st-001", "role": "station",
 *       "salt": "<base64, 16 bytes>", "hash": "<base64, keyLen bytes>",
 *       "params": { "algo": "scrypt", "N": 32768, "r": 8, "p": 1, "keyLen": 32 },
 *       "createdAt": "2025-01-01T00:00:00.000Z", "rotatedAt": "…optional…" }
 *   ]
 * }
 * ```
 *
 * The file never holds a secret, only its scrypt hash. It is written atomically (temp file in the
 * same folder, fsync, rename) with mode 0600, and edits from several processes (CLI, `npm start`)
 * are serialised by a lock file next to it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, chmod } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { compile, isStationId, STATION_ID_PATTERN } from '@yizhan/protocol';
import { ScryptParams } from '@yizhan/common/scrypt';

// ---------------------------------------------------------------------------------------------
// Contract
// ---------------------------------------------------------------------------------------------

export const ROLES = ['station', 'server', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Usernames of server and operator accounts. Station accounts must also match STATION_ID_PATTERN. */
export const USERNAME_PATTERN = '^[a-z][a-z0-9_.-]{2,63}$';
const USERNAME_RE = new RegExp(USERNAME_PATTERN);
const BASE64 = '^[A-Za-z0-9+/]+={0,2}$';
const ISO_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$';

export const Account = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    salt: Type.String({ pattern: BASE64, description: 'Random salt, base64, at least 16 bytes' }),
    hash: Type.String({ pattern: BASE64, description: 'scrypt(secret, salt), base64, keyLen bytes' }),
    params: ScryptParams,
    createdAt: Type.String({ pattern: ISO_TIME, description: 'ISO 8601 UTC time the account was added' }),
    rotatedAt: Type.Optional(Type.String({ pattern: ISO_TIME, description: 'ISO 8601 UTC time the secret was last replaced' })),
  },
  { additionalProperties: false, $id: 'CredentialAccount' },
);
export type Account = Static<typeof Account>;

export const CREDENTIALS_FILE_VERSION = 1;
/** Upper bound on accounts in one file; the file is read whole into memory. */
export const MAX_ACCOUNTS = 100_000;

export const CredentialsFile = Type.Object(
  {
    version: Type.Literal(CREDENTIALS_FILE_VERSION),
    accounts: Type.Array(Account, { maxItems: MAX_ACCOUNTS }),
  },
  { additionalProperties: false, $id: 'CredentialsFile' },
);
export type CredentialsFile = Static<typeof CredentialsFile>;
const credentialsFileCheck = compile(CredentialsFile);

/** Largest credentials file read, in bytes (100 000 accounts at ~300 bytes each fit). */
export const MAX_CREDENTIALS_FILE_BYTES = 64 * 1024 * 1024;

/** Default location: `<YIZHAN_DATA_DIR or ./.data>/credentials.json` (outside git, see .gitignore). */
export function defaultCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.YIZHAN_DATA_DIR || '.data', 'credentials.json');
}

export function isValidUsername(username: string, role: Role): boolean {
  return role === 'station' ? isStationId(username) : USERNAME_RE.test(username);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type CredentialsFileProblem = 'missing' | 'unreadable' | 'too_large' | 'not_json' | 'schema' | 'invalid' | 'locked' | 'write_failed';

/**
 * The credentials file cannot be used. `retryable` says whether trying again unchanged can help
 * (a held lock, a transient I/O error); a broken file needs a person to fix it.
 */
export class CredentialsFileError extends Error {
  override name = 'CredentialsFileError';
  constructor(
    readonly file: string,
    readonly problem: CredentialsFileProblem,
    readonly detail: string,
    readonly retryable = false,
  ) {
    super(`credentials file ${file}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parse / read / write
// ---------------------------------------------------------------------------------------------

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}

/** Parse and check the text of a credentials file. Throws CredentialsFileError naming the problem. */
export function parseCredentialsFile(text: string, file: string): CredentialsFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? Number(pos[1]) : /end of JSON input/.test(msg) ? text.length : undefined;
    const where = at === undefined ? '' : ` at ${lineCol(text, at)}`;
    throw new CredentialsFileError(file, 'not_json', `not valid JSON${where}: ${msg}`);
  }
  if (!credentialsFileCheck.check(value))
    throw new CredentialsFileError(file, 'schema', credentialsFileCheck.errors(value).join('; '));
  const seen = new Set<string>();
  value.accounts.forEach((a, i) => {
    const where = `accounts/${i} (${a.username})`;
    if (seen.has(a.username)) throw new CredentialsFileError(file, 'invalid', `${where}: username appears twice`);
    seen.add(a.username);
    if (!isValidUsername(a.username, a.role))
      throw new CredentialsFileError(file, 'invalid', `${where}: a station account's username must be a station id (${STATION_ID_PATTERN})`);
    if ((a.params.N & (a.params.N - 1)) !== 0)
      throw new CredentialsFileError(file, 'invalid', `${where}: params.N must be a power of two, got ${a.params.N}`);
    if (Buffer.from(a.salt, 'base64').length < 16)
      throw new CredentialsFileError(file, 'invalid', `${where}: salt must be at least 16 bytes`);
    if (Buffer.from(a.hash, 'base64').length !== a.params.keyLen)
      throw new CredentialsFileError(file, 'invalid', `${where}: hash must be params.keyLen (${a.params.keyLen}) bytes`);
  });
  return value;
}

export interface LoadedCredentials {
  data: CredentialsFile;
  /** File mode bits (e.g. 0o600). */
  mode: number;
}

/** Read and check a credentials file. Throws CredentialsFileError (problem 'missing' when absent). */
export async function readCredentialsFile(file: string): Promise<LoadedCredentials> {
  let text: string;
  let mode: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new CredentialsFileError(file, 'unreadable', 'is not a regular file');
    if (st.size > MAX_CREDENTIALS_FILE_BYTES)
      throw new CredentialsFileError(file, 'too_large', `is ${st.size} bytes, more than the ${MAX_CREDENTIALS_FILE_BYTES} allowed`);
    mode = st.mode & 0o777;
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof CredentialsFileError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CredentialsFileError(file, 'missing', 'does not exist');
    throw new CredentialsFileError(file, 'unreadable', `cannot be read: ${err.message}`, err.code === 'EMFILE' || err.code === 'EAGAIN');
  }
  return { data: parseCredentialsFile(text, file), mode };
}

/** Read the file, or an empty store when it does not exist yet. A broken file still throws. */
export async function readOrEmpty(file: string): Promise<CredentialsFile> {
  try {
    return (await readCredentialsFile(file)).data;
  } catch (e) {
    if (e instanceof CredentialsFileError && e.problem === 'missing') return { version: CREDENTIALS_FILE_VERSION, accounts: [] };
    throw e;
  }
}

/**
 * Write the store atomically: a temp file (mode 0600) in the same folder, fsync, rename over the
 * target. Readers see either the old or the new file, never half of one. The folder is created
 * with mode 0700 when missing.
 */
export async function writeCredentialsFile(file: string, data: CredentialsFile): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(data, null, 2) + '\n', 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600); // the umask may only remove bits, but be explicit
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CredentialsFileError(file, 'write_failed', `cannot be written: ${(e as Error).message}`, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------------------------

/** A lock file older than this is from a crashed writer and is removed, in milliseconds. */
export const DEFAULT_LOCK_STALE_MS = 30_000;
/** How long to wait for another writer to finish, in milliseconds. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/**
 * Run `fn` while holding `<file>.lock` (created with O_EXCL), so that a CLI edit and `npm start`
 * provisioning cannot lose each other's accounts.
 */
export async function withStoreLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + DEFAULT_LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > DEFAULT_LOCK_STALE_MS) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new CredentialsFileError(file, 'locked', `another process holds ${lock}; try again, or remove it if no writer is running`, true);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
