/**
 * The past of `npm start`'s demo: weeks of what the sample stations would have sent, as MQTT
 * payloads of @yizhan/protocol (telemetry and door events, `historical: true`, each station its own
 * bootId and seq), built by a small deterministic model so the demo is the same every time:
 *
 * - people inside: the simulator's day profile (`demandAt`: lunch and dinner peaks) × the station's
 *   busyness × the day of the week (Saturday 0.75, Sunday 0.65) × a day-to-day factor, with noise,
 *   never above the seats; zero while the station is closed;
 * - busyness by a fixed draw of the seed: one station far busier than the rest (full through
 *   both meal times), four near saturation at the peaks, five nearly empty, the others between;
 * - door openings while full: riders who find no seat (more the further demand exceeds the seats);
 * - sockets: e-bike batteries (60–400 W, about 100 min) and phones (5–20 W, about 45 min) plugged in
 *   more at busy hours, the power tapering near the end of a charge; the heater on more at meals.
 *
 * Kept small so the first start stays quick: one telemetry message per station every
 * {@link HISTORY_STEP_MS} while it is open (closed hours carry no planning figure); the first message
 * of a station has every socket, later ones the sockets whose state changed and the power of those
 * charging (and a last 0 W); the door reads closed once, then only its openings come as events; the
 * water and room sensors are left out (the planners' figures do not read them).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { isOpenAt, localMinuteOfDay, parseOpeningHours, type OpeningHours } from '@yizhan/station-config/hours';
import { hashSeed, Random } from '@yizhan/common/prng';
import { demandAt } from '@yizhan/edge/simulator';

export const HISTORY_STEP_MS = 30 * 60_000;
const DAY = 86_400_000;
/** People inside relative to weekday demand, Monday first. */
export const WEEKDAY_FACTOR = [1, 1, 1, 1, 1, 0.75, 0.65] as const;
/** A door opening while full is followed by its closing this much later. */
const DOOR_OPEN_MS = 15_000;

export interface HistoryMessage {
  stationId: string;
  leaf: 'telemetry' | 'events';
  ts: number;
  payload: object;
}

interface Reading {
  sensor: string;
  kind: string;
  value: number;
}

interface Charge {
  endTs: number;
  startTs: number;
  ratedW: number;
  knee: number;
}

/** One station's model state. */
class StationHistory {
  readonly bootId: string;
  seq = 0;
  private readonly rng: Random;
  private readonly hours: OpeningHours;
  private readonly door: string | undefined;
  private readonly occupancy: string | undefined;
  private readonly heater: string | undefined;
  private readonly socketStates: string[];
  private readonly socketPowers: string[];
  private readonly charges: (Charge | undefined)[];
  private dayFactor = 1;
  private day = -1;
  /** Socket states as last sent; undefined before the first message. */
  private sent: number[] | undefined;

  constructor(
    readonly config: StationConfig,
    readonly busyness: number,
    seed: number,
    private readonly utcOffsetMin: number,
  ) {
    this.rng = new Random(hashSeed('demo-history', seed, config.id));
    this.bootId = `history-${config.id}-${seed}`;
    this.hours = parseOpeningHours(config.hours);
    const ids = (kind: string) => config.sensors.filter((s) => s.kind === kind).sort((a, b) => a.channel - b.channel).map((s) => s.id);
    [this.door] = ids('door');
    [this.occupancy] = ids('occupancy');
    [this.heater] = ids('heater');
    this.socketStates = ids('socket_state');
    this.socketPowers = ids('socket_power');
    this.charges = this.socketStates.map(() => undefined);
  }

  private envelope(ts: number) {
    return { v: 1, stationId: this.config.id, bootId: this.bootId, seq: this.seq++, ts, historical: true };
  }

  /** The messages of one step starting at `ts`, in time order. */
  step(ts: number, out: HistoryMessage[]): void {
    const minute = localMinuteOfDay(ts, this.utcOffsetMin);
    const localDay = Math.floor((ts + this.utcOffsetMin * 60_000) / DAY);
    if (localDay !== this.day) {
      this.day = localDay;
      this.dayFactor = this.rng.range(0.85, 1.15);
    }
    const weekday = WEEKDAY_FACTOR[(localDay + 3) % 7] ?? 1;
    const open = isOpenAt(this.hours, minute);
    const seats = this.config.seats;
    const want = open ? seats * this.busyness * demandAt(minute) * weekday * this.dayFactor : 0;
    const people = Math.max(0, Math.min(seats, Math.round(want + Math.sqrt(want) * this.rng.normal())));
    if (!open) return;
    const readings: Reading[] = [];
    if (this.door && !this.sent) readings.push({ sensor: this.door, kind: 'door', value: 0 });
    if (this.occupancy) readings.push({ sensor: this.occupancy, kind: 'occupancy', value: people });
    if (this.heater)
      readings.push({ sensor: this.heater, kind: 'heater', value: this.rng.chance(0.15 + 0.4 * demandAt(minute)) ? 1 : 0 });
    this.sockets(ts, demandAt(minute) * weekday, readings);
    out.push({ stationId: this.config.id, leaf: 'telemetry', ts, payload: { ...this.envelope(ts), readings } });
    if (this.door && seats > 0 && people >= seats && want > seats) this.turnedAway(ts, (want - seats) / seats, out);
  }

  /** Riders who open the door, see every seat taken and leave. */
  private turnedAway(ts: number, excess: number, out: HistoryMessage[]): void {
    const n = Math.min(4, Math.floor(excess * 3 + this.rng.float()));
    const at = Array.from({ length: n }, () => ts + 60_000 + Math.floor(this.rng.float() * (HISTORY_STEP_MS - 3 * 60_000)))
      .sort((a, b) => a - b);
    let last = -Infinity;
    for (const t of at) {
      if (t < last + DOOR_OPEN_MS + 1000) continue;
      last = t;
      const door = this.door as string;
      for (const [when, value] of [[t, 1], [t + DOOR_OPEN_MS, 0]] as const)
        out.push({
          stationId: this.config.id,
          leaf: 'events',
          ts: when,
          payload: { ...this.envelope(when), event: { type: 'state', sensor: door, kind: 'door', value } },
        });
    }
  }

  /** Plug-ins, charges ending, and each socket's state and power now. */
  private sockets(ts: number, demand: number, readings: Reading[]): void {
    const perStep = Math.min(0.9, (0.04 + 1.1 * demand) * Math.min(1.6, this.busyness) * 0.5);
    const first = !this.sent;
    const sent = (this.sent ??= this.charges.map(() => 0));
    for (let i = 0; i < this.charges.length; i++) {
      let c = this.charges[i];
      if (c && ts >= c.endTs) c = this.charges[i] = undefined;
      if (!c && this.rng.chance(perStep)) c = this.charges[i] = this.plugIn(ts);
      const state = c ? 1 : 0;
      const changed = first || state !== sent[i];
      sent[i] = state;
      if (changed) readings.push({ sensor: this.socketStates[i] as string, kind: 'socket_state', value: state });
      const power = this.socketPowers[i];
      if (power && (c || changed)) readings.push({ sensor: power, kind: 'socket_power', value: c ? powerAt(c, ts) : 0 });
    }
  }

  private plugIn(ts: number): Charge {
    const ebike = this.rng.chance(0.65);
    const minutes = ebike ? this.rng.logNormal(100, 0.5, 20, 300) : this.rng.logNormal(45, 0.5, 10, 150);
    return {
      startTs: ts,
      endTs: ts + Math.round(minutes * 60_000),
      ratedW: ebike ? this.rng.range(60, 400) : this.rng.range(5, 20),
      knee: ebike ? 0.8 : 0.6,
    };
  }
}

/** Watts a charge draws at `ts`: flat, then tapering after its knee; one decimal. */
function powerAt(c: Charge, ts: number): number {
  const progress = (ts - c.startTs) / Math.max(1, c.endTs - c.startTs);
  const shape = progress < c.knee ? 1 : 1 - 0.85 * ((progress - c.knee) / (1 - c.knee));
  return Math.round(c.ratedW * shape * 10) / 10;
}

/**
 * Busyness per station (1 ≈ the seats just fill at the lunch peak on a weekday): a fixed draw of
 * the seed ranks the stations; the first is the busiest (3), the next four near saturation
 * (1.15–1.35), the last five nearly empty (0.05–0.1), the others 0.45–1.05.
 */
export function busynessOf(stationIds: readonly string[], seed: number): Map<string, number> {
  const order = [...stationIds].sort((a, b) => hashSeed('demo-rank', seed, a) - hashSeed('demo-rank', seed, b) || a.localeCompare(b));
  const out = new Map<string, number>();
  order.forEach((id, i) => {
    const rng = new Random(hashSeed('demo-busyness', seed, id));
    if (i === 0) out.set(id, 3);
    else if (i <= 4) out.set(id, rng.range(1.15, 1.35));
    else if (i >= order.length - 5) out.set(id, rng.range(0.05, 0.1));
    else out.set(id, rng.range(0.45, 1.05));
  });
  return out;
}

export interface HistoryRange {
  /** Unix ms, inclusive; steps start here. */
  from: number;
  /** Unix ms, exclusive. */
  to: number;
  seed: number;
  /** The county's offset from UTC, minutes (480 for China). */
  utcOffsetMin: number;
}

/**
 * Every message of the range, all stations step by step, each step in time order; `progress` gets
 * the share of the range done after each step.
 */
export function* historyMessages(
  stations: readonly StationConfig[],
  r: HistoryRange,
  progress?: (share: number) => void,
): Generator<HistoryMessage[]> {
  const busy = busynessOf(stations.map((s) => s.id), r.seed);
  const models = stations.map((s) => new StationHistory(s, busy.get(s.id) ?? 0.5, r.seed, r.utcOffsetMin));
  for (let ts = r.from; ts < r.to; ts += HISTORY_STEP_MS) {
    const out: HistoryMessage[] = [];
    for (const m of models) m.step(ts, out);
    yield out.sort((a, b) => a.ts - b.ts);
    progress?.(Math.min(1, (ts + HISTORY_STEP_MS - r.from) / (r.to - r.from)));
  }
}
