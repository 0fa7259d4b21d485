/**
 * Rule `socket_fault`: a charging socket is tripped or charges nothing. One alert per socket
 * (key = the socket_state sensor id, e.g. `socket-3`).
 *
 * | what the server sees                                              | what the rule does            |
 * | ----------------------------------------------------------------- | ----------------------------- |
 * | the controller's `socket_tripped` fault, or socket_state 2        | **fires at once**             |
 * | socket_state 1 (charging) while its socket_power reads under      | **fires** after `noPowerFor`  |
 * | `minPowerW`                                                       |                               |
 * | none of these (state 0, or 1 with power) for `clearFor`           | **resolves**                  |
 * | historical (replayed) readings and faults                         | ignored, counted `historical` |
 *
 * What the serial protocol can tell: socket_state is 0 idle, 1 charging, 2 tripped; "a charger is
 * plugged in" is only known as state 1 (the controller sees the load switch on), and socket_power
 * is the power drawn. A charger plugged in but switched off, or a dead battery, reads as idle; a
 * socket whose power channel is missing is judged on its state and faults only.
 *
 * Pairing a socket with its power sensor (the sample stations: `socket-N` on channel 10+N-1 and
 * `socket-N-power` on 40+N-1): the socket_power sensor named `<socket id>-power`, else the n-th
 * socket_power channel for the n-th socket_state channel (by channel number).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import type { Observation } from '../../state/observation.js';
import type { AlertRule, RuleContext } from '../types.js';
import { duration, HoldBook, isLive, iso, say, sensorNames } from './support.js';

export const SOCKET_FAULT = 'socket_fault';

interface Socket {
  /** Latest socket_state (0 idle, 1 charging, 2 tripped); null until read. */
  state: number | null;
  powerW: number | null;
  /** The controller's socket_tripped fault is active. */
  tripped: boolean;
}

/** Power sensor → socket sensor, and socket sensor → power sensor, of one station. */
export interface SocketPairs {
  socketOfPower: Map<string, string>;
  powerOfSocket: Map<string, string>;
}

export function pairSockets(station: StationConfig): SocketPairs {
  const byChannel = [...station.sensors].sort((a, b) => a.channel - b.channel);
  const states = byChannel.filter((s) => s.kind === 'socket_state');
  const powers = byChannel.filter((s) => s.kind === 'socket_power');
  const free = new Set(powers.map((p) => p.id));
  const pairs: SocketPairs = { socketOfPower: new Map(), powerOfSocket: new Map() };
  const pair = (socket: string, power: string) => {
    pairs.powerOfSocket.set(socket, power);
    pairs.socketOfPower.set(power, socket);
    free.delete(power);
  };
  for (const s of states) if (free.has(`${s.id}-power`)) pair(s.id, `${s.id}-power`);
  states.forEach((s, i) => {
    const p = powers[i];
    if (!pairs.powerOfSocket.has(s.id) && p && free.has(p.id)) pair(s.id, p.id);
  });
  return pairs;
}

/** Power as people read it: one decimal (the wire carries 0.1 W). */
const watts = (w: number | null): string => (w === null ? '?' : String(Math.round(w * 10) / 10));

export function socketFaultRule(): AlertRule {
  return new SocketFaultRule();
}

class SocketFaultRule implements AlertRule {
  readonly name = SOCKET_FAULT;
  /** By station and socket sensor. */
  private readonly sockets = new Map<string, Socket>();
  /** By station; rebuilt when the station's sensor list changes (reload). */
  private readonly pairs = new Map<string, { sensors: unknown; pairs: SocketPairs }>();
  private readonly holds = new HoldBook();

  observe(ctx: RuleContext, o: Observation): void {
    const t = ctx.thresholds.socket_fault;
    if (!t.enabled) return;
    const socketId = this.socketOf(ctx, o);
    if (socketId === undefined || !isLive(ctx, o)) return;
    const s = this.memoryOf(ctx.station.id, socketId);
    if (o.type === 'fault') s.tripped = o.active;
    else if (o.type === 'reading') {
      if (o.kind === 'socket_state') s.state = o.value;
      else s.powerW = o.value;
    }
    // Charging is judged on the power reading that follows the state in the same frame, so a stale
    // power value from the frame before never decides (a socket without a power sensor: on its state).
    if (
      o.type === 'reading' &&
      o.kind === 'socket_state' &&
      o.value === 1 &&
      this.pairsOf(ctx).powerOfSocket.has(socketId)
    )
      return;
    const tripped = s.tripped || s.state === 2;
    const noPower = s.state === 1 && s.powerW !== null && s.powerW < t.minPowerW;
    const socket = sensorNames(ctx, socketId);
    this.holds.judge(
      ctx,
      socketId,
      o.ts,
      { forMs: tripped ? 0 : t.noPowerForMs, clearForMs: t.clearForMs },
      { bad: tripped || noPower, clear: !tripped && !noPower },
      {
        fire: (since) => ({
          severity: t.severity,
          message: tripped
            ? say(ctx, `${socket.zh}跳闸`, `${socket.en} tripped`)
            : say(
                ctx,
                `${socket.zh}充电中但无功率（${watts(s.powerW)} W，已持续 ${duration(o.ts - since).zh}）`,
                `${socket.en} charging but drawing no power (${watts(s.powerW)} W for ${duration(o.ts - since).en})`,
              ),
          evidence: {
            cause: s.tripped ? 'fault' : tripped ? 'state' : 'no_power',
            sensor: socketId,
            powerSensor: this.pairsOf(ctx).powerOfSocket.get(socketId) ?? null,
            state: s.state,
            powerW: s.powerW,
            minPowerW: t.minPowerW,
            since: iso(since),
          },
        }),
        resolve: () => ({
          note: say(
            ctx,
            `${socket.zh}恢复正常（${s.state === 1 ? `充电功率 ${watts(s.powerW)} W` : '空闲'}）`,
            `${socket.en} back to normal (${s.state === 1 ? `drawing ${watts(s.powerW)} W` : 'idle'})`,
          ),
          evidence: { state: s.state, powerW: s.powerW },
        }),
      },
    );
  }

  /** The socket an observation is about, or undefined when it is about none. */
  private socketOf(ctx: RuleContext, o: Observation): string | undefined {
    if (o.type === 'fault') {
      if (o.fault !== 'socket_tripped') return undefined;
      return this.pairsOf(ctx).socketOfPower.get(o.sensor) ?? o.sensor;
    }
    if (o.type !== 'reading') return undefined;
    if (o.kind === 'socket_state') return o.sensor;
    if (o.kind === 'socket_power') return this.pairsOf(ctx).socketOfPower.get(o.sensor);
    return undefined;
  }

  private pairsOf(ctx: RuleContext): SocketPairs {
    const cached = this.pairs.get(ctx.station.id);
    if (cached?.sensors === ctx.station.sensors) return cached.pairs;
    const pairs = pairSockets(ctx.station);
    this.pairs.set(ctx.station.id, { sensors: ctx.station.sensors, pairs });
    return pairs;
  }

  private memoryOf(station: string, socket: string): Socket {
    const id = `${station}\u0000${socket}`;
    let s = this.sockets.get(id);
    if (!s) {
      s = { state: null, powerW: null, tripped: false };
      this.sockets.set(id, s);
    }
    return s;
  }
}
