/**
 * The live state of the board's own station, from the messages the agent builds (AgentOptions
 * `onMessage`): readings, state and fault events, the controller's HELLO and the agent's health
 * (its serial link state). Applied and derived with the server's rules (@yizhan/screen/derive), so
 * the board's screen reads exactly like `/screen/:id` on the server.
 *
 * The station is "online" while the agent runs: the board is the station. When the controller
 * falls silent the agent's health says the serial link is down, and the screen greys its values
 * with "传感器连接中断 · 暂停更新" and the age of the last reading.
 */
import type { PayloadFor } from '@yizhan/protocol/mqtt';
import type { StationConfig } from '@yizhan/station-config/schema';
import {
  applyObservations,
  deriveLive,
  emptyRawState,
  stationView,
  type RawStationState,
  type StationView,
} from '@yizhan/screen/derive';
import type { Observation } from '@yizhan/screen/observation';
import type { StationLive } from '@yizhan/screen/schema';

/** The observations of one agent message (nothing for leaves the screen does not show). */
export function observationsOf(leaf: string, payload: Readonly<Record<string, unknown>>): Observation[] {
  switch (leaf) {
    case 'telemetry': {
      const m = payload as unknown as PayloadFor['telemetry'];
      const historical = m.historical === true;
      return m.readings.map((r) => ({ type: 'reading', ...r, ts: m.ts, historical }));
    }
    case 'events': {
      const m = payload as unknown as PayloadFor['events'];
      const ev = m.event;
      const historical = m.historical === true;
      if (ev.type === 'state')
        return [{ type: 'reading', sensor: ev.sensor, kind: ev.kind, value: ev.value, ts: m.ts, historical }];
      if (ev.type === 'fault')
        return [
          { type: 'fault', sensor: ev.sensor, fault: ev.fault, active: ev.active, ts: m.ts, historical },
        ];
      return [{ type: 'hello', ts: m.ts, firmware: ev.firmware, boardId: ev.boardId }];
    }
    case 'health': {
      const m = payload as unknown as PayloadFor['health'];
      return [{ type: 'health', ts: m.ts, health: m }];
    }
    default:
      return [];
  }
}

export class BoardState {
  private readonly view: StationView;
  private readonly raw: RawStationState = emptyRawState();

  constructor(station: StationConfig, now: number) {
    this.view = stationView(station);
    // No boot id: the screen does not show one, and the status never travels.
    applyObservations(this.view, this.raw, [{ type: 'status', online: true, bootId: 'board', ts: now }]);
  }

  get stationId(): string {
    return this.view.config.id;
  }

  /** Apply one agent message; true when the screen changes. */
  observe(leaf: string, payload: Readonly<Record<string, unknown>>): boolean {
    const obs = observationsOf(leaf, payload);
    return obs.length > 0 && applyObservations(this.view, this.raw, obs).length > 0;
  }

  live(): StationLive {
    return deriveLive(this.view, this.raw, 0);
  }
}
