/**
 * Charging sockets: riders plug in an e-bike battery (60-400 W) or a phone (5-20 W) for minutes to
 * hours. Power is flat, then tapers near the end (constant current, then constant voltage).
 * Now and then a socket trips (overcurrent): state 2, FAULT socket_tripped, reset by staff later.
 */
import type { ModelSink } from './people.js';
import type { Random } from '@yizhan/common/prng';

export const SocketState = { idle: 0, charging: 1, tripped: 2 } as const;
export type SocketStateValue = (typeof SocketState)[keyof typeof SocketState];

interface Session {
  device: 'ebike' | 'phone';
  startS: number;
  endS: number;
  ratedW: number;
  /** When this session trips the breaker; undefined for the vast majority. */
  tripAtS: number | undefined;
}

/** Probability that an e-bike session trips its socket. */
export const TRIP_PROBABILITY = 0.005;

export class Sockets {
  readonly states: SocketStateValue[];
  private readonly sessions: (Session | undefined)[];
  /** When staff reset a tripped socket; undefined while a trip is injected (stays until cleared). */
  private readonly resetAtS: (number | undefined)[];
  /** Injected fault: the socket says charging but delivers no power. */
  private readonly dead: boolean[];
  sessionsStarted = 0;

  constructor(
    private readonly rng: Random,
    readonly count: number,
    private readonly sink: ModelSink,
  ) {
    this.states = Array.from({ length: count }, () => SocketState.idle);
    this.sessions = Array.from({ length: count }, () => undefined);
    this.resetAtS = Array.from({ length: count }, () => undefined);
    this.dead = Array.from({ length: count }, () => false);
  }

  /** A rider plugs into a random idle socket, if there is one. */
  plugIn(nowS: number): void {
    const idle: number[] = [];
    this.states.forEach((s, i) => s === SocketState.idle && idle.push(i));
    if (idle.length === 0) return;
    const i = this.rng.pick(idle);
    const ebike = this.rng.chance(0.6);
    const minutes = ebike ? this.rng.logNormal(100, 0.6, 10, 360) : this.rng.logNormal(45, 0.5, 5, 150);
    const endS = nowS + Math.round(minutes * 60);
    const trips = ebike && this.rng.chance(TRIP_PROBABILITY);
    this.sessions[i] = {
      device: ebike ? 'ebike' : 'phone',
      startS: nowS,
      endS,
      ratedW: ebike ? this.rng.range(60, 400) : this.rng.range(5, 20),
      tripAtS: trips ? Math.round(this.rng.range(nowS + 1, endS)) : undefined,
    };
    this.sessionsStarted++;
    this.setState(i, SocketState.charging);
  }

  step(nowS: number): void {
    for (let i = 0; i < this.count; i++) {
      const s = this.sessions[i];
      if (this.states[i] === SocketState.charging && s) {
        if (s.tripAtS !== undefined && nowS >= s.tripAtS) this.trip(i, nowS, false);
        else if (nowS >= s.endS) {
          this.sessions[i] = undefined;
          this.setState(i, SocketState.idle);
        }
      } else if (this.states[i] === SocketState.tripped) {
        const at = this.resetAtS[i];
        if (at !== undefined && nowS >= at) this.reset(i);
      }
    }
  }

  /** Trip socket i: the session ends, power drops to 0. `injected` trips stay until {@link reset}. */
  trip(i: number, nowS: number, injected: boolean): void {
    if (i < 0 || i >= this.count || this.states[i] === SocketState.tripped) return;
    this.sessions[i] = undefined;
    this.resetAtS[i] = injected ? undefined : nowS + Math.round(this.rng.range(15, 60) * 60);
    this.setState(i, SocketState.tripped);
    this.sink.fault('socket_tripped', 'socket_state', i, true);
  }

  /**
   * Inject: socket i delivers no power while it says charging. An idle socket gets an e-bike plugged
   * in for 6 h, so it is charging at 0 W until {@link revive}.
   */
  kill(i: number, nowS: number): void {
    this.dead[i] = true;
    if (this.states[i] !== SocketState.idle) return;
    this.sessions[i] = {
      device: 'ebike',
      startS: nowS,
      endS: nowS + 6 * 3600,
      ratedW: 200,
      tripAtS: undefined,
    };
    this.sessionsStarted++;
    this.setState(i, SocketState.charging);
  }

  /** Socket i delivers power again (its session, if any, charges on). */
  revive(i: number): void {
    this.dead[i] = false;
  }

  /** Staff reset a tripped socket. */
  reset(i: number): void {
    if (this.states[i] !== SocketState.tripped) return;
    this.resetAtS[i] = undefined;
    this.setState(i, SocketState.idle);
    this.sink.fault('socket_tripped', 'socket_state', i, false);
  }

  /** Power drawn at socket i in W (with a little measurement noise). */
  powerW(i: number, nowS: number): number {
    const s = this.sessions[i];
    if (this.states[i] !== SocketState.charging || !s || this.dead[i]) return 0;
    const progress = (nowS - s.startS) / Math.max(1, s.endS - s.startS);
    const knee = s.device === 'ebike' ? 0.8 : 0.6;
    const shape = progress < knee ? 1 : 1 - 0.85 * ((progress - knee) / (1 - knee));
    return Math.max(0, s.ratedW * shape * (1 + this.rng.normal(0, 0.02)));
  }

  private setState(i: number, v: SocketStateValue): void {
    this.states[i] = v;
    this.sink.state('socket_state', i, v);
  }
}
