/**
 * The fan-out of `/api/v1/events`: every change is encoded once (one JSON.stringify and one UTF-8
 * buffer) and that buffer is written to each client that asked for the station, at most one
 * write per client per event-loop turn. Clients are indexed by station, so a change reaches only
 * its watchers without a walk over every client.
 */

export interface SseSink {
  /** Write one encoded frame; the sink applies its own backpressure limit. */
  send(chunk: Buffer): void;
}

/** One SSE frame: `event: <name>` and its JSON data, encoded once for all clients. */
export function sseFrame(event: string, data: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export class SseHub {
  /** Clients without a station filter: they get every station. */
  private readonly everything = new Set<SseSink>();
  private readonly byStation = new Map<string, Set<SseSink>>();
  private readonly all = new Set<SseSink>();
  private pending: { stationId: string; chunk: Buffer }[] = [];
  private flushScheduled = false;

  get size(): number {
    return this.all.size;
  }

  add(sink: SseSink, stations: ReadonlySet<string> | undefined): void {
    this.all.add(sink);
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
  toStation(stationId: string, frame: () => Buffer): void {
    if (!this.watched(stationId)) return;
    this.pending.push({ stationId, chunk: frame() });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (this.everything.size > 0) {
      const all = batch.length === 1 ? batch[0]!.chunk : Buffer.concat(batch.map((b) => b.chunk));
      // A sink dropped for being slow removes itself during the loop; Set iteration allows that.
      for (const s of this.everything) s.send(all);
    }
    const byId = new Map<string, Buffer[]>();
    for (const b of batch) {
      if (!this.byStation.has(b.stationId)) continue;
      const list = byId.get(b.stationId);
      if (list) list.push(b.chunk);
      else byId.set(b.stationId, [b.chunk]);
    }
    for (const [id, chunks] of byId) {
      const chunk = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const set = this.byStation.get(id);
      if (set) for (const s of set) s.send(chunk);
    }
  }

  /** Send one frame to every client. */
  toAll(chunk: Buffer): void {
    for (const s of this.all) s.send(chunk);
  }
}
