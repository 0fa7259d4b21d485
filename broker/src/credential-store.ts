/**
 * The broker's live view of the credentials file: loaded at start, reloaded when the file changes
 * (fs.watch on its folder for speed, an mtime poll as the fallback), verification with a short
 * in-memory cache and a bounded number of concurrent scrypt runs.
 *
 * A reload that fails (broken JSON, bad schema, file deleted) keeps the previous accounts and logs
 * an error naming the file and the problem, once per distinct broken version of the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_SCRYPT_PARAMS, verifySecret } from '@yizhan/common/scrypt';
import { CredentialsFileError, readCredentialsFile, type Account, type Role } from './credentials.js';

export interface CredentialStoreOptions {
  file: string;
  logger: Logger;
  /** See DEFAULT_POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
  /** See DEFAULT_AUTH_CACHE_TTL_MS. */
  cacheTtlMs?: number;
  /** See DEFAULT_AUTH_CACHE_MAX_ENTRIES. */
  cacheMaxEntries?: number;
  /** See DEFAULT_MAX_CONCURRENT_VERIFICATIONS. */
  maxConcurrentVerifications?: number;
  /** See DEFAULT_MAX_QUEUED_VERIFICATIONS. */
  maxQueuedVerifications?: number;
}

export type VerifyFailure = 'unknown_user' | 'bad_password' | 'overloaded';
export type VerifyResult = { ok: true; account: Account; cached: boolean } | { ok: false; reason: VerifyFailure };

export interface ReloadEvent {
  accounts: ReadonlyMap<string, Account>;
  previous: ReadonlyMap<string, Account>;
}

export interface CredentialStoreStats {
  file: string;
  accountsByRole: Record<Role, number>;
  lastReloadAt: string | undefined;
  /** Problem with the file on disk right now (the accounts in use are then the previous ones). */
  lastError: string | undefined;
  cacheEntries: number;
  cacheHits: number;
  cacheMisses: number;
  /** Verifications refused because too many were running or queued. */
  overloaded: number;
}

/** How often the file's mtime/size/inode are checked, in milliseconds. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** How long a successful verification is remembered, in milliseconds. */
export const DEFAULT_AUTH_CACHE_TTL_MS = 10 * 60_000;
/** Remembered verifications at most; the oldest is forgotten first. */
export const DEFAULT_AUTH_CACHE_MAX_ENTRIES = 10_000;
/** scrypt runs at once (each ~32 MiB, one libuv thread). */
export const DEFAULT_MAX_CONCURRENT_VERIFICATIONS = 2;
/** Verifications waiting for a slot; beyond this a CONNECT is refused as "server unavailable". */
export const DEFAULT_MAX_QUEUED_VERIFICATIONS = 500;

/** A file changed less than this long ago that does not parse may still be being written, in ms. */
const SETTLE_MS = 300;

const OVERLOADED = Symbol('overloaded');

/** Runs at most `max` tasks at once with a bounded queue. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(
    private readonly max: number,
    private readonly maxQueue: number,
  ) {}
  async run<T>(fn: () => Promise<T>): Promise<T | typeof OVERLOADED> {
    if (this.active >= this.max) {
      if (this.queue.length >= this.maxQueue) return OVERLOADED;
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

type StoreEvents = { reload: [ReloadEvent]; reloadError: [CredentialsFileError] };

export class CredentialStore extends EventEmitter<StoreEvents> {
  readonly file: string;
  private readonly log: Logger;
  private accounts = new Map<string, Account>();
  private signature: string | undefined;
  private lastReloadAt: string | undefined;
  private lastError: string | undefined;
  private readonly cache = new Map<string, { hash: string; expires: number }>();
  private readonly inflight = new Map<string, Promise<boolean | typeof OVERLOADED>>();
  private readonly limiter: Limiter;
  private readonly cacheTtlMs: number;
  private readonly cacheMax: number;
  private readonly pollIntervalMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private checking: Promise<void> = Promise.resolve();
  private counters = { hits: 0, misses: 0, overloaded: 0 };
  /** Same cost as a real check, for unknown usernames, so that timing does not reveal which exist. */
  private readonly decoy = {
    salt: randomBytes(16).toString('base64'),
    hash: randomBytes(DEFAULT_SCRYPT_PARAMS.keyLen).toString('base64'),
    params: DEFAULT_SCRYPT_PARAMS,
  };

  constructor(opts: CredentialStoreOptions) {
    super();
    this.file = opts.file;
    this.log = opts.logger;
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.cacheTtlMs = opts.cacheTtlMs ?? DEFAULT_AUTH_CACHE_TTL_MS;
    this.cacheMax = opts.cacheMaxEntries ?? DEFAULT_AUTH_CACHE_MAX_ENTRIES;
    this.limiter = new Limiter(
      opts.maxConcurrentVerifications ?? DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
      opts.maxQueuedVerifications ?? DEFAULT_MAX_QUEUED_VERIFICATIONS,
    );
  }

  /** First load. Throws CredentialsFileError when the file is missing or broken. */
  async load(): Promise<void> {
    const { sig } = await this.stat();
    const { data, mode } = await readCredentialsFile(this.file);
    this.apply(data.accounts, sig, mode);
  }

  /** Start watching the file for changes. */
  start(): void {
    this.pollTimer = setInterval(() => void this.check(), this.pollIntervalMs);
    this.pollTimer.unref();
    try {
      const name = basename(this.file);
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) void this.check();
      });
      this.watcher.on('error', (err) => {
        this.log.warn({ err, file: this.file }, 'watching the credentials folder failed; polling only');
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.log.warn({ err, file: this.file }, 'cannot watch the credentials folder; polling only');
    }
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Look at the file now and reload it when it changed. Resolves when done (never rejects). */
  check(): Promise<void> {
    this.checking = this.checking
      .then(() => this.checkOnce())
      .catch((err: unknown) => this.log.error({ err, file: this.file }, 'checking the credentials file failed'));
    return this.checking;
  }

  get(username: string): Account | undefined {
    return this.accounts.get(username);
  }

  /** Check a username and the MQTT password bytes. Never throws. */
  async verify(username: string, password: Buffer): Promise<VerifyResult> {
    const account = this.accounts.get(username);
    const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
    if (account) {
      const hit = this.cache.get(key);
      if (hit && hit.hash === account.hash && hit.expires > Date.now()) {
        this.counters.hits++;
        return { ok: true, account, cached: true };
      }
      if (hit) this.cache.delete(key);
    }
    this.counters.misses++;
    // In-flight checks are shared only when made against the same hash, so a check started
    // before a rotation cannot answer for a connection that arrives after it.
    const flightKey = `${key}:${account?.hash ?? '-'}`;
    let pending = this.inflight.get(flightKey);
    if (!pending) {
      pending = this.limiter
        .run(() => verifySecret(password, account ?? this.decoy))
        .finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, pending);
    }
    let good: boolean | typeof OVERLOADED;
    try {
      good = await pending;
    } catch (err) {
      this.log.error({ err, username }, 'scrypt failed while checking a password');
      return { ok: false, reason: 'bad_password' };
    }
    if (good === OVERLOADED) {
      this.counters.overloaded++;
      return { ok: false, reason: 'overloaded' };
    }
    if (!account) return { ok: false, reason: 'unknown_user' };
    if (!good) return { ok: false, reason: 'bad_password' };
    // Only remember the result if the account was not replaced while scrypt ran.
    if (this.accounts.get(username)?.hash === account.hash) this.remember(key, account.hash);
    return { ok: true, account, cached: false };
  }

  stats(): CredentialStoreStats {
    const accountsByRole: Record<Role, number> = { station: 0, server: 0, operator: 0 };
    for (const a of this.accounts.values()) accountsByRole[a.role]++;
    return {
      file: this.file,
      accountsByRole,
      lastReloadAt: this.lastReloadAt,
      lastError: this.lastError,
      cacheEntries: this.cache.size,
      cacheHits: this.counters.hits,
      cacheMisses: this.counters.misses,
      overloaded: this.counters.overloaded,
    };
  }

  private remember(key: string, hash: string): void {
    if (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { hash, expires: Date.now() + this.cacheTtlMs });
  }

  private async stat(): Promise<{ sig: string; ageMs: number }> {
    try {
      const st = await stat(this.file);
      return { sig: `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, ageMs: Date.now() - st.mtimeMs };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { sig: code === 'ENOENT' ? 'missing' : `error:${code ?? 'unknown'}`, ageMs: Infinity };
    }
  }

  private async checkOnce(): Promise<void> {
    const { sig, ageMs } = await this.stat();
    if (sig === this.signature) return;
    try {
      const { data, mode } = await readCredentialsFile(this.file);
      this.apply(data.accounts, sig, mode);
    } catch (e) {
      const err =
        e instanceof CredentialsFileError ? e : new CredentialsFileError(this.file, 'unreadable', (e as Error).message, true);
      if (ageMs < SETTLE_MS && (err.problem === 'not_json' || err.problem === 'schema' || err.problem === 'invalid')) {
        // Probably caught halfway through a non-atomic write (an editor, `cat >`): look again
        // once the file has been still for a moment before calling it broken.
        setTimeout(() => void this.check(), SETTLE_MS).unref();
        return;
      }
      this.signature = sig; // log a broken version once, not on every poll
      this.lastError = err.message;
      this.log.error(
        { file: this.file, problem: err.problem, detail: err.detail, accountsKept: this.accounts.size },
        `credentials file ${this.file} not reloaded, keeping the previous ${this.accounts.size} accounts: ${err.detail}`,
      );
      this.emit('reloadError', err);
    }
  }

  private apply(list: readonly Account[], sig: string, mode: number): void {
    const previous = this.accounts;
    this.accounts = new Map(list.map((a) => [a.username, a]));
    this.signature = sig;
    this.lastError = undefined;
    this.lastReloadAt = new Date().toISOString();
    this.cache.clear();
    if (mode & 0o077)
      this.log.warn(
        { file: this.file, mode: mode.toString(8) },
        `credentials file ${this.file} is readable by other users (mode ${mode.toString(8)}); run chmod 600`,
      );
    const byRole = this.stats().accountsByRole;
    this.log.info({ file: this.file, accounts: this.accounts.size, ...byRole }, 'credentials loaded');
    this.emit('reload', { accounts: this.accounts, previous });
  }
}
