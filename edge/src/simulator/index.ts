export {
  StationSimulator,
  systemClock,
  DEFAULT_FIRMWARE,
  DEFAULT_SIM_TICK_MS,
  type Clock,
  type InjectableFault,
  type SimulatorOptions,
  type SimulatorStats,
  type SimSnapshot,
} from './simulator.js';
export { runSimulatedStations, type RunStationsOptions, type SimulatedStations } from './runner.js';
export {
  mockTransport,
  serialTransport,
  openSimTransport,
  type SimTransport,
  type AttachOptions,
} from './transport.js';
export { layoutFor, channelOf, type StationLayout, type ChannelSpec } from './layout.js';
export { demandAt, localMinuteOfDay, DEFAULT_UTC_OFFSET_MIN } from './daily.js';
export { mulberry32, hashSeed, Random } from '@yizhan/common/prng';
export {
  DEFAULT_READING_INTERVAL_S,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  DEFAULT_DOOR_STUCK_S,
  type ControllerSettings,
} from './settings.js';
