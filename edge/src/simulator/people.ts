/**
 * Riders coming and going, and the door they open. Time is in whole simulated seconds.
 */
import type { FaultName, SensorKindName } from '@yizhan/protocol/serial';
import { demandAt, isOpenAt, medianStayMin, type OpeningHours } from './daily.js';
import type { Random } from '@yizhan/common/prng';

/** Where model components report what the controller would see. Values are in engineering units. */
export interface ModelSink {
  state(kind: SensorKindName, index: number, value: number): void;
  fault(fault: FaultName, kind: SensorKindName, index: number, active: boolean): void;
}

/** Arrivals per hour at full demand, per seat: a full house at the peak with ~22 min stays. */
export const ARRIVALS_PER_SEAT_HOUR = 2.4;

export class People {
  occupancy = 0;
  /** Riders who found every seat taken and did not come in. */
  turnedAway = 0;
  private readonly departures: number[] = [];

  constructor(
    private readonly rng: Random,
    private readonly seats: number,
    private readonly hours: OpeningHours,
  ) {}

  /** Advance one second. Calls `arrive`/`depart` once per rider, after occupancy changed. */
  step(nowS: number, minute: number, arrive: () => void, depart: () => void): void {
    while (this.departures.length > 0 && (this.departures[0] ?? Infinity) <= nowS) {
      this.departures.shift();
      this.occupancy--;
      depart();
    }
    const roll = this.rng.float();
    if (this.seats === 0 || !isOpenAt(this.hours, minute)) return;
    const perSecond = (demandAt(minute) * ARRIVALS_PER_SEAT_HOUR * this.seats) / 3600;
    if (roll >= perSecond) return;
    if (this.occupancy >= this.seats) {
      this.turnedAway++;
      return;
    }
    const stayS = Math.round(60 * this.rng.logNormal(medianStayMin(minute), 0.6, 2, 180));
    this.insertDeparture(nowS + stayS);
    this.occupancy++;
    arrive();
  }

  private insertDeparture(t: number): void {
    let i = this.departures.length;
    while (i > 0 && (this.departures[i - 1] ?? 0) > t) i--;
    this.departures.splice(i, 0, t);
  }
}

/**
 * The door: opens when someone passes and closes a few seconds after the last one.
 * A manual hold (tests) or a stuck door keeps it open.
 */
export class Door {
  open = false;
  /** Simulated second the door last opened. */
  openedAtS = 0;
  private closeAtS = 0;
  private manual = false;
  private stuck = false;

  constructor(private readonly changed: (open: boolean) => void) {}

  /** Someone walks through: open (if closed) and keep open for `holdS` more seconds. */
  pass(nowS: number, holdS: number): void {
    if (!this.open) this.set(true, nowS);
    this.closeAtS = Math.max(this.closeAtS, nowS + holdS);
  }

  step(nowS: number): void {
    if (this.open && !this.manual && !this.stuck && nowS >= this.closeAtS) this.set(false, nowS);
  }

  /** Manual control: open holds the door open; closed releases and shuts it (unless stuck). */
  setManual(open: boolean, nowS: number): void {
    this.manual = open;
    if (open && !this.open) this.set(true, nowS);
    if (!open && this.open && !this.stuck) this.set(false, nowS);
  }

  /** A stuck door opens (if closed) and stays open; unsticking lets it shut. */
  setStuck(stuck: boolean, nowS: number): void {
    this.stuck = stuck;
    if (stuck && !this.open) this.set(true, nowS);
    if (!stuck && this.open && !this.manual) this.set(false, nowS);
  }

  private set(open: boolean, nowS: number): void {
    this.open = open;
    if (open) this.openedAtS = nowS;
    this.changed(open);
  }
}
