/**
 * When the fault run may go on: the system has caught up when every frame sent before a cutoff is in
 * InfluxDB, except frames that may have gone unheard (sent while an agent was dead).
 *
 * Cheap enough to poll: one count per station of the points of its first seq channel, corrected
 * for the unheard candidates that were stored after all (an agent read them just before it died):
 * those are decoded from the few points around each agent kill.
 */
import { influxql } from '../test/e2e/pipeline-helpers.js';
import { decodeN, type CountingController } from './faults-controller.js';
import { unheardCandidate, type KillWindow } from './faults-count.js';

/** Frames of each station whose first seq channel is in InfluxDB since `since`. */
async function storedFrames(url: string, db: string, since: number, controllers: readonly CountingController[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const q = `SELECT count("value") FROM "socket_power" WHERE time >= ${since}ms GROUP BY "station", "sensor"`;
  for (const r of await influxql(url, db, q))
    if (controllers.some((c) => c.plan.station === r.station && c.plan.hi === r.sensor)) out.set(String(r.station), Number(r.count));
  return out;
}

/** Frame numbers of `c` stored with a time in [from, to]. */
async function storedNs(url: string, db: string, c: CountingController, from: number, to: number): Promise<Set<number>> {
  const q = `SELECT "value" FROM "socket_power" WHERE "station" = '${c.plan.station}' AND ("sensor" = '${c.plan.hi}' OR "sensor" = '${c.plan.lo}') AND time >= ${Math.floor(from)}ms AND time <= ${Math.ceil(to)}ms GROUP BY "sensor"`;
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

export async function caughtUp(
  url: string,
  db: string,
  since: number,
  controllers: readonly CountingController[],
  windows: readonly KillWindow[],
  before: number,
): Promise<boolean> {
  try {
    const have = await storedFrames(url, db, since, controllers);
    for (const c of controllers) {
      const station = c.plan.station;
      const candidates = new Set<number>();
      let want = 0;
      c.sentAt.forEach((at, n) => {
        if (Number.isNaN(at) || at >= before) return;
        if (windows.some((w) => unheardCandidate(w, station, at))) candidates.add(n);
        else want++;
      });
      for (const w of windows) {
        const open = w.portOpenAt?.get(station);
        if (open === undefined) continue;
        // Stored times are when an agent read the frame: before the kill, or once the new one is up.
        for (const n of await storedNs(url, db, c, w.killAt - 2000, open + 10_000)) if (candidates.has(n)) want++;
      }
      if ((have.get(station) ?? 0) < want) return false;
    }
    return true;
  } catch {
    return false; // InfluxDB restarting, the database not created yet
  }
}
