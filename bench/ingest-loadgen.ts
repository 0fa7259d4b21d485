/**
 * bench:ingest's handle on the load generator: one or more forked processes of
 * bench/loadgen-main.ts (shards), driven over IPC, with their answers merged.
 */
import type { LoadStats, StormResult } from './loadgen.js';
import { stopProc, type Proc } from './ingest-procs.js';

/** One forked load generator process (bench/loadgen-main.ts), driven over IPC. */
class Shard {
  private waiters = new Map<string, (m: Record<string, unknown>) => void>();
  constructor(readonly p: Proc) {
    p.child.on('message', (m: Record<string, unknown>) => {
      const w = this.waiters.get(String(m.type));
      this.waiters.delete(String(m.type));
      w?.(m);
    });
  }
  ask<T extends Record<string, unknown>>(cmd: object, reply: string, timeoutMs = 600_000): Promise<T> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${this.p.name}: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(reply, (m) => {
        clearTimeout(t);
        res(m as T);
      });
      if (Object.keys(cmd).length) this.p.child.send(cmd);
    });
  }
  tell(cmd: object): void {
    this.p.child.send(cmd);
  }
}

const add = (a: Record<string, number>, b: Record<string, number>) => {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
};

/**
 * The load generator as one or more processes (shards), each with its share of the stations
 * (one process cannot hold more sockets than its open-file limit); answers are merged.
 */
export class Loadgen {
  private readonly shards: Shard[];
  constructor(procs: Proc[]) {
    this.shards = procs.map((p) => new Shard(p));
  }
  get procs(): Proc[] {
    return this.shards.map((s) => s.p);
  }
  async ready(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.ask({}, 'ready', 60_000)));
  }
  tell(cmd: object): void {
    for (const s of this.shards) s.tell(cmd);
  }
  /** Connect every station; `ms` until the last shard had all its stations up. */
  async connect(concurrency: number): Promise<{ connected: number; ms: number; stats: LoadStats }> {
    const per = Math.max(1, Math.floor(concurrency / this.shards.length));
    const r = await Promise.all(
      this.shards.map((s) =>
        s.ask<{ connected: number; ms: number; stats: LoadStats }>({ cmd: 'connect', concurrency: per }, 'connected', 900_000),
      ),
    );
    return {
      connected: r.reduce((a, x) => a + x.connected, 0),
      ms: Math.max(...r.map((x) => x.ms)),
      stats: mergeStats(r.map((x) => x.stats)),
    };
  }
  async stats(): Promise<LoadStats> {
    return mergeStats(
      await Promise.all(this.shards.map(async (s) => (await s.ask<{ stats: LoadStats }>({ cmd: 'stats' }, 'stats')).stats)),
    );
  }
  /** Every shard drops and reconnects all its stations at the same moment. */
  async storm(replay: number): Promise<StormResult> {
    const r = await Promise.all(
      this.shards.map(async (s) => (await s.ask<{ result: StormResult }>({ cmd: 'storm', replay }, 'storm', 900_000)).result),
    );
    const sum = (f: (x: StormResult) => number) => r.reduce((a, x) => a + f(x), 0);
    const from = r.map((x) => x.replayedFromMs).filter((x): x is number => x !== undefined);
    return {
      ms: Math.max(...r.map((x) => x.ms)),
      connected: sum((x) => x.connected),
      stations: sum((x) => x.stations),
      attempts: sum((x) => x.attempts),
      stationsRetried: sum((x) => x.stationsRetried),
      maxAttempts: Math.max(...r.map((x) => x.maxAttempts)),
      failures: r.reduce((a, x) => add(a, x.failures), {}),
      dropped: sum((x) => x.dropped),
      redelivered: sum((x) => x.redelivered),
      replayedMessages: sum((x) => x.replayedMessages),
      replayedReadings: sum((x) => x.replayedReadings),
      replayedFromMs: from.length ? Math.min(...from) : undefined,
    };
  }
  async stop(): Promise<void> {
    await Promise.all(
      this.shards.map(async (s) => {
        await s.ask({ cmd: 'stop' }, 'stopped', 30_000).catch(() => undefined);
        await stopProc(s.p, 5000);
      }),
    );
  }
}

/** Sums of the shards' stats (memory: the total of all shard processes). */
function mergeStats(all: LoadStats[]): LoadStats {
  const out = structuredClone(all[0]) as LoadStats;
  for (const x of all.slice(1)) {
    for (const k of Object.keys(out) as (keyof LoadStats)[]) {
      const v = x[k];
      if (typeof v === 'number') (out[k] as number) += v;
    }
    add(out.connectFailures, x.connectFailures);
    add(out.sentBySecond, x.sentBySecond);
    add(out.skippedBySecond, x.skippedBySecond);
    out.memory.rssMB += x.memory.rssMB;
    out.memory.heapUsedMB += x.memory.heapUsedMB;
    out.memory.externalMB += x.memory.externalMB;
  }
  return out;
}
