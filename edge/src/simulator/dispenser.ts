/**
 * The hot-water dispenser: a tank with a thermostat (heater on below setpoint - 5 °C, off at the
 * setpoint), slow cooling towards room temperature, cups drawn by riders (level and temperature
 * drop as cold mains water mixes in), and refilling when the tank runs low.
 *
 * The controller's own heater check also lives here: while the heater is on, the temperature must
 * rise by `minRiseC` within `heatingTimeoutS`, otherwise it raises FAULT heater_failure. The check
 * restarts while the tank refills (the controller opened the inlet valve, so a drop is expected).
 */
import type { ModelSink } from './people.js';
import type { Random } from '@yizhan/common/prng';

/** Heating rate with a working heater, °C per second (about 20 min from cold to 90 °C). */
export const HEAT_RATE_C_PER_S = 0.06;
/** Newton cooling constant per second: a full tank loses about 5 °C per hour. */
export const COOLING_PER_S = 2e-5;
/** Thermostat hysteresis: the heater comes on this far below the setpoint. */
export const HYSTERESIS_C = 5;
/** Temperature of mains water flowing in, °C. */
export const INLET_C = 12;
/** Refilling starts below this level (%) and adds this much per second. */
export const REFILL_BELOW_PCT = 25;
export const REFILL_RATE_PCT_PER_S = 0.4;

export interface DispenserParams {
  setpointC: number;
  heatingTimeoutS: number;
  minRiseC: number;
}

export class Dispenser {
  tempC: number;
  levelPct: number;
  heater = false;
  /** Injected fault: the element is dead, the relay stays closed. */
  failed = false;
  faultRaised = false;
  refilling = false;
  /** Injected fault: the mains inlet is shut, so the tank is not refilled. */
  inletShut = false;
  draws = 0;
  private readonly pendingDraws: number[] = [];
  private refS = 0;
  private refT = 0;

  constructor(
    private readonly rng: Random,
    private params: DispenserParams,
    private readonly sink: ModelSink,
  ) {
    this.tempC = params.setpointC - rng.range(0, HYSTERESIS_C - 1);
    this.levelPct = rng.range(55, 100);
  }

  get setpointC(): number {
    return this.params.setpointC;
  }
  set setpointC(c: number) {
    this.params = { ...this.params, setpointC: c };
  }

  /** A rider will draw a cup at `atS`. */
  scheduleDraw(atS: number): void {
    let i = this.pendingDraws.length;
    while (i > 0 && (this.pendingDraws[i - 1] ?? 0) > atS) i--;
    this.pendingDraws.splice(i, 0, atS);
  }

  step(nowS: number, ambientC: number): void {
    if (this.heater && !this.failed) this.tempC += HEAT_RATE_C_PER_S;
    this.tempC -= COOLING_PER_S * (this.tempC - ambientC);
    while (this.pendingDraws.length > 0 && (this.pendingDraws[0] ?? Infinity) <= nowS) {
      this.pendingDraws.shift();
      if (this.levelPct < 2) continue;
      this.draws++;
      this.levelPct = Math.max(0, this.levelPct - this.rng.range(3, 6));
      this.tempC -= this.rng.range(0.4, 1.2);
    }
    if (!this.refilling && !this.inletShut && this.levelPct < REFILL_BELOW_PCT) this.refilling = true;
    if (this.refilling && !this.inletShut) {
      const add = Math.min(REFILL_RATE_PCT_PER_S, 100 - this.levelPct);
      this.tempC = (this.tempC * this.levelPct + INLET_C * add) / Math.max(1e-9, this.levelPct + add);
      this.levelPct += add;
      if (this.levelPct >= 100) this.refilling = false;
      // The controller opens the inlet valve itself: cold water coming in is no sign of a broken heater.
      this.refS = nowS;
      this.refT = this.tempC;
    }
    if (!this.heater && this.tempC < this.params.setpointC - HYSTERESIS_C) this.setHeater(true, nowS);
    else if (this.heater && !this.failed && this.tempC >= this.params.setpointC) this.setHeater(false, nowS);
    this.checkHeating(nowS);
  }

  /** Inject: the heater element fails; the heater switches on (if off) and stays on. */
  fail(nowS: number): void {
    this.failed = true;
    if (!this.heater) this.setHeater(true, nowS);
  }

  /** Inject: the inlet is shut and the tank drained to `levelPct`; it stays low until {@link openInlet}. */
  shutInlet(levelPct: number): void {
    this.inletShut = true;
    this.refilling = false;
    this.levelPct = Math.min(this.levelPct, levelPct);
  }

  /** The inlet works again: the tank refills as usual. */
  openInlet(): void {
    this.inletShut = false;
  }

  /** Repair: the element works again; a raised heater_failure is cleared. */
  repair(nowS: number): void {
    this.failed = false;
    this.refS = nowS;
    this.refT = this.tempC;
    if (this.faultRaised) {
      this.faultRaised = false;
      this.sink.fault('heater_failure', 'heater', 0, false);
    }
  }

  /** The controller rebooted: its heating watchdog forgets a raised fault and starts a new window. */
  controllerRebooted(nowS: number): void {
    this.faultRaised = false;
    this.refS = nowS;
    this.refT = this.tempC;
  }

  private checkHeating(nowS: number): void {
    if (!this.heater || this.faultRaised) return;
    if (this.tempC >= this.refT + this.params.minRiseC) {
      this.refS = nowS;
      this.refT = this.tempC;
    } else if (nowS - this.refS >= this.params.heatingTimeoutS) {
      this.faultRaised = true;
      this.sink.fault('heater_failure', 'heater', 0, true);
    }
  }

  private setHeater(on: boolean, nowS: number): void {
    this.heater = on;
    if (on) {
      this.refS = nowS;
      this.refT = this.tempC;
    }
    this.sink.state('heater', 0, on ? 1 : 0);
  }
}
