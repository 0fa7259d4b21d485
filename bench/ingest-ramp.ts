/**
 * One system's ramp in bench:ingest: the offered rate raised step by step (N stations, 15 readings
 * per message, the period shortened per step); each step warms up, is held `holdS` seconds and is
 * measured: readings sent, skipped and stored (loss), probe latency, CPU/RSS per process and, for
 * yizhan, the server's own histograms and event-loop lag between two scrapes. A step passes with
 * zero loss and p99 < 1 s; the sustained rate is the highest passing step.
 */
import { valueOf } from '../test/helpers/prom.js';
import { TELEMETRY, countStored, pct, sleep } from './ingest-lib.js';
import type { Loadgen } from './ingest-loadgen.js';
import { histQuantiles, probe, type StepResult, type SystemResult } from './ingest-measure.js';
import { Sampler, type Proc } from './ingest-procs.js';

export interface RampOptions {
  stations: number;
  /** Offered readings/s of each step. */
  steps: number[];
  /** Seconds each step is held (measured). */
  holdS: number;
  /** Warm-up before each step, at least, s (at least one period + 3 s anyway). */
  warmS: number;
  say: (line: string) => void;
}

const PER_MSG = TELEMETRY.length;

export async function ramp(
  o: RampOptions,
  name: string,
  lg: Loadgen,
  influxUrl: string,
  db: string,
  procs: () => Proc[],
  metricsUrl?: string,
): Promise<SystemResult> {
  const scrape = async () => (metricsUrl ? await (await fetch(metricsUrl)).text() : '');
  const sampler = new Sampler(() => procs().map((p) => ({ name: p.name, pid: p.pid })));
  const pr = probe(influxUrl, db, o.stations);
  const steps: StepResult[] = [];
  try {
    for (const rate of o.steps) {
      const periodMs = Math.round(((o.stations * PER_MSG) / rate) * 1000);
      lg.tell({ cmd: 'period', ms: periodMs });
      // Warm up for at least one period, so every station has sent at the new rate (and every series exists).
      const warm = Math.max(o.warmS * 1000, periodMs + 3000);
      o.say(`${name}: ${rate} readings/s (period ${periodMs} ms), warm-up ${warm / 1000} s, hold ${o.holdS} s`);
      await sleep(warm);
      const t0 = Math.ceil(Date.now() / 1000) * 1000;
      await sleep(t0 - Date.now());
      sampler.begin();
      const m0 = await scrape();
      const q0 = pr.queryMs.length;
      const t1 = t0 + o.holdS * 1000;
      await sleep(t1 - Date.now() + 50);
      const procStats = sampler.end();
      const m1 = await scrape();
      const server = histQuantiles(m0, m1);
      const writes = histQuantiles(m0, m1, 'yizhan_influx_write_duration_seconds', { outcome: 'ok' });
      const enqueue = histQuantiles(m0, m1, 'yizhan_influx_enqueue_age_seconds');
      const gauge = (n: string) => Math.round((valueOf(m1, n) ?? NaN) * 1000);
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
        offered: Math.round((sent + skipped) / o.holdS),
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
      o.say(
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
    readingsPerSec: best ? (o.steps[bi] ?? 0) : 0,
    lost: above ? above.lost : null,
    p50Ms: best?.p50Ms ?? NaN,
    p99Ms: best?.p99Ms ?? NaN,
    steps,
    procs: (best ?? steps[0])?.procs ?? {},
  };
}
