/**
 * Retained messages only where the protocol keeps state (docs/protocol/mqtt-v1.md §2): `status`,
 * `config/desired`, `config/reported`. A retained event stored by an older broker would be
 * replayed to every new subscriber: a server restart would see a long-cleared fault raised again.
 */
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import { allStationsFilter } from '@yizhan/protocol';
import { NON_RETAINED_LEAVES, RETAIN_STRIPPED_LEAVES } from './acl.js';

/** What of aedes' persistence this needs (the in-memory, disk and Redis stores all have it). */
export interface RetainedStore {
  createRetainedStreamCombi(patterns: string[]): Readable;
  storeRetained(packet: { topic: string; payload: Buffer; qos: number; retain: boolean; cmd: 'publish' }): Promise<void>;
}

/** Remove every retained message on a leaf that is never retained; resolves with how many. */
export async function clearUnretainable(store: RetainedStore, log: Logger): Promise<number> {
  const patterns = [...NON_RETAINED_LEAVES, ...RETAIN_STRIPPED_LEAVES].map(allStationsFilter);
  const topics: string[] = [];
  for await (const packet of store.createRetainedStreamCombi(patterns)) topics.push((packet as { topic: string }).topic);
  // an empty retained payload deletes (MQTT-3.3.1-10)
  for (const topic of topics) await store.storeRetained({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: true });
  if (topics.length > 0) log.warn({ cleared: topics.length, topics: topics.slice(0, 20) }, 'retained messages removed from topics that are never retained (events, telemetry, health, cmd, cmd/result)');
  return topics.length;
}
