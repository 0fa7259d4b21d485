/**
 * What bench:cluster checks after each case, besides the count of readings (bench/faults-count.ts):
 *
 * - recovery: every agent's MQTT link up (its own log) and, for every station, a reading sent after
 *   the kill stored in InfluxDB and the newest stored reading at most FRESH_MS old: data flows again;
 * - stale statuses: a station whose status as the server shows it (GET /api/v1/stations) or as the
 *   retained …/status message on the broker says (a fresh subscriber) disagrees with its agent's link;
 *   and `station_status` offline points written for a station whose agent never lost its link then;
 * - the node the server is connected to: the remote port of its established TCP sockets (/proc).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import mqtt from 'mqtt';
import { brokerAddress } from '@yizhan/common/mqtt-url';
import { stationTopic } from '@yizhan/protocol';
import { influxql } from '../test/e2e/pipeline-helpers.js';
import type { CountingController } from './faults-controller.js';
import type { AgentLink } from './faults-stack.js';

/** A station's data flows when its newest stored reading is at most this old. */
export const FRESH_MS = 3000;

/** The agent's link now, from its log's changes (none logged yet: not connected). */
export const linkUp = (changes: readonly AgentLink[] | undefined): boolean =>
  changes?.at(-1)?.connected ?? false;

/** The agent lost its link at some time in [from, to). */
export const lostLinkIn = (changes: readonly AgentLink[] | undefined, from: number, to: number): boolean =>
  (changes ?? []).some((c) => !c.connected && c.at >= from && c.at < to);

/**
 * Seconds from `from` until every agent that lost its link at or after `from` had it back (its
 * first "mqtt connected" after the loss); null when no agent lost its link, undefined when one is
 * not back yet. This is the stations' own view of a node's death; recoveryS adds the delivery of
 * what they spooled meanwhile.
 */
export function reconnectS(links: ReadonlyMap<string, readonly AgentLink[]>, from: number): number | null | undefined {
  let last: number | null = null;
  for (const changes of links.values()) {
    const lost = changes.findIndex((c) => !c.connected && c.at >= from);
    if (lost < 0) continue;
    const back = changes.slice(lost).find((c) => c.connected);
    if (!back) return undefined;
    last = Math.max(last ?? 0, back.at);
  }
  return last === null ? null : Math.round((last - from) / 100) / 10;
}

export interface StationFlow {
  station: string;
  linkUp: boolean;
  /** Send time of the newest reading of the station stored in InfluxDB (undefined: none since the kill). */
  lastStoredAt: number | undefined;
}

/** Every station is connected and its readings arrive again: sent after `killAt`, the newest fresh at `now`. */
export function recovered(
  flows: readonly StationFlow[],
  killAt: number,
  now: number,
  freshMs = FRESH_MS,
): boolean {
  return flows.every(
    (f) =>
      f.linkUp && f.lastStoredAt !== undefined && f.lastStoredAt > killAt && f.lastStoredAt >= now - freshMs,
  );
}

export interface StatusView {
  station: string;
  /** The agent's link (all agents run, so all should be online). */
  agent: boolean;
  /** online as the server's API shows it; null: it has no status for the station. */
  server: boolean | null;
  /** The retained status message's state; null: none retained. */
  retained: boolean | null;
}

export interface Stale {
  station: string;
  where: ('server' | 'retained')[];
}

/** Stations whose status (server or retained) disagrees with their agent's link. */
export function staleStatuses(views: readonly StatusView[]): Stale[] {
  const out: Stale[] = [];
  for (const v of views) {
    const where: Stale['where'] = [];
    if (v.server !== v.agent) where.push('server');
    if (v.retained !== v.agent) where.push('retained');
    if (where.length) out.push({ station: v.station, where });
  }
  return out;
}

/** Inodes of a process's sockets, from /proc/<pid>/fd. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Remote ports of ESTABLISHED sockets in a /proc/net/tcp(6) table, by socket inode. */
export function establishedPeers(table: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [rem, st, inode] = [f[2], f[3], f[9]];
    if (!rem || st !== '01' || !inode) continue;
    out.set(inode, parseInt(rem.split(':')[1] ?? '', 16));
  }
  return out;
}

/** Index of the node (by its port) the process `pid` has an established connection to; -1: none. */
export function connectedNode(pid: number, nodePorts: readonly number[]): number {
  const inodes = socketInodes(pid);
  for (const t of ['tcp', 'tcp6']) {
    let table = '';
    try {
      table = readFileSync(`/proc/${pid}/net/${t}`, 'utf8');
    } catch {
      continue;
    }
    for (const [inode, port] of establishedPeers(table)) {
      const i = nodePorts.indexOf(port);
      if (i >= 0 && inodes.has(inode)) return i;
    }
  }
  return -1;
}

/** online of each station as the server's API shows it. */
export async function serverStatuses(httpUrl: string): Promise<Map<string, boolean | null>> {
  const res = await fetch(`${httpUrl}/api/v1/stations`);
  if (!res.ok) throw new Error(`GET ${httpUrl}/api/v1/stations: HTTP ${res.status}`);
  const body = (await res.json()) as { stations: { id: string; online: boolean | null }[] };
  return new Map(body.stations.map((s) => [s.id, s.online]));
}

/** The retained status of each station, as a fresh clean-session subscriber gets it from `url`. */
export async function retainedStatuses(
  url: string,
  username: string,
  password: string,
  stations: readonly string[],
  waitMs = 2000,
): Promise<Map<string, boolean | null>> {
  const client = mqtt.connect({
    ...brokerAddress(url),
    clientId: `${username}-check-${Math.random().toString(16).slice(2, 8)}`,
    username,
    password,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  client.on('error', () => undefined);
  const out = new Map<string, boolean | null>(stations.map((s) => [s, null]));
  const topics = new Map(stations.map((s) => [stationTopic(s, 'status'), s]));
  client.on('message', (topic, payload, packet) => {
    const s = topics.get(topic);
    if (!s || !packet.retain) return;
    try {
      out.set(s, (JSON.parse(payload.toString()) as { state?: string }).state === 'online');
    } catch {
      out.set(s, false);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`retained-status check: no connection to ${url}`)));
    });
    await client.subscribeAsync([...topics.keys()], { qos: 1 });
    await new Promise((r) => setTimeout(r, waitMs));
    return out;
  } finally {
    client.end(true);
  }
}

/** Per station, the send time of its newest frame stored with a time after `since` (InfluxDB). */
export async function lastStored(
  influxUrl: string,
  db: string,
  controllers: readonly CountingController[],
  since: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const lo = new Map(controllers.map((c) => [c.plan.station, c.plan.lo]));
  const rows = await influxql(
    influxUrl,
    db,
    `SELECT last("value") FROM "socket_power" WHERE time > ${Math.floor(since)}ms GROUP BY "station","sensor"`,
  ).catch(() => []);
  for (const r of rows) {
    const s = String(r.station);
    if (lo.get(s) !== r.sensor) continue;
    out.set(s, Math.max(out.get(s) ?? 0, Number(r.time)));
  }
  return out;
}

/** `station_status` offline points written since `since`: station and point time. */
export async function offlinePoints(
  influxUrl: string,
  db: string,
  since: number,
): Promise<{ station: string; at: number }[]> {
  const rows = await influxql(
    influxUrl,
    db,
    `SELECT "online" FROM "station_status" WHERE "online" = 0 AND time >= ${Math.floor(since)}ms GROUP BY "station"`,
  ).catch(() => []);
  return rows.map((r) => ({ station: String(r.station), at: Number(r.time) }));
}
