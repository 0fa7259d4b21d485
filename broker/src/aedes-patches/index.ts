/**
 * Every change yizhan makes to the internals of aedes, aedes-persistence and mqemitter (a method
 * replaced or wrapped, a private field read), applied by one function, in one order, against the
 * one aedes version they were written for. One file per patch, each saying which aedes code it
 * changes and why:
 * - outgoing-index.ts: the in-memory outgoing queues indexed (O(1) per delivery), unused packet ids;
 * - subscriptions.ts: one addSubscriptions per SUBSCRIBE with Redis (aedes 1.2 bug);
 * - broker/src/disk-state.ts: every change of the in-memory store journalled to disk;
 * - emit-order.ts: deliveries in publish order although storing takes varying times;
 * - ack-gate.ts: a QoS 1 PUBACK leaves once its message is stored;
 * - queue-bound.ts: each persistent session's queue bounded, dropped messages not delivered;
 * - dedupe.ts: a connection's duplicate filter by message identity, not by counter order;
 * - connack-first.ts: no PUBLISH reaches a connection before its CONNACK;
 * - cluster-wills.ts: with Redis, the wills of dead nodes published once, never for a client
 *   connected again;
 * - write-batching.ts: a connection's writes of one loop turn in one writev;
 * - parser.ts: the per-connection packet parser watched (installed by broker/src/guard.ts on each
 *   new client, since the parser exists only once aedes.handle created the client).
 */
import type { Aedes } from 'aedes';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { openDiskState, type DiskState } from '../disk-state.js';
import { holdAcksUntilStored } from './ack-gate.js';
import { DEFAULT_STALL_MS, emitInCounterOrder } from './emit-order.js';
import { indexOutgoing } from './outgoing-index.js';
import type { RedisClient } from '../persistence.js';
import { sweepWillsOfDeadNodes } from './cluster-wills.js';
import { connackFirst } from './connack-first.js';
import { dedupeByIdentity } from './dedupe.js';
import { boundQueues, carryDropMarks, skipDroppedDeliveries, type QueueBound, type QueueLengthSource } from './queue-bound.js';
import { coalesceAddSubscriptions } from './subscriptions.js';
import { batchWritesPerTurn } from './write-batching.js';

/** The aedes release (major.minor) these patches were written against and tested with. */
export const PINNED_AEDES = '1.2';

/** The installed aedes is not the release the patches were written for. */
export class AedesVersionError extends Error {
  override name = 'AedesVersionError';
  constructor(
    message: string,
    /** The installed version, when it could be read. */
    readonly installed?: string,
  ) {
    super(message);
  }
}

/** Version of the aedes this process loads (its package.json, found from its entry point). */
export function installedAedesVersion(): string {
  const require = createRequire(import.meta.url);
  // aedes' exports do not include package.json: walk up from its entry point
  for (let dir = dirname(require.resolve('aedes')); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aedes' && typeof pkg.version === 'string') return pkg.version;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new AedesVersionError('cannot find the package.json of the installed aedes');
}

/** Throws AedesVersionError unless `version` is a PINNED_AEDES release (patch releases accepted). */
export function checkAedesVersion(version: string): void {
  const [major, minor] = version.split('.');
  if (`${major}.${minor}` !== PINNED_AEDES)
    throw new AedesVersionError(
      `aedes ${version} is installed, but the broker patches aedes internals written for aedes ${PINNED_AEDES}.x (broker/src/aedes-patches/); ` +
        `install aedes ${PINNED_AEDES} (npm ci) or review every patch against the new release / 已安装 aedes ${version}，代理只适配 aedes ${PINNED_AEDES}.x`,
    );
}

export interface PatchOptions {
  log: Logger;
  registry: Registry;
  /** Redis persistence and emitter in use (not the in-memory store). */
  redis: boolean;
  /** With Redis: the broker's own connection and aedes' heartbeat interval (the will sweep runs on it). */
  cluster?: { redis: RedisClient; heartbeatMs: number; onWillPublished?: (clientId: string) => void };
  /** Journal the in-memory store in this folder (disk-state.ts); not with Redis. */
  stateDir?: string;
  stateCompactBytes?: number;
  /** QoS 1/2 messages queued per persistent session at most. */
  maxQueuedPerClient: number;
  /** A message was dropped for this client (its queue was full). */
  onQueueDrop: (clientId: string) => void;
  /** Tests: pretend this aedes version is installed. */
  aedesVersion?: string;
}

export interface Patched {
  /** The state journal, when kept on disk. */
  disk: DiskState | undefined;
  queues: QueueBound;
  /** Stop the patches' timers (queue length refresh, will sweep). */
  stop(): void;
}

/**
 * Apply every patch to a broker just created (no client yet). Throws AedesVersionError before
 * changing anything on another aedes release, and DiskStateError when the state folder cannot be
 * used; the caller closes the broker then. The order matters:
 * 1. outgoing-index replaces the in-memory outgoing methods, so what wraps them later (the
 *    journal, the bound) wraps the index; it also takes preConnect before any client arrives;
 * 2. the journal restores into the indexed store and wraps the store's methods: a message counts
 *    as stored once it is journalled;
 * 3. emit order wraps publish and mq.emit, then the ack gate wraps publish around it, so the
 *    PUBACK waits for the whole publish, ordering included;
 * 4. the bound wraps the outer persistence last: a dropped message is neither indexed nor
 *    journalled, and restored queue lengths seed it;
 * 5. write batching wraps each connection's write as aedes registers the client, before the ack
 *    gate wraps it again on the first QoS 1 PUBLISH: released PUBACKs are batched too.
 */
export async function patchAedes(aedes: Aedes, opts: PatchOptions): Promise<Patched> {
  checkAedesVersion(opts.aedesVersion ?? installedAedesVersion());
  const { log } = opts;
  const withPersistence = aedes as Aedes & { persistence: { asyncPersistence?: unknown } };
  const index = opts.redis ? undefined : indexOutgoing(withPersistence);
  if (opts.redis) coalesceAddSubscriptions(aedes);
  else if (!index) log.warn('aedes persistence is not the expected in-memory shape; outgoing queues stay unindexed (O(n) per delivery)');
  let disk: DiskState | undefined;
  if (opts.stateDir && !opts.redis) {
    if (!index) throw new Error('the in-memory store is not the expected shape; broker state cannot be kept on disk');
    const inner = withPersistence.persistence.asyncPersistence;
    disk = await openDiskState(inner, index, { dir: opts.stateDir, log, registry: opts.registry, compactBytes: opts.stateCompactBytes });
  }
  emitInCounterOrder(aedes, {
    onStall: ({ brokerCounter, held }) =>
      log.error({ brokerCounter, held, stallMs: DEFAULT_STALL_MS }, 'a message has not finished storing; the messages held behind it are delivered without waiting for it'),
  });
  // in memory only, a message is stored as soon as it is queued: nothing to wait for
  if (disk || opts.redis) holdAcksUntilStored(aedes);
  try {
    const cluster = opts.cluster;
    const source: QueueLengthSource = cluster
      ? { kind: 'redis', lengthOf: (clientId) => cluster.redis.llen(`outgoing:${encodeURIComponent(clientId)}`) }
      : { kind: 'local', initial: disk?.restoredQueues };
    const queues = boundQueues(withPersistence.persistence, opts.maxQueuedPerClient, opts.onQueueDrop, source);
    skipDroppedDeliveries(aedes, queues);
    if (cluster) carryDropMarks(aedes, queues);
    dedupeByIdentity(aedes);
    connackFirst(aedes);
    const wills = cluster ? sweepWillsOfDeadNodes(aedes, { redis: cluster.redis, heartbeatMs: cluster.heartbeatMs, log, onPublished: cluster.onWillPublished }) : undefined;
    batchWritesPerTurn(aedes);
    return {
      disk,
      queues,
      stop: () => {
        queues.stop();
        wills?.stop();
      },
    };
  } catch (err) {
    await disk?.close().catch(() => undefined);
    throw err;
  }
}
