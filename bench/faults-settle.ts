/**
 * When the fault run may go on: the system has caught up when every frame sent in the current
 * window (from `from` until a cutoff) is in InfluxDB, except frames that may have gone unheard (sent
 * while an agent was dead) and are not stored. Exact and cheap enough to poll: the two seq channels
 * of the points stored since `from` (a frame is stored at the time an agent read it, never before it
 * was sent) give the frame numbers found.
 */
import { influxql } from '../test/e2e/pipeline-helpers.js';
import { decodeN, type CountingController } from './faults-controller.js';
import { unheardCandidate, type KillWindow } from './faults-count.js';

/** Frame numbers of `c` stored with a time from `from` on. */
async function storedNs(url: string, db: string, c: CountingController, from: number): Promise<Set<number>> {
  const q = `SELECT "value" FROM "socket_power" WHERE "station" = '${c.plan.station}' AND ("sensor" = '${c.plan.hi}' OR "sensor" = '${c.plan.lo}') AND time >= ${Math.floor(from)}ms GROUP BY "sensor"`;
  const byTime = new Map<number, { hi?: number; lo?: number }>();
  for (const r of await influxql(url, db, q)) {
    const g = byTime.get(Number(r.time)) ?? {};
    byTime.set(Number(r.time), g);
    if (r.sensor === c.plan.hi) g.hi = Number(r.value);
    else g.lo = Number(r.value);
  }
  const out = new Set<number>();
  for (const g of byTime.values()) {
    const n = decodeN(g.hi, g.lo);
    if (n !== undefined) out.add(n);
  }
  return out;
}

/** Every frame sent in [from, before) is stored, or may have gone unheard and is not. */
export async function caughtUp(
  url: string,
  db: string,
  controllers: readonly CountingController[],
  windows: readonly KillWindow[],
  from: number,
  before: number,
): Promise<boolean> {
  try {
    for (const c of controllers) {
      const found = await storedNs(url, db, c, from);
      for (let n = 0; n < c.sentAt.length; n++) {
        const at = c.sentAt[n] ?? NaN;
        if (Number.isNaN(at) || at < from || at >= before || found.has(n)) continue;
        if (!windows.some((w) => unheardCandidate(w, c.plan.station, at))) return false;
      }
    }
    return true;
  } catch {
    return false; // InfluxDB restarting, the database not created yet
  }
}

/**
 * Poll (every 500 ms) until everything sent since `from` until `upTo` is stored, or `deadline`
 * passes. Without `upTo`: until 1 s before each poll (the newest are on their way). Resolves true
 * when caught up.
 */
export async function untilCaughtUp(
  url: string,
  db: string,
  controllers: readonly CountingController[],
  windows: readonly KillWindow[],
  from: number,
  deadline: number,
  upTo?: number,
): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await caughtUp(url, db, controllers, windows, from, upTo ?? Date.now() - 1000)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
