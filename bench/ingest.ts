/**
 * bench:ingest — province-scale ingest on one machine, everything co-located (influxd, broker,
 * server, load generator, Node-RED), measured in one run:
 *
 *   (a) InfluxDB's own ceiling: line protocol posted straight to /write in large batches;
 *   (b) yizhan end to end: load generator → broker → server → InfluxDB;
 *   (c) Node-RED 4 + node-red-contrib-influxdb, batched flow, same broker and load.
 *
 * (b) and (c) ramp the offered rate stepwise (N stations, 15 readings per message, the period
 * shortened per step); a step passes when it is held `--hold` seconds with zero loss (every
 * telemetry reading with a time inside the window is in InfluxDB) and p99 latency < 1 s (probe
 * stations polled every 100 ms: reading time → visible in a query). The sustained rate is the
 * highest passing step. Prints a table, writes bench/results/ingest.json.
 *
 *   npm run bench:ingest -- [--stations 10000] [--hold 60] [--steps 15000,30000,45000,60000] [--no-nodered] [--storm]
 *     [--batch 1000] [--in-flight 4] [--flush 200ms]   (the server's writer settings)
 *     [--influx-data 'cache-snapshot-memory-size="256m";wal-fsync-delay="10ms"']   (influxd [data] overrides)
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startInfluxd } from '../scripts/lib/influxd.js';
import { freePort } from '../scripts/lib/ports.js';
import {
  Sampler,
  TELEMETRY,
  countStored,
  influxCeiling,
  influxRows,
  makeProvince,
  nodeProc,
  pct,
  sleep,
  stationId,
  stopProc,
  waitHttp,
  type Proc,
} from './ingest-lib.js';
import { startNodeRed } from './ingest-nodered.js';
import type { LoadStats } from './loadgen.js';

const ROOT = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? (argv[i + 1] ?? d) : d;
};
const N = Number(opt('stations', '10000'));
const HOLD_S = Number(opt('hold', '60'));
const WARM_S = Number(opt('warm', '8'));
const STEPS = opt('steps', '15000,30000,45000,60000').split(',').map(Number);
const PER_MSG = TELEMETRY.length;
/** Writer settings for the server under test (env of server/src/main.ts). */
const BATCH = opt('batch', '1000');
const IN_FLIGHT = opt('in-flight', '4');
const FLUSH = opt('flush', '200ms');
/** influxd [data] overrides, `key=value;key=value` with raw TOML values, e.g. `wal-fsync-delay="100ms"`. */
const INFLUX_DATA = Object.fromEntries(
  opt('influx-data', '')
    .split(';')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
);

interface StepResult {
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
interface SystemResult {
  readingsPerSec: number;
  lost: number | null;
  p50Ms: number;
  p99Ms: number;
  steps: StepResult[];
  procs: Record<string, { cpuPct: number; rssMB: number }>;
  note?: string;
}

const work = mkdtempSync(join(tmpdir(), 'yz-bench-ingest-'));
const logs = join(work, 'logs');
mkdirSync(logs);
const say = (s: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

class Loadgen {
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
      const t = setTimeout(() => rej(new Error(`loadgen: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
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
  async stats(): Promise<LoadStats> {
    return (await this.ask<{ stats: LoadStats }>({ cmd: 'stats' }, 'stats')).stats;
  }
}

/**
 * Poll the last occupancy time of probe stations every 100 ms (up to 4 polls in flight, so a slow
 * query does not delay the next); the first poll that sees a new reading time gives a latency sample
 * (poll issue time − reading time: an upper bound, ≤ 100 ms above the true latency).
 */
function probe(influxUrl: string, db: string, stride: number) {
  const ids = Array.from({ length: Math.min(40, N) }, (_, i) => stationId(Math.min(N - 1, i * stride)));
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
function histQuantiles(
  before: string,
  after: string,
  name = 'yizhan_influx_point_age_seconds',
  labels = '',
): { p50Ms: number; p99Ms: number; count: number; over1s: number } | undefined {
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"${labels}\\} (\\S+)`);
  const parse = (t: string) => {
    const m = new Map<number, number>();
    for (const l of t.split('\n')) {
      const x = re.exec(l);
      if (x) m.set(x[1] === '+Inf' ? Infinity : Number(x[1]), Number(x[2]));
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

async function ramp(
  name: string,
  lg: Loadgen,
  influxUrl: string,
  db: string,
  procs: () => Proc[],
  metricsUrl?: string,
): Promise<SystemResult> {
  const scrape = async () => (metricsUrl ? await (await fetch(metricsUrl)).text() : '');
  const sampler = new Sampler(() => procs().map((p) => ({ name: p.name, pid: p.pid })));
  const pr = probe(influxUrl, db, Math.max(1, Math.floor(N / 40)));
  const steps: StepResult[] = [];
  try {
    for (const rate of STEPS) {
      const periodMs = Math.round(((N * PER_MSG) / rate) * 1000);
      lg.tell({ cmd: 'period', ms: periodMs });
      // Warm up for at least one period, so every station has sent at the new rate (and every series exists).
      const warm = Math.max(WARM_S * 1000, periodMs + 3000);
      say(`${name}: ${rate} readings/s (period ${periodMs} ms), warm-up ${warm / 1000} s, hold ${HOLD_S} s`);
      await sleep(warm);
      const t0 = Math.ceil(Date.now() / 1000) * 1000;
      await sleep(t0 - Date.now());
      sampler.begin();
      const m0 = await scrape();
      const q0 = pr.queryMs.length;
      const t1 = t0 + HOLD_S * 1000;
      await sleep(t1 - Date.now() + 50);
      const procStats = sampler.end();
      const m1 = await scrape();
      const server = histQuantiles(m0, m1);
      const writes = histQuantiles(m0, m1, 'yizhan_influx_write_duration_seconds', ',outcome="ok"');
      const enqueue = histQuantiles(m0, m1, 'yizhan_influx_enqueue_age_seconds');
      const gauge = (n: string) => Math.round(Number(new RegExp(`^${n} (\\S+)`, 'm').exec(m1)?.[1] ?? NaN) * 1000);
      const loopLag = metricsUrl
        ? { p99Ms: gauge('nodejs_eventloop_lag_p99_seconds'), maxMs: gauge('nodejs_eventloop_lag_max_seconds') }
        : undefined;
      const probeQueryP99 = pct(pr.queryMs.slice(q0), 99);
      const st = await lg.stats();
      const sum = (by: Record<string, number>) =>
        Object.entries(by).reduce(
          (a, [k, v]) => (Number(k) >= t0 / 1000 && Number(k) < t1 / 1000 ? a + v : a),
          0,
        );
      const sent = sum(st.sentBySecond);
      const skipped = sum(st.skippedBySecond);
      // Let the pipeline drain: until the count reaches what was sent or stops growing (at most 90 s).
      let stored = -1;
      const drainEnd = Date.now() + 90_000;
      while (Date.now() < drainEnd) {
        await sleep(2000);
        const c = await countStored(influxUrl, db, t0, t1).catch(() => stored);
        if (c >= sent || (c === stored && c > 0)) {
          stored = c;
          break;
        }
        stored = c;
      }
      const lat = pr.samples.filter((s) => s.at >= t0 && s.at < t1 + 2000).map((s) => s.ms);
      const r: StepResult = {
        offered: Math.round((sent + skipped) / HOLD_S),
        sent,
        skipped,
        stored,
        lost: sent + skipped - stored,
        p50Ms: pct(lat, 50),
        p99Ms: pct(lat, 99),
        samples: lat.length,
        pass: false,
        procs: procStats,
        probeQueryP99Ms: probeQueryP99,
        ...(server ? { serverPointAge: server } : {}),
        ...(writes ? { serverWrites: writes } : {}),
        ...(enqueue ? { serverEnqueueAge: enqueue } : {}),
        ...(loopLag ? { serverLoopLag: loopLag } : {}),
      };
      r.pass = r.lost === 0 && r.p99Ms < 1000;
      steps.push(r);
      say(
        `${name}: offered ${r.offered}/s sent ${sent} skipped ${skipped} stored ${stored} lost ${r.lost} p50 ${r.p50Ms} p99 ${r.p99Ms} (${r.samples} samples, probe query p99 ${probeQueryP99} ms${server ? `, server histogram ${JSON.stringify(server)}` : ''}${writes ? `, writes ${JSON.stringify(writes)}` : ''}${enqueue ? `, enqueue age ${JSON.stringify(enqueue)}` : ''}${loopLag ? `, server loop lag ${JSON.stringify(loopLag)}` : ''}) ${r.pass ? 'PASS' : 'FAIL'} ${JSON.stringify(procStats)}`,
      );
      // Past saturation (more than 5 % lost) higher steps only lose more.
      if (r.lost > 0.05 * (sent + skipped)) break;
    }
  } finally {
    pr.stop();
  }
  let bi = -1;
  steps.forEach((s, i) => {
    if (s.pass) bi = i;
  });
  const best = steps[bi];
  const above = steps[bi + 1];
  return {
    readingsPerSec: best ? (STEPS[bi] ?? 0) : 0,
    lost: above ? above.lost : null,
    p50Ms: best?.p50Ms ?? NaN,
    p99Ms: best?.p99Ms ?? NaN,
    steps,
    procs: (best ?? steps[0])?.procs ?? {},
  };
}

async function main(): Promise<void> {
  say(`work dir ${work}; ${N} stations, steps ${STEPS.join(',')} readings/s, hold ${HOLD_S} s`);
  const prov = await makeProvince(work, N);
  say('province ready (configs + accounts)');
  const stationsFile = join(work, 'loadgen-stations.json');
  writeFileSync(
    stationsFile,
    JSON.stringify({
      stations: Array.from({ length: N }, (_, i) => ({
        id: stationId(i),
        password: prov.secrets.get(stationId(i)),
      })),
      sensors: TELEMETRY,
    }),
  );
  const influx = await startInfluxd({ dir: join(work, 'influx'), data: INFLUX_DATA });
  const influxProc: Proc = { name: 'influxd', child: influx.process, pid: influx.process.pid ?? 0 };
  const results: Record<string, unknown> = {
    stations: N,
    command: `npm run bench:ingest -- ${argv.join(' ')}`.trim(),
    holdS: HOLD_S,
    steps: STEPS,
    writer: { batchSize: Number(BATCH), maxInFlight: Number(IN_FLIGHT), flushInterval: FLUSH },
    influxData: INFLUX_DATA,
  };
  try {
    const runSystem = async (name: 'yizhan' | 'nodeRed'): Promise<SystemResult> => {
      const mqttPort = await freePort();
      const broker = nodeProc(
        'broker',
        join(ROOT, 'bench/ingest-broker.ts'),
        [prov.credFile, String(mqttPort)],
        { ...process.env, LOG_LEVEL: 'warn' },
        logs,
      );
      await sleep(1500);
      const procs: Proc[] = [influxProc, broker];
      let consumer: Proc;
      let metricsUrl: string | undefined;
      if (name === 'yizhan') {
        const httpPort = await freePort();
        metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
        consumer = nodeProc(
          'server',
          join(ROOT, 'server/src/main.ts'),
          [],
          {
            ...process.env,
            YIZHAN_HTTP_PORT: String(httpPort),
            YIZHAN_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
            YIZHAN_MQTT_USERNAME: 'server',
            YIZHAN_MQTT_PASSWORD: prov.secrets.get('server'),
            YIZHAN_MQTT_CLIENT_ID: 'server-bench',
            INFLUX_URL: influx.url,
            INFLUX_DB: 'yizhan',
            YIZHAN_DATA_DIR: join(work, 'server-data'),
            YIZHAN_STATIONS_DIR: prov.stationsDir,
            YIZHAN_INFLUX_BATCH_SIZE: BATCH,
            YIZHAN_INFLUX_MAX_IN_FLIGHT: IN_FLIGHT,
            YIZHAN_INFLUX_FLUSH_INTERVAL: FLUSH,
            YIZHAN_INFLUX_MAX_BUFFER_LINES: '100000',
            LOG_LEVEL: 'warn',
          },
          logs,
          false,
          flag('profile-server') ? ['--cpu-prof', `--cpu-prof-dir=${logs}`] : [],
        );
        await waitHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000);
      } else {
        await influxRows(influx.url, 'nodered', 'CREATE DATABASE "nodered"');
        const nr = await startNodeRed({
          workDir: work,
          logDir: logs,
          port: await freePort(),
          mqttPort,
          mqttUser: 'nodered',
          mqttPassword: prov.secrets.get('nodered') ?? '',
          influxPort: influx.port,
        });
        consumer = nr.proc;
        await sleep(3000);
      }
      procs.push(consumer);
      const lg = new Loadgen(
        nodeProc(
          'loadgen',
          join(ROOT, 'bench/loadgen.ts'),
          ['--url', `mqtt://127.0.0.1:${mqttPort}`, '--stations', stationsFile],
          process.env,
          logs,
          true,
        ),
      );
      procs.push(lg.p);
      try {
        await lg.ask({}, 'ready', 60_000);
        const t = Date.now();
        const c = await lg.ask<{ connected: number }>({ cmd: 'connect', concurrency: 500 }, 'connected');
        say(`${name}: ${c.connected}/${N} stations connected in ${Date.now() - t} ms`);
        lg.tell({ cmd: 'period', ms: Math.round(((N * PER_MSG) / (STEPS[0] ?? 15000)) * 1000) });
        lg.tell({ cmd: 'start' });
        const r = await ramp(
          name,
          lg,
          influx.url,
          name === 'yizhan' ? 'yizhan' : 'nodered',
          () => procs,
          metricsUrl,
        );
        if (name === 'yizhan' && flag('storm')) results.storm = await storm(lg, influx.url);
        return r;
      } finally {
        await lg.ask({ cmd: 'stop' }, 'stopped', 30_000).catch(() => undefined);
        await stopProc(lg.p, 5000);
        await stopProc(consumer);
        await stopProc(broker);
      }
    };
    results.yizhan = await runSystem('yizhan');
    results.nodeRed = flag('no-nodered') ? { note: 'skipped (--no-nodered)' } : await runSystem('nodeRed');
    // (a) InfluxDB ceiling, last: its background compactions must not slow the other runs.
    say('(a) InfluxDB ceiling: 20 s of 10,000-line batches, 3 writers');
    const s = new Sampler(() => [{ name: 'influxd', pid: influxProc.pid }]);
    s.begin();
    const ceil = await influxCeiling(influx.url, N, 20);
    results.influxCeiling = { ...ceil, procs: s.end() };
    say(`(a) ${JSON.stringify(results.influxCeiling)}`);
    await influxRows(influx.url, 'ceiling', 'DROP DATABASE "ceiling"');
  } finally {
    await influx.stop();
  }
  table(results);
  const out = join(ROOT, 'bench/results/ingest.json');
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  say(`wrote ${out}; logs in ${logs}`);
}

/** Reconnect storm at the default rate: all drop, all reconnect at once, redeliver, replay 6 messages each. */
async function storm(lg: Loadgen, influxUrl: string): Promise<Record<string, unknown>> {
  const period = 10_000;
  lg.tell({ cmd: 'period', ms: period });
  await sleep(2 * period);
  const before = await lg.stats();
  const t0 = Date.now();
  const r = await lg.ask<{ ms: number }>({ cmd: 'storm', replay: 6 }, 'storm');
  say(`storm: all ${N} reconnected in ${r.ms} ms`);
  await sleep(2 * period);
  const after = await lg.stats();
  // Every reading with a time in the minute before the storm must be stored exactly once (replays overwrite).
  const from = Math.floor((t0 - 60_000) / 1000) * 1000;
  const to = Math.floor(t0 / 1000) * 1000;
  const sent = Object.entries(after.sentBySecond).reduce(
    (a, [k, v]) => (Number(k) >= from / 1000 && Number(k) < to / 1000 ? a + v : a),
    0,
  );
  await sleep(5000);
  const stored = await countStored(influxUrl, 'yizhan', from, to);
  const res = {
    reconnectMs: r.ms,
    replayedMessages: after.replayedMessages - before.replayedMessages,
    redelivered: after.redelivered - before.redelivered,
    windowSent: sent,
    windowStored: stored,
  };
  say(`storm: ${JSON.stringify(res)}`);
  return res;
}

function table(r: Record<string, unknown>): void {
  const row = (name: string, x: unknown) => {
    const s = x as Partial<SystemResult> & { readingsPerSec?: number };
    const procs = Object.entries(s.procs ?? {})
      .map(([k, v]) => `${k} ${v.cpuPct}% ${v.rssMB}MB`)
      .join(', ');
    return `| ${name} | ${s.readingsPerSec ?? '—'} | ${s.lost ?? '—'} | ${s.p50Ms ?? '—'} | ${s.p99Ms ?? '—'} | ${procs || (s.note ?? '')} |`;
  };
  const lines = [
    `stations: ${N}, hold ${HOLD_S} s per step, steps ${STEPS.join(', ')} readings/s`,
    '| system | sustained readings/s | lost at step above | p50 ms | p99 ms | CPU (of one core) / peak RSS per process |',
    '|---|---|---|---|---|---|',
    row('(a) InfluxDB ceiling (direct /write)', r.influxCeiling),
    row('(b) yizhan end to end', r.yizhan),
    row('(c) Node-RED 4 + contrib-influxdb', r.nodeRed),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
