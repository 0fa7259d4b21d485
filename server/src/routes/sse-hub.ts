/**
 * The fan-out of `/api/v1/events`: every change is encoded once (one JSON.stringify and one UTF-8
 * buffer) and that buffer is written to each client that asked for the station. Clients are
 * indexed by station, so a change reaches only its watchers without a walk over every client.
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

  /** Send a frame to the clients of one station; the frame is built only when somebody watches. */
  toStation(stationId: string, frame: () => Buffer): void {
    if (!this.watched(stationId)) return;
    const chunk = frame();
    // A sink dropped for being slow removes itself during the loop; Set iteration allows that.
    for (const s of this.everything) s.send(chunk);
    const set = this.byStation.get(stationId);
    if (set) for (const s of set) s.send(chunk);
  }

  /** Send one frame to every client. */
  toAll(chunk: Buffer): void {
    for (const s of this.all) s.send(chunk);
  }
}
