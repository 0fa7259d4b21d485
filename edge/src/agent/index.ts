export { startAgent, type Agent, type AgentHealth } from './agent.js';
export {
  AgentConfigError,
  DEFAULT_MAX_INFLIGHT,
  DEFAULT_MAX_PUBLISH_RATE_PER_S,
  DEFAULT_FRAME_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_S,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_HISTORICAL_AFTER_MS,
  type AgentOptions,
} from './options.js';
export { MemoryOutbox, DEFAULT_OUTBOX_CAPACITY, type Outbox, type OutboxMessage } from './outbox.js';
export { DEFAULT_MQTT_BACKOFF, DEFAULT_SERIAL_BACKOFF } from './backoff.js';
export { FrameMapper, MAP_PROBLEM_REASONS, type MapProblemReason } from './mapper.js';
export {
  DiskSpool,
  SpoolError,
  DEFAULT_SPOOL_MAX_BYTES,
  DEFAULT_SPOOL_FSYNC_INTERVAL_MS,
  DEFAULT_SPOOL_ACK_FLUSH_MS,
  type SpoolOptions,
  type FsyncPolicy,
} from './spool.js';
export {
  RemoteConfig,
  DEFAULT_CONFIG_ANSWER_TIMEOUT_MS,
  type ConfigReport,
  type RemoteConfigOptions,
} from './remote-config.js';
