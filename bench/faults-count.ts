/**
 * The independent count of the fault test: what the counting controllers sent (their own log),
 * against what InfluxDB holds, per kill window.
 *
 * A reading is one channel of one READINGS frame: (station, n, sensor). Every point of a station's
 * sensors in InfluxDB is grouped with the points stored at the same time (one frame becomes one
 * message, all its points at one time); the two seq channels of the group give n, and every value
 * of the group is checked against what frame n carried.
 *
 * - stored: readings found with the value sent, at a time not before they were sent;
 * - wrongValue: points with another value, an earlier time, an n never sent, or no n at all
 *   (plus, for the record, readings stored twice at different times: `duplicates`);
 * - unheard: readings of a frame that left the controller while no agent process had the port open
 *   (from `unheardGraceMs` before the kill until the new agent's "serial port open") and of which no
 *   point is stored: the PTY discards them as a UART line would (docs/benchmarks.md);
 * - lost: sent, not stored, not unheard.
 */
import { influxql } from '../test/e2e/pipeline-helpers.js';
import { decodeN, stored, type CountingController } from './faults-controller.js';
import type { Kill } from './faults-stack.js';

export interface KillWindow {
  kill: Kill;
  round: number;
  /** Frames sent in [from, to) belong to this window. */
  from: number;
  to: number;
  killAt: number;
  /** Restart finished (ready) at. */
  readyAt: number;
  /** Agent kills: per station, when the new agent had the port open again. */
  portOpenAt?: Map<string, number>;
  /** Ready → everything sent so far (but unheard) found in InfluxDB, ms; undefined when it never caught up. */
  caughtUpMs?: number;
}

export interface FaultRow {
  kill: Kill;
  round: number;
  sent: number;
  stored: number;
  lost: number;
  wrongValue: number;
  unheard: number;
  duplicates: number;
  /** kill → ready again, ms (includes the restart delay). */
  downMs: number;
  caughtUpMs: number | null;
}

export interface Miss {
  kill: Kill;
  round: number;
  station: string;
  n: number;
  at: number;
  /** Sent this long after the kill of its window (negative: before it), ms. */
  afterKillMs: number;
  sensors: string[];
}

export interface Count {
  rows: FaultRow[];
  missing: Miss[];
  wrong: string[];
}

/** Readings of a frame sent before the kill may still sit unread in the PTY when the agent dies. */
export const UNHEARD_GRACE_MS = 250;

/** Frame sent at `at` by `station` may have gone unheard: sent while no agent had the port open. */
export function unheardCandidate(w: KillWindow, station: string, at: number): boolean {
  const open = w.portOpenAt?.get(station);
  return open !== undefined && at >= w.killAt - UNHEARD_GRACE_MS && at <= open;
}

const windowOf = (windows: readonly KillWindow[], at: number): number =>
  windows.findIndex((w) => at >= w.from && at < w.to);

/** Every point of the planned sensors of one station, grouped by time. */
async function pointsByTime(
  url: string,
  db: string,
  c: CountingController,
  since: number,
): Promise<Map<number, Map<string, number>>> {
  const kinds = [...new Set(c.plan.channels.map((x) => x.kind))].map((k) => `"${k}"`).join(',');
  const rows = await influxql(
    url,
    db,
    `SELECT "value" FROM ${kinds} WHERE "station" = '${c.plan.station}' AND time >= ${since}ms GROUP BY "sensor"`,
  );
  const byTime = new Map<number, Map<string, number>>();
  for (const r of rows) {
    const t = Number(r.time);
    const g = byTime.get(t) ?? new Map<string, number>();
    byTime.set(t, g);
    g.set(String(r.sensor), Number(r.value));
  }
  return byTime;
}

export async function countFaults(
  url: string,
  db: string,
  controllers: readonly CountingController[],
  windows: readonly KillWindow[],
): Promise<Count> {
  const rows: FaultRow[] = windows.map((w) => ({
    kill: w.kill,
    round: w.round,
    sent: 0,
    stored: 0,
    lost: 0,
    wrongValue: 0,
    unheard: 0,
    duplicates: 0,
    downMs: w.readyAt - w.killAt,
    caughtUpMs: w.caughtUpMs ?? null,
  }));
  const missing: Miss[] = [];
  const wrong: string[] = [];
  const since = Math.min(...windows.map((w) => w.from)) - 1000;
  for (const c of controllers) {
    const { plan, sentAt } = c;
    const width = plan.channels.length;
    const col = new Map(plan.channels.map((ch, i) => [ch.sensor, i]));
    const found = new Uint8Array(sentAt.length * width);
    const bad = (at: number, why: string, points: number) => {
      const w = windowOf(windows, at);
      const row = rows[w] ?? rows[rows.length - 1];
      if (row) row.wrongValue += points;
      if (wrong.length < 50) wrong.push(`${plan.station} ${new Date(at).toISOString()}: ${why}`);
    };
    for (const [t, g] of await pointsByTime(url, db, c, since)) {
      const n = decodeN(g.get(plan.hi), g.get(plan.lo));
      if (n === undefined || n >= sentAt.length || Number.isNaN(sentAt[n])) {
        bad(
          t,
          `${g.size} point(s) whose seq channels give no frame that was sent (${plan.hi}=${g.get(plan.hi)}, ${plan.lo}=${g.get(plan.lo)})`,
          g.size,
        );
        continue;
      }
      const sent = sentAt[n] ?? 0;
      for (const [sensor, value] of g) {
        const i = col.get(sensor);
        const ch = i === undefined ? undefined : plan.channels[i];
        if (i === undefined || !ch) {
          bad(sent, `frame ${n}: sensor ${sensor} was not sent`, 1);
          continue;
        }
        const want = stored(ch.kind, ch.raw(n));
        if (Math.abs(value - want) > 1e-9)
          bad(sent, `frame ${n} ${sensor}: stored ${value}, sent ${want}`, 1);
        else if (t < sent - 2)
          bad(sent, `frame ${n} ${sensor}: stored at ${t}, before it was sent (${sent})`, 1);
        else if (found[n * width + i]) {
          const row = rows[windowOf(windows, sent)];
          if (row) row.duplicates++;
        } else found[n * width + i] = 1;
      }
    }
    for (let n = 0; n < sentAt.length; n++) {
      const at = sentAt[n] ?? NaN;
      if (Number.isNaN(at)) continue;
      const w = windowOf(windows, at);
      const win = windows[w];
      const row = rows[w];
      if (!win || !row) throw new Error(`${plan.station} frame ${n} sent at ${at}: in no kill window`);
      let have = 0;
      const gone: string[] = [];
      for (let i = 0; i < width; i++)
        if (found[n * width + i]) have++;
        else gone.push(plan.channels[i]?.sensor ?? String(i));
      row.sent += width;
      row.stored += have;
      if (have === width) continue;
      if (have === 0 && unheardCandidate(win, plan.station, at)) {
        row.unheard += width;
        continue;
      }
      row.lost += width - have;
      missing.push({
        kill: win.kill,
        round: win.round,
        station: plan.station,
        n,
        at,
        afterKillMs: at - win.killAt,
        sensors: gone,
      });
    }
  }
  return { rows, missing, wrong };
}

/**
 * The missing frames for a failure message: consecutive frames of one station and kill in one line
 * (`st-004 n=142..175 (34 frames, 340 readings) sent -18..+4,990 ms after the broker kill of round 3`),
 * at most `max` lines.
 */
export function describeMissing(missing: readonly Miss[], max = 20): string {
  const runs: Miss[][] = [];
  for (const m of missing) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (
      run &&
      prev &&
      prev.station === m.station &&
      prev.kill === m.kill &&
      prev.round === m.round &&
      prev.n + 1 === m.n
    )
      run.push(m);
    else runs.push([m]);
  }
  const lines = runs.slice(0, max).map((run) => {
    const a = run[0] as Miss;
    const b = run[run.length - 1] as Miss;
    const readings = run.reduce((s, m) => s + m.sensors.length, 0);
    const ms = (x: number) => `${x >= 0 ? '+' : ''}${x.toLocaleString('en')}`;
    const span = a === b ? `n=${a.n}` : `n=${a.n}..${b.n}`;
    const sensors = run.every((m) => m.sensors.length === a.sensors.length) ? '' : ' (some channels only)';
    return `${a.station} ${span} (${run.length} frame(s), ${readings} readings${sensors}) sent ${new Date(a.at).toISOString()}, ${ms(a.afterKillMs)}..${ms(b.afterKillMs)} ms after the ${a.kill} kill of round ${a.round}`;
  });
  if (runs.length > max) lines.push(`… and ${runs.length - max} more runs of missing frames`);
  return lines.join('\n');
}
