/**
 * Which controller channel carries what, derived from a station config by sensor kind only
 * (never by sensor id). Sockets: the n-th socket_state channel (by channel number) pairs with the
 * n-th socket_power channel.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import type { SensorKindName } from '@yizhan/protocol/serial';

export interface ChannelSpec {
  channel: number;
  kind: SensorKindName;
  /** 0-based index among channels of the same kind (socket number - 1 for sockets). */
  index: number;
}

export interface StationLayout {
  /** Every configured channel, sorted by channel number. */
  channels: ChannelSpec[];
  /** First channel of each kind, if any. */
  first: Partial<Record<SensorKindName, number>>;
  /** Channels of each kind, in channel order. */
  byKind: Record<SensorKindName, number[]>;
  /** Number of sockets the simulator models: the count of socket_state channels. */
  socketCount: number;
}

export function layoutFor(cfg: StationConfig): StationLayout {
  const sorted = [...cfg.sensors].sort((a, b) => a.channel - b.channel);
  const byKind: Record<SensorKindName, number[]> = {
    door: [],
    occupancy: [],
    socket_state: [],
    socket_power: [],
    water_temp: [],
    heater: [],
    water_level: [],
    ambient_temp: [],
  };
  const channels: ChannelSpec[] = [];
  for (const s of sorted) {
    const list = byKind[s.kind];
    channels.push({ channel: s.channel, kind: s.kind, index: list.length });
    list.push(s.channel);
  }
  const first: Partial<Record<SensorKindName, number>> = {};
  for (const [kind, list] of Object.entries(byKind) as [SensorKindName, number[]][])
    if (list[0] !== undefined) first[kind] = list[0];
  return { channels, first, byKind, socketCount: byKind.socket_state.length };
}

/** The channel for (kind, index), e.g. ('socket_state', 2) → channel of socket 3; undefined if none. */
export function channelOf(layout: StationLayout, kind: SensorKindName, index = 0): number | undefined {
  return layout.byKind[kind][index];
}
