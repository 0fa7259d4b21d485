/**
 * What bench:ingest measures besides counting stored points: probe latency (reading time →
 * visible in a query) and the server's and broker's Prometheus metrics between two scrapes; the
 * printed table.
 */
import { samplesOf } from '../test/helpers/prom.js';
import { influxRows, stationId } from './ingest-lib.js';
import type { StormReport } from './ingest-storm.js';
import type { LoadStats } from './loadgen.js';

export interface StepResult {
  offered: number;
  sent: number;
  skipped: number;
  stored: number;
  lost: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  pass: boolean;
  procs: Record<string, { cpuPct: number; rssMB: number }>;
  /** p99 duration of the probe query itself; the server's own reading-time → stored histogram (yizhan). */
  probeQueryP99Ms: number;
  serverPointAge?: { p50Ms: number; p99Ms: number };
  /** The server's InfluxDB write requests over the hold: count, p50/p99 (bucket bounds), how many took > 1 s. */
  serverWrites?: { p50Ms: number; p99Ms: number; count: number; over1s: number };
  /** The server's event-loop delay over the hold (prom-client, reset at each scrape): p99 and max, ms. */
  serverLoopLag?: { p99Ms: number; maxMs: number };
  /** Reading time → handed to the server's writer (upstream of the writer), one sample per message. */
  serverEnqueueAge?: { p50Ms: number; p99Ms: number; count: number; over1s: number };
}
export interface SystemResult {
  readingsPerSec: number;
  lost: number | null;
  p50Ms: number;
  p99Ms: number;
  steps: StepResult[];
  procs: Record<string, { cpuPct: number; rssMB: number }>;
  note?: string;
  /** The load generator at the end of the run: memory now, failed connection attempts, connections lost. */
  loadgen?: { memory: LoadStats['memory']; connectFailures: Record<string, number>; dropped: number };
}

/**
 * Poll the last occupancy time of probe stations every 100 ms (up to 4 polls in flight, so a slow
 * query does not delay the next); the first poll that sees a new reading time gives a latency sample
 * (poll issue time − reading time: an upper bound, ≤ 100 ms above the true latency).
 */
export function probe(influxUrl: string, db: string, n: number) {
  const stride = Math.max(1, Math.floor(n / 40));
  const ids = Array.from({ length: Math.min(40, n) }, (_, i) => stationId(Math.min(n - 1, i * stride)));
  const seen = new Map<string, number>();
  const samples: { at: number; ms: number }[] = [];
  const queryMs: number[] = [];
  let inFlight = 0;
  const q = `SELECT last("value") FROM "occupancy" WHERE "station" =~ /^(${ids.join('|')})$/ AND time > now() - 1m GROUP BY "station"`;
  const poll = async () => {
    const at = Date.now();
    inFlight++;
    try {
      for (const r of await influxRows(influxUrl, db, q)) {
        const st = String(r.station);
        const t = Number(r.time);
        const prev = seen.get(st);
        if (prev === undefined || t > prev) {
          if (prev !== undefined) samples.push({ at, ms: at - t });
          seen.set(st, t);
        }
      }
      queryMs.push(Date.now() - at);
    } catch {
      /* database not there yet */
    } finally {
      inFlight--;
    }
  };
  const timer = setInterval(() => {
    if (inFlight < 4) void poll();
  }, 100);
  return { samples, queryMs, stop: () => clearInterval(timer) };
}

/** p50/p99 (bucket upper bounds, s→ms) of one of the server's histograms between two scrapes. */
export function histQuantiles(
  before: string,
  after: string,
  name = 'yizhan_influx_point_age_seconds',
  labels: Record<string, string> = {},
): { p50Ms: number; p99Ms: number; count: number; over1s: number } | undefined {
  const parse = (t: string) => {
    const m = new Map<number, number>();
    for (const s of samplesOf(t, `${name}_bucket`, labels)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      m.set(le, (m.get(le) ?? 0) + s.value);
    }
    return m;
  };
  const a = parse(before);
  const b = parse(after);
  const les = [...b.keys()].sort((x, y) => x - y);
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  if (!total) return undefined;
  const q = (p: number) => {
    for (const le of les) if ((b.get(le) ?? 0) - (a.get(le) ?? 0) >= p * total) return le * 1000;
    return Infinity;
  };
  const over1s = total - ((b.get(1) ?? 0) - (a.get(1) ?? 0));
  return { p50Ms: q(0.5), p99Ms: q(0.99), count: total, over1s };
}

/** Increase of `name` between two scrapes, by the value of one label (only the ones that grew). */
export function metricDeltaBy(before: string, after: string, name: string, label: string): Record<string, number> {
  const by = (text: string) => {
    const m = new Map<string, number>();
    for (const s of samplesOf(text, name)) m.set(s.labels[label] ?? '', (m.get(s.labels[label] ?? '') ?? 0) + s.value);
    return m;
  };
  const a = by(before);
  const out: Record<string, number> = {};
  for (const [k, v] of by(after)) if (v - (a.get(k) ?? 0) > 0) out[k] = v - (a.get(k) ?? 0);
  return out;
}

export async function scrape(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  } catch {
    return '';
  }
}

/** The printed summary of a bench:ingest run (its results JSON). */
export function table(r: Record<string, unknown>): void {
  const N = Number(r.stations);
  const row = (name: string, x: unknown) => {
    const s = x as Partial<SystemResult> & { readingsPerSec?: number };
    const procs = Object.entries(s.procs ?? {})
      .map(([k, v]) => `${k} ${v.cpuPct}% ${v.rssMB}MB`)
      .join(', ');
    const v = (x: number | null | undefined) => (x === undefined || x === null || Number.isNaN(x) ? '—' : String(x));
    return `| ${name} | ${v(s.readingsPerSec)} | ${v(s.lost)} | ${v(s.p50Ms)} | ${v(s.p99Ms)} | ${procs || (s.note ?? '')} |`;
  };
  const lines = [
    `stations: ${N}, hold ${String(r.holdS)} s per step, steps ${(r.steps as number[]).join(', ')} readings/s`,
    '| system | sustained readings/s | lost at step above | p50 ms | p99 ms | CPU (of one core) / peak RSS per process |',
    '|---|---|---|---|---|---|',
    row('(a) InfluxDB ceiling (direct /write)', r.influxCeiling),
    row('(b) yizhan end to end', r.yizhan),
    row('(c) Node-RED 4 + contrib-influxdb', r.nodeRed),
  ];
  const setup = r.setup as { provisionS: number; openFiles: { now: number } };
  lines.push(`setup: ${N} accounts provisioned in ${setup.provisionS} s; open-file limit ${setup.openFiles.now}`);
  for (const [sys, c] of Object.entries((r.connect ?? {}) as Record<string, Record<string, unknown>>))
    lines.push(
      `connect (${sys}): ${String(c.connected)}/${N} in ${String(c.ms)} ms, ${String(c.attempts)} attempts, failures ${JSON.stringify(c.failures)}, load generator RSS ${String(c.loadgenRssMB)} MB`,
    );
  const st = r.storm as StormReport | undefined;
  if (st) {
    lines.push(
      '',
      '| reconnect storm | all reconnected in | attempts (stations retried) | dropped again after | readings replayed | messages redelivered | duplicates dropped by the server | readings in window: sent / stored in InfluxDB | exactly once |',
      '|---|---|---|---|---|---|---|---|---|',
      `| ${st.connected}/${st.stations} stations | ${st.reconnectMs} ms | ${st.attempts} (${st.stationsRetried}) | ${st.droppedAfter} | ${st.replayedReadings} | ${st.redeliveredMessages} | ${st.serverDuplicatesDropped} | ${st.window.sent} / ${st.window.stored} | ${st.exactlyOnce ? 'yes' : `NO (missing ${st.window.missing}, extra ${st.window.extra})`} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}
