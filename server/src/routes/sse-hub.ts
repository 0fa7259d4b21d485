/**
 * The fan-out of `/api/v1/events`: every change is encoded once (one JSON.stringify and one UTF-8
 * buffer) and that buffer is written to each client that asked for the station, at most one
 * write per client per event-loop turn. Clients are indexed by station, so a change reaches only
 * its watchers without a walk over every client.
 *
 * A frame may be meant only for some people (alerts: those who may read the station's township).
 * Each client has an {@link Audience}; a turn's frames are joined once per distinct audience, so
 * the encode-once fan-out holds with a handful of audiences (anonymous screens, the county, a few
 * township sets).
 */

export interface SseSink {
  /** Write one encoded frame; the sink applies its own backpressure limit. */
  send(chunk: Buffer): void;
}

/** Who may receive restricted frames: every township, some, or none (anonymous). */
export interface Audience {
  /** Equal keys: equal audiences (the cache key of a joined chunk). */
  readonly key: string;
  allows(township: string): boolean;
}

export const NOBODY: Audience = { key: '-', allows: () => false };
/** Stands for every client when a turn has no restricted frame. */
const EVERYONE: Audience = { key: '', allows: () => true };

export function audienceOf(where: 'all' | ReadonlySet<string>): Audience {
  if (where === 'all') return { key: '*', allows: () => true };
  if (where.size === 0) return NOBODY;
  return { key: [...where].sort().join(','), allows: (t) => where.has(t) };
}

interface Pending {
  stationId: string;
  chunk: Buffer;
  /** Set: only clients whose audience allows this township get the frame. */
  township?: string;
}

const join = (frames: readonly Pending[]): Buffer =>
  frames.length === 1 ? frames[0]!.chunk : Buffer.concat(frames.map((b) => b.chunk));

/** One SSE frame: `event: <name>` and its JSON data, encoded once for all clients. */
export function sseFrame(event: string, data: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export class SseHub {
  /** Clients without a station filter: they get every station. */
  private readonly everything = new Set<SseSink>();
  private readonly byStation = new Map<string, Set<SseSink>>();
  private readonly all = new Set<SseSink>();
  private readonly audiences = new Map<SseSink, Audience>();
  private pending: Pending[] = [];
  private flushScheduled = false;

  get size(): number {
    return this.all.size;
  }

  add(sink: SseSink, stations: ReadonlySet<string> | undefined, audience: Audience = NOBODY): void {
    this.all.add(sink);
    this.audiences.set(sink, audience);
    if (!stations) {
      this.everything.add(sink);
      return;
    }
    for (const id of stations) {
      let set = this.byStation.get(id);
      if (!set) this.byStation.set(id, (set = new Set()));
      set.add(sink);
    }
  }

  remove(sink: SseSink, stations: ReadonlySet<string> | undefined): void {
    this.all.delete(sink);
    this.audiences.delete(sink);
    if (!stations) {
      this.everything.delete(sink);
      return;
    }
    for (const id of stations) {
      const set = this.byStation.get(id);
      set?.delete(sink);
      if (set?.size === 0) this.byStation.delete(id);
    }
  }

  /** Whether anybody watches this station. */
  watched(stationId: string): boolean {
    return this.everything.size > 0 || this.byStation.has(stationId);
  }

  /**
   * Send a frame to the clients of one station; the frame is built only when somebody watches.
   * Frames of one event-loop turn go out together (flush): each client gets one write per turn
   * however many stations changed in it (all stations reporting at once meant 47 writes per
   * client), and the frames for "every station" clients are joined once for all of them.
   */
  toStation(stationId: string, frame: () => Buffer, onlyFor?: { township: string }): void {
    if (!this.watched(stationId)) return;
    this.pending.push({ stationId, chunk: frame(), township: onlyFor?.township });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const restricted = batch.some((b) => b.township !== undefined);
    // Without restricted frames every client of a station gets the same bytes: one audience.
    const audience = (s: SseSink): Audience => (restricted ? (this.audiences.get(s) ?? NOBODY) : EVERYONE);
    // A sink dropped for being slow removes itself during the loop; Set iteration allows that.
    const chunks = new Map<string, Buffer | null>();
    for (const s of this.everything) this.sendTo(s, batch, audience(s), chunks, '');
    const byId = new Map<string, Pending[]>();
    for (const b of batch) {
      if (!this.byStation.has(b.stationId)) continue;
      const list = byId.get(b.stationId);
      if (list) list.push(b);
      else byId.set(b.stationId, [b]);
    }
    for (const [id, frames] of byId) {
      const set = this.byStation.get(id);
      if (set) for (const s of set) this.sendTo(s, frames, audience(s), chunks, id);
    }
  }

  /** The frames the audience may see, joined once per (group, audience) and cached in `chunks`. */
  private sendTo(
    sink: SseSink,
    frames: readonly Pending[],
    aud: Audience,
    chunks: Map<string, Buffer | null>,
    group: string,
  ): void {
    const key = `${group}\0${aud.key}`;
    let chunk = chunks.get(key);
    if (chunk === undefined) {
      const mine = frames.filter((f) => f.township === undefined || aud.allows(f.township));
      chunk = mine.length ? join(mine) : null;
      chunks.set(key, chunk);
    }
    if (chunk) sink.send(chunk);
  }

  /** Send one frame to every client. */
  toAll(chunk: Buffer): void {
    for (const s of this.all) s.send(chunk);
  }
}
