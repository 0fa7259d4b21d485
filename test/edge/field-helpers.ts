/**
 * Helpers for the field tests (outage, crash, spool bound): a pausable clock for simulators, the
 * agents process (agents-proc.ts) that can be SIGKILLed, a broker that goes down and comes back on
 * the same port admitting the server first, and InfluxQL counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Frame } from '../../protocol/src/serial/frames.js';
import type { StationConfig } from '../../firmware-config/src/schema.js';
import { startTestBroker, waitFor, type TestBroker } from './helpers.js';

/** Simulated controllers follow this clock: rate 0 pauses them (nothing is sent). */
export class PausableClock {
  private base = Date.now();
  private at = Date.now();
  private rate = 1;
  now(): number {
    return this.base + (Date.now() - this.at) * this.rate;
  }
  setRate(rate: number): void {
    this.base = this.now();
    this.at = Date.now();
    this.rate = rate;
  }
}

export interface ProcStats {
  depth: number;
  serialUp: number;
  portsOpen: number;
  /** Good frames read by all agents of this process since it started. */
  framesGood: number;
  dropped: number;
  agents: number;
}

export interface AgentsProc {
  child: ChildProcess;
  last(): ProcStats | undefined;
  waitFor(what: string, pred: (s: ProcStats) => boolean, timeoutMs?: number): Promise<ProcStats>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function startAgentsProc(settings: Record<string, unknown>): AgentsProc {
  // node itself (not npx → tsx → node), so that SIGKILL hits the process holding the agents.
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/edge/agents-proc.ts'], {
    env: { ...process.env, YZ_AGENTS: JSON.stringify(settings), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: ProcStats | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      last = JSON.parse(l) as ProcStats;
    } catch {
      // not a stats line
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    last: () => last,
    waitFor: (what, pred, timeoutMs = 30_000) =>
      waitFor(what, () => (last && pred(last) ? last : undefined), timeoutMs),
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** A broker that goes down and comes back on the same port; while `gate` is closed only admitted prefixes connect. */
export async function gatedBroker(admitWhileClosed: string[]): Promise<{
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  open(): void;
  close(): Promise<void>;
}> {
  let gate = true;
  const admit = (id: string): boolean => gate || admitWhileClosed.some((p) => id.startsWith(p));
  let b: TestBroker | undefined = await startTestBroker(0, { admit });
  const port = b.port;
  return {
    url: b.url,
    async down() {
      await b?.close();
      b = undefined;
    },
    async up() {
      gate = false;
      b = await startTestBroker(port, { admit });
    },
    open() {
      gate = true;
    },
    async close() {
      await b?.close();
    },
  };
}

/** Sensor points a frame becomes in InfluxDB (readings and state events of configured channels). */
export function pointsOf(station: StationConfig, f: Frame): number {
  const configured = new Set(station.sensors.map((s) => s.channel));
  if (f.type === 'readings') return f.readings.filter((r) => configured.has(r.channel)).length;
  if (f.type === 'event') return configured.has(f.channel) ? 1 : 0;
  return 0;
}

export const SENSOR_MEASUREMENTS = [
  'door',
  'occupancy',
  'ambient_temp',
  'socket_state',
  'socket_power',
  'water_temp',
  'heater',
  'water_level',
];

/** count(value) of all sensor measurements per station between two times (ms, inclusive). */
export async function influxCounts(
  influxUrl: string,
  fromMs: number,
  toMs: number,
): Promise<Map<string, number>> {
  const q = `SELECT count("value") FROM ${SENSOR_MEASUREMENTS.map((m) => `"${m}"`).join(',')} WHERE time >= ${fromMs}ms AND time <= ${toMs}ms GROUP BY "station"`;
  const res = await fetch(`${influxUrl}/query?db=yizhan&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    results: { series?: { tags?: { station?: string }; values: [string, number][] }[]; error?: string }[];
  };
  const r = body.results[0];
  if (r?.error) throw new Error(`InfluxQL: ${r.error}`);
  const out = new Map<string, number>();
  for (const s of r?.series ?? []) {
    const st = s.tags?.station ?? '?';
    out.set(st, (out.get(st) ?? 0) + (s.values[0]?.[1] ?? 0));
  }
  return out;
}

export const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Poll an async check until it gives a value; throws naming `what` after the timeout. */
export async function waitForAsync<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
