/**
 * Helpers for the field tests (outage, crash, spool bound): a pausable clock for simulators, the
 * agents process (agents-proc.ts) that can be SIGKILLed, a broker that goes down and comes back on
 * the same port admitting the server first, and InfluxQL counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Frame } from '@yizhan/protocol/serial';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startTestBroker, waitFor, type TestBroker, type TestBrokerOptions } from './helpers.js';

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
export async function gatedBroker(
  admitWhileClosed: string[],
  onPublish?: TestBrokerOptions['onPublish'],
): Promise<{
  url: string;
  /** Resolves with the messages it still had to deliver to the admitted clients when the stations went. */
  down(): Promise<number>;
  up(): Promise<void>;
  open(): void;
  close(): Promise<void>;
}> {
  let gate = true;
  const admit = (id: string): boolean => gate || admitWhileClosed.some((p) => id.startsWith(p));
  let b: TestBroker | undefined = await startTestBroker(0, { admit, onPublish });
  const port = b.port;
  return {
    url: b.url,
    async down() {
      const cur = b;
      if (!cur) return 0;
      // The stations' side goes away first: their connections break (no DISCONNECT, as in a
      // network failure) and they cannot come back. What a station had sent and the broker had not
      // acknowledged (PUBACK) is the station's to send again.
      gate = false;
      const clients = () =>
        Object.keys((cur.aedes as unknown as { clients: Record<string, unknown> }).clients);
      for (const id of clients()) if (!admitWhileClosed.some((p) => id.startsWith(p))) cur.killClient(id);
      // What it did acknowledge, the station has forgotten: the broker owes it to its subscribers
      // (QoS 1). A broker that keeps sessions across a restart (the product broker with
      // YIZHAN_REDIS_URL) still delivers it; this in-memory one would lose it with the process, a
      // loss no agent can prevent (1 outage run in 3 under load failed on it). So it goes down only
      // once the admitted clients (the server) have acknowledged every message it holds for them.
      const held = await pendingOutgoing(cur, clients());
      await waitForAsync(
        'the broker delivered what it acknowledged',
        async () => ((await pendingOutgoing(cur, clients())) === 0 ? true : undefined),
        20_000,
      );
      await cur.close();
      b = undefined;
      return held;
    },
    async up() {
      gate = false;
      b = await startTestBroker(port, { admit, onPublish });
    },
    open() {
      gate = true;
    },
    async close() {
      await b?.close();
    },
  };
}

/** QoS 1 messages the broker sent to these clients and holds until they acknowledge (PUBACK). */
async function pendingOutgoing(b: TestBroker, ids: readonly string[]): Promise<number> {
  const persistence = (
    b.aedes as unknown as { persistence: { outgoingStream(c: { id: string }): AsyncIterable<unknown> } }
  ).persistence;
  let n = 0;
  for (const id of ids) for await (const _ of persistence.outgoingStream({ id })) n++;
  return n;
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
