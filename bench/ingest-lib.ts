/**
 * Helpers of bench:ingest: synthetic province (station configs, credentials), InfluxQL over fetch,
 * the InfluxDB ceiling run, and the open-file plan (child processes: bench/ingest-procs.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { provisionAccounts } from '@yizhan/broker';

export const TOWNSHIPS = [
  '城关镇',
  '新塘镇',
  '桃源乡',
  '溪口镇',
  '白沙镇',
  '石门镇',
  '长乐乡',
  '青山镇',
  '临江镇',
  '古城乡',
];
export const SOCKETS = 5;
/** Telemetry readings of one message: every sensor but the door (15 with 5 sockets). */
export const TELEMETRY = [
  { sensor: 'occupancy', kind: 'occupancy' },
  { sensor: 'ambient', kind: 'ambient_temp' },
  ...Array.from({ length: SOCKETS }, (_, i) => ({ sensor: `socket-${i + 1}`, kind: 'socket_state' })),
  ...Array.from({ length: SOCKETS }, (_, i) => ({ sensor: `socket-${i + 1}-power`, kind: 'socket_power' })),
  { sensor: 'water-temp', kind: 'water_temp' },
  { sensor: 'heater', kind: 'heater' },
  { sensor: 'water-level', kind: 'water_level' },
];
export const MEASUREMENTS = [...new Set(TELEMETRY.map((t) => t.kind))];

export const stationId = (i: number) => `st-${String(i + 1).padStart(5, '0')}`;
export const townshipOf = (i: number) => TOWNSHIPS[i % TOWNSHIPS.length] ?? '城关镇';

/** N station YAML files (the sample conventions, 5 sockets) and one account each (+ server, nodered). */
export async function makeProvince(
  dir: string,
  n: number,
): Promise<{ stationsDir: string; secrets: Map<string, string>; credFile: string }> {
  const stationsDir = join(dir, 'stations');
  mkdirSync(stationsDir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const id = stationId(i);
    const cfg = {
      id,
      name: `压测${i + 1}号驿站`,
      nameEn: `Bench Station ${i + 1}`,
      township: townshipOf(i),
      address: `压测路${i + 1}号`,
      location: { lat: 30, lon: 120 },
      seats: 10,
      sockets: SOCKETS,
      hours: '00:00-24:00',
      dispenser: { model: 'BENCH-1', setpointC: 95 },
      serial: { path: '/dev/null', baudRate: 115200 },
      sensors: [
        { channel: 1, id: 'door', kind: 'door' },
        { channel: 2, id: 'occupancy', kind: 'occupancy' },
        { channel: 3, id: 'ambient', kind: 'ambient_temp' },
        ...Array.from({ length: SOCKETS }, (_, k) => ({
          channel: 10 + k,
          id: `socket-${k + 1}`,
          kind: 'socket_state',
        })),
        ...Array.from({ length: SOCKETS }, (_, k) => ({
          channel: 40 + k,
          id: `socket-${k + 1}-power`,
          kind: 'socket_power',
        })),
        { channel: 80, id: 'water-temp', kind: 'water_temp' },
        { channel: 81, id: 'heater', kind: 'heater' },
        { channel: 82, id: 'water-level', kind: 'water_level' },
      ],
    };
    writeFileSync(join(stationsDir, `${id}.yaml`), stringify(cfg));
  }
  const credFile = join(dir, 'credentials.json');
  // scrypt N=1024 instead of the production 32768: 20,000 connects cost seconds, not minutes (see docs).
  const secrets = await provisionAccounts(
    credFile,
    [
      ...Array.from({ length: n }, (_, i) => ({ username: stationId(i), role: 'station' as const })),
      { username: 'server', role: 'server' as const },
      { username: 'nodered', role: 'server' as const },
    ],
    { params: { algo: 'scrypt', N: 1024, r: 8, p: 1, keyLen: 32 } },
  );
  return { stationsDir, secrets, credFile };
}

/** InfluxQL rows of the first statement. */
export async function influxRows(url: string, db: string, q: string): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`, {
    signal: AbortSignal.timeout(30_000),
    method: /^\s*(SELECT|SHOW)/i.test(q) && !/\bINTO\b/i.test(q) ? 'GET' : 'POST',
  });
  const body = (await r.json()) as {
    results?: {
      error?: string;
      series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
    }[];
    error?: string;
  };
  const res = body.results?.[0];
  if (body.error || res?.error) throw new Error(`InfluxQL ${q.slice(0, 80)}: ${body.error ?? res?.error}`);
  const rows: Record<string, unknown>[] = [];
  for (const s of res?.series ?? [])
    for (const v of s.values) {
      const row: Record<string, unknown> = { ...s.tags };
      s.columns.forEach((c, i) => (row[c] = v[i]));
      rows.push(row);
    }
  return rows;
}

/** Telemetry points stored with a time in [fromMs, toMs). */
export async function countStored(url: string, db: string, fromMs: number, toMs: number): Promise<number> {
  const from = MEASUREMENTS.map((m) => `"${m}"`).join(',');
  const rows = await influxRows(
    url,
    db,
    `SELECT count("value") FROM ${from} WHERE time >= ${fromMs}ms AND time < ${toMs}ms`,
  );
  return rows.reduce((a, r) => a + Number(r.count ?? 0), 0);
}

/**
 * InfluxDB's own ceiling: line protocol of the same shape (N stations × 15 series) posted straight to
 * /write in batches of `batch` lines, `concurrency` at a time, for `seconds`. Returns points/s.
 */
export async function influxCeiling(
  url: string,
  n: number,
  seconds: number,
  batch = 10_000,
  concurrency = 3,
): Promise<{ readingsPerSec: number; p50Ms: number; p99Ms: number }> {
  await influxRows(url, 'ceiling', 'CREATE DATABASE "ceiling"');
  const keys: string[] = [];
  for (let i = 0; i < n; i++)
    for (const t of TELEMETRY)
      keys.push(`${t.kind},sensor=${t.sensor},station=${stationId(i)},township=${townshipOf(i)} value=`);
  let k = 0;
  let ts = Date.now() - 3_600_000;
  const body = () => {
    let s = '';
    for (let j = 0; j < batch; j++) {
      s += `${keys[k]}${(k % 97) / 2} ${ts}\n`;
      if (++k === keys.length) {
        k = 0;
        ts++;
      }
    }
    return s;
  };
  // Create every series first (InfluxDB's ceiling in steady state, not its series creation rate).
  for (let done = 0; done < keys.length; done += batch) {
    const r = await fetch(`${url}/write?db=ceiling&precision=ms`, { method: 'POST', body: body() });
    if (r.status !== 204) throw new Error(`ceiling write: HTTP ${r.status} ${await r.text()}`);
  }
  let points = 0;
  const lat: number[] = [];
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const b = body();
        const s = Date.now();
        const r = await fetch(`${url}/write?db=ceiling&precision=ms`, { method: 'POST', body: b });
        if (r.status !== 204) throw new Error(`ceiling write: HTTP ${r.status} ${await r.text()}`);
        lat.push(Date.now() - s);
        points += batch;
      }
    }),
  );
  const dt = (Date.now() - t0) / 1000;
  return { readingsPerSec: Math.round(points / dt), p50Ms: pct(lat, 50), p99Ms: pct(lat, 99) };
}

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitHttp(
  url: string,
  timeoutMs: number,
  ok = (s: number) => s === 200 || s === 204,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (ok((await fetch(url)).status)) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(250);
  }
}

/**
 * Open-file limit (ulimit -n) of this process, which the broker, server, influxd and load
 * generator inherit. Tries to raise the soft limit to `want` with prlimit (up to the hard limit;
 * root with CAP_SYS_RESOURCE can raise the hard limit too). Never throws: returns what it got.
 */
export function raiseOpenFiles(want: number): { before: number; now: number; hard: number } {
  const read = () => {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const num = (x: string | undefined) => (x === undefined || x === 'unlimited' ? Infinity : Number(x));
    return { soft: num(m?.[1]), hard: num(m?.[2]) };
  };
  const before = read();
  if (before.soft < want) {
    for (const hard of [Math.max(want, before.hard), before.hard]) {
      const soft = Math.min(want, hard);
      if (soft <= before.soft) continue;
      try {
        execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard === Infinity ? 'unlimited' : hard}`], { stdio: 'pipe' });
        break;
      } catch {
        /* not allowed: try without raising the hard limit */
      }
    }
  }
  const now = read();
  return { before: before.soft, now: now.soft, hard: now.hard };
}

/**
 * Processes for N stations within the open-file limit: each load generator process and each
 * broker process holds one socket per station it serves (plus ~1,000 other files), and a broker
 * up to two per station during a reconnect storm (old connections not yet closed beside the new).
 */
export function planProcesses(n: number) {
  const files = raiseOpenFiles(2 * n + 4096);
  const usable = files.now - 1024;
  const loadgenShards = Math.ceil(n / usable);
  const brokers = Math.ceil(n / usable);
  const perBroker = Math.ceil(n / brokers);
  const stormFits = 2 * perBroker <= usable;
  const note =
    `open-file limit ${files.now}${files.now > files.before ? ` (raised from ${files.before})` : ''}, hard ${files.hard}: ` +
    `${loadgenShards} load generator process(es), ${brokers} broker process(es)${brokers > 1 ? ' on Redis' : ''}` +
    (stormFits
      ? ''
      : `; during a storm a broker may reach its limit while old connections are still open (${2 * perBroker} > ${usable}): refused connects are retried with backoff`);
  return { openFiles: files, loadgenShards, brokers, stormFits, note };
}
