/**
 * MQTT topic tree v1. Every station has one subtree: `yizhan/v1/stations/{stationId}/…`.
 * See docs/protocol/mqtt-v1.md for who publishes what, QoS and retain flags.
 *
 * ```
 * yizhan/v1/stations/{id}/status            edge -> all     retained, QoS 1; also the will (offline)
 * yizhan/v1/stations/{id}/telemetry         edge -> server  QoS 1, readings
 * yizhan/v1/stations/{id}/events            edge -> server  QoS 1, state changes, faults, controller hello
 * yizhan/v1/stations/{id}/health            edge -> server  QoS 1, agent health
 * yizhan/v1/stations/{id}/config/desired    server -> edge  retained, QoS 1
 * yizhan/v1/stations/{id}/config/reported   edge -> server  retained, QoS 1
 * yizhan/v1/stations/{id}/cmd               server -> edge  QoS 1
 * yizhan/v1/stations/{id}/cmd/result        edge -> server  QoS 1
 * ```
 */
export const TOPIC_ROOT = 'yizhan/v1/stations';

/** Station ids: lower-case letters, digits and '-', 3..32 characters, starting with a letter. */
export const STATION_ID_PATTERN = '^[a-z][a-z0-9-]{2,31}$';
const STATION_ID_RE = new RegExp(STATION_ID_PATTERN);
export function isStationId(s: string): boolean {
  return STATION_ID_RE.test(s);
}

export const TopicLeaf = {
  status: 'status',
  telemetry: 'telemetry',
  events: 'events',
  health: 'health',
  configDesired: 'config/desired',
  configReported: 'config/reported',
  cmd: 'cmd',
  cmdResult: 'cmd/result',
} as const;
export type TopicLeafName = keyof typeof TopicLeaf;
export type TopicLeafValue = (typeof TopicLeaf)[TopicLeafName];

/** Leaves a station itself may publish to (its broker ACL). */
export const STATION_PUBLISH_LEAVES: readonly TopicLeafValue[] = [
  TopicLeaf.status,
  TopicLeaf.telemetry,
  TopicLeaf.events,
  TopicLeaf.health,
  TopicLeaf.configReported,
  TopicLeaf.cmdResult,
];
/** Leaves a station itself may subscribe to (its broker ACL). */
export const STATION_SUBSCRIBE_LEAVES: readonly TopicLeafValue[] = [TopicLeaf.configDesired, TopicLeaf.cmd];

export function stationTopic(stationId: string, leaf: TopicLeafValue): string {
  return `${TOPIC_ROOT}/${stationId}/${leaf}`;
}

/** Subscription filter for one leaf across all stations, e.g. `yizhan/v1/stations/+/telemetry`. */
export function allStationsFilter(leaf: TopicLeafValue): string {
  return `${TOPIC_ROOT}/+/${leaf}`;
}

export interface ParsedTopic {
  stationId: string;
  leaf: TopicLeafValue;
}
const LEAVES = new Set<string>(Object.values(TopicLeaf));
/** Parse a topic of the v1 tree; undefined when it is not one (wrong root, bad id, unknown leaf). */
export function parseStationTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(TOPIC_ROOT + '/')) return undefined;
  const rest = topic.slice(TOPIC_ROOT.length + 1);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const stationId = rest.slice(0, slash);
  const leaf = rest.slice(slash + 1);
  if (!isStationId(stationId) || !LEAVES.has(leaf)) return undefined;
  return { stationId, leaf: leaf as TopicLeafValue };
}
