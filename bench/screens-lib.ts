/**
 * Pure parts of bench:screens (bench/screens.ts): the client mix, the latency histogram the client
 * processes fill and the bench merges, the reader that finds each station frame's reading time in
 * an SSE stream, and the shape of bench/results/screens.json.
 */
import { percentile } from './alerts-lib.js';

/** What each client asks for: `?station=<id>` (a screen, one station) or every station. */
export interface ClientPlan {
  path: string;
  /** Stations whose changes this client receives. */
  stations: readonly string[];
}

/**
 * `clients` streams: `unfiltered` of them without a filter (pages that list every station), the
 * rest one station each, dealt round-robin over `stations` so each station has the same number of
 * screens (±1). Unfiltered ones are spread through the list, not bunched at its end, so both
 * client processes get their share.
 */
export function clientMix(clients: number, unfiltered: number, stations: readonly string[]): ClientPlan[] {
  if (unfiltered > clients) throw new Error(`unfiltered (${unfiltered}) > clients (${clients})`);
  const plans: ClientPlan[] = [];
  let filtered = 0;
  for (let i = 0; i < clients; i++) {
    // Client i is unfiltered when it crosses the next multiple of clients / unfiltered.
    const isAll = Math.floor(((i + 1) * unfiltered) / clients) > Math.floor((i * unfiltered) / clients);
    if (isAll) plans.push({ path: '/api/v1/events', stations });
    else {
      const id = stations[filtered++ % stations.length]!;
      plans.push({ path: `/api/v1/events?station=${id}`, stations: [id] });
    }
  }
  return plans;
}

/** Latencies counted in 0.1 ms steps (sparse: key = tenths of a ms). */
export type Histogram = Record<number, number>;

export function record(h: Histogram, ms: number): void {
  const k = Math.max(0, Math.round(ms * 10));
  h[k] = (h[k] ?? 0) + 1;
}

export function merge(into: Histogram, from: Histogram): Histogram {
  for (const [k, n] of Object.entries(from)) into[Number(k)] = (into[Number(k)] ?? 0) + n;
  return into;
}

export function count(h: Histogram): number {
  return Object.values(h).reduce((a, b) => a + b, 0);
}

/** Nearest-rank percentile in ms (as alerts-lib's `percentile` on the raw values); 0 for none. */
export function histPercentile(h: Histogram, p: number): number {
  const keys = Object.keys(h)
    .map(Number)
    .sort((a, b) => a - b);
  const n = count(h);
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  let seen = 0;
  for (const k of keys) {
    seen += h[k]!;
    if (seen >= rank) return k / 10;
  }
  return keys.at(-1)! / 10;
}

/** The raw-value percentile, for the test that the histogram agrees with it. */
export const rawPercentile = (values: readonly number[], p: number): number =>
  percentile([...values].sort((a, b) => a - b), p);

/** A station frame as the bench reads it: which station, and the time of its latest reading. */
export interface StationTick {
  id: string;
  lastReading: number;
  /** Bytes of the whole frame (`event:` … blank line). */
  bytes: number;
}

const ID = '"id":"';
const LAST = '"lastReading":';
/** Both fields sit in the first few hundred bytes of a station frame (StationSummary's order). */
const HEAD_BYTES = 600;

/**
 * Reads an SSE stream (bytes as they arrive, split anywhere) and yields its `station` frames. Only
 * the station id and `lastReading` are picked out of each frame's head (both servers put them
 * first; `lastReading` is at the top level once): decoding and parsing every frame whole would
 * make the client processes, not the server, set the latency.
 */
export class StationFrameReader {
  private rest: Buffer = Buffer.alloc(0);

  *push(chunk: Buffer): Generator<StationTick> {
    const b = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    let end: number;
    while ((end = b.indexOf('\n\n', start)) >= 0) {
      const tick = parseStationFrame(b.subarray(start, end + 2));
      start = end + 2;
      if (tick) yield tick;
    }
    this.rest = b.subarray(start);
  }
}

function pick(text: string): Omit<StationTick, 'bytes'> | undefined {
  const i = text.indexOf(ID);
  const l = text.indexOf(LAST);
  if (i < 0 || l < 0) return undefined;
  const id = text.slice(i + ID.length, text.indexOf('"', i + ID.length));
  const lastReading = Number.parseInt(text.slice(l + LAST.length, l + LAST.length + 20), 10);
  return Number.isFinite(lastReading) ? { id, lastReading } : undefined;
}

/** One whole frame (`event:` … blank line); latin1 is enough to find ASCII keys and digits. */
export function parseStationFrame(frame: Buffer): StationTick | undefined {
  if (!frame.subarray(0, 15).equals(STATION_EVENT)) return undefined;
  const found = pick(frame.toString('latin1', 0, HEAD_BYTES)) ?? pick(frame.toString('latin1'));
  return found && { ...found, bytes: frame.length };
}
const STATION_EVENT = Buffer.from('event: station\n');

/**
 * The peer's station frame: the same event name and the two fields the clients read, padded to
 * `bytes` so both servers send the same payload size.
 */
export function peerFrame(id: string, lastReading: number, bytes: number): string {
  const head = `event: station\ndata: {"id":"${id}","lastReading":${lastReading},"pad":"`;
  const tail = '"}\n\n';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

export interface Side {
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
}

/** bench/results/screens.json, exactly these keys. */
export interface ScreensResult {
  clients: number;
  yizhan: Side;
  plainNode: Side;
  phonePageKb: number;
  boardScreenRssMb: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** One server's figures: latency percentiles of the merged histogram, peak RSS in MB (10^6 bytes). */
export function side(h: Histogram, rssMb: number): Side {
  return { p50Ms: r1(histPercentile(h, 50)), p99Ms: r1(histPercentile(h, 99)), rssMb: r1(rssMb) };
}

export function screensResult(
  clients: number,
  yizhan: Side,
  plainNode: Side,
  phonePageKb: number,
  boardScreenRssMb: number,
): ScreensResult {
  return {
    clients,
    yizhan,
    plainNode,
    phonePageKb: r1(phonePageKb),
    boardScreenRssMb: r1(boardScreenRssMb),
  };
}
