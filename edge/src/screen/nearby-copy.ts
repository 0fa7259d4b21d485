/**
 * Nearby stations on the board's screen: while the server answers, the board asks its
 * nearest-stations API for this station's neighbours with free sockets (the request the server's
 * own screen makes, @yizhan/screen/nearby `nearbyPath`) and keeps the latest answer in memory with
 * the time it got it, by the board's clock (`receivedAt`). The page asks the board for it at the
 * same path and greys it with its age once it is older than the staleness limit. Availability is
 * live data: no copy is kept across restarts, so after one without the server the block says it
 * has no data instead of showing old numbers.
 */
import type { Logger } from 'pino';
import { nearbyPath, nearbyPollMs } from '@yizhan/screen/nearby';
import { ServerPoll } from './server-poll.js';

/** What the page reads of each station (nearby.ts NEARBY_JS). */
interface NearbyEntry {
  id: string;
  name: string;
  nameEn: string | null;
  distanceM: number | null;
  direction: string | null;
  has: boolean;
  sockets: { free: number | null };
}

export interface NearbyAnswer {
  generatedAt: number;
  stations: NearbyEntry[];
}

const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const orNull = (ok: (v: unknown) => boolean) => (v: unknown) => v === null || ok(v);

function isEntry(v: unknown): v is NearbyEntry {
  const s = v as Partial<Record<keyof NearbyEntry, unknown>> | null;
  const sockets = s?.sockets as { free?: unknown } | null | undefined;
  return (
    str(s?.id) &&
    str(s?.name) &&
    orNull(str)(s?.nameEn) &&
    orNull(num)(s?.distanceM) &&
    orNull(str)(s?.direction) &&
    typeof s?.has === 'boolean' &&
    orNull(num)(sockets?.free)
  );
}

/** The server's nearby answer, as much of it as the page reads (the rest passes through). */
export function isNearbyAnswer(v: unknown): v is NearbyAnswer {
  const a = v as { generatedAt?: unknown; stations?: unknown } | null;
  return num(a?.generatedAt) && Array.isArray(a?.stations) && a.stations.every(isEntry);
}

export interface NearbyCopyOptions {
  /** Server base URL, e.g. `https://yizhan.example.cn`. */
  from: string;
  stationId: string;
  /** The page greys an answer older than this; the board asks four times within it. */
  staleMs: number;
  logger: Logger;
}

export class NearbyCopy {
  private latest: (NearbyAnswer & { receivedAt: number }) | null = null;
  private readonly poll: ServerPoll<NearbyAnswer>;

  constructor(o: NearbyCopyOptions) {
    this.poll = new ServerPoll({
      // One language for the board's copy: the page picks the name by its own language.
      url: new URL(nearbyPath(o.stationId, 'zh-CN'), o.from),
      everyMs: nearbyPollMs(o.staleMs),
      what: 'nearby stations',
      logger: o.logger,
      check: isNearbyAnswer,
      onAnswer: (answer, receivedAt) => {
        this.latest = { ...answer, receivedAt };
      },
    });
  }

  /** The latest answer with when the board got it; null before the first. */
  current(): (NearbyAnswer & { receivedAt: number }) | null {
    return this.latest;
  }

  start(): void {
    this.poll.start();
  }

  stop(): void {
    this.poll.stop();
  }
}
