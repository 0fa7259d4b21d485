/**
 * Topic access rules of the broker. Pure functions: (who, topic) → allowed, or the reason why not.
 * Everything not allowed here is refused (default deny).
 *
 * | role              | publish                                        | subscribe                               |
 * |-------------------|------------------------------------------------|-----------------------------------------|
 * | station `st-001`  | its own STATION_PUBLISH_LEAVES                 | its own STATION_SUBSCRIBE_LEAVES, exact  |
 * | server, operator  | `config/desired`, `cmd` of any station         | filters inside `yizhan/v1/stations/…`    |
 * | anyone            | nothing starting with `$` (e.g. `$SYS`)        | nothing starting with `$`, no bare `#`   |
 *
 * Will messages: a station's will may only be its own `status` topic; other roles have no will.
 * Retain: only `status`, `config/desired` and `config/reported` hold retained state. A retained
 * `cmd` is refused (a stale command would run again); on the station's data leaves (`telemetry`,
 * `events`, `health`, `cmd/result`) the flag is stripped and the message delivered, so a station
 * that sets it loses nothing, and no old fault comes back to a server that resubscribes.
 */
import {
  STATION_PUBLISH_LEAVES,
  STATION_SUBSCRIBE_LEAVES,
  TOPIC_ROOT,
  TopicLeaf,
  isStationId,
  parseStationTopic,
  stationTopic,
  type TopicLeafValue,
} from '@yizhan/protocol';
import type { Role } from './credentials.js';

/** The authenticated party behind a connection. */
export interface Principal {
  username: string;
  role: Role;
  clientId: string;
}

export type DenyReason =
  /** Topic or filter starts with `$` (reserved for the server, MQTT 3.1.1 §4.7.2). */
  | 'reserved_topic'
  /** Not a topic of the v1 station tree (wrong root, bad station id or unknown leaf). */
  | 'outside_tree'
  /** A station touching another station's subtree. */
  | 'other_station'
  /** A leaf of the right subtree that this role may not use in this direction. */
  | 'leaf_not_allowed'
  /** A retained message on a leaf that must not be retained (a stale command would re-run). */
  | 'retain_not_allowed'
  /** A station using a wildcard filter, or anybody subscribing to a bare `#`/`+` root. */
  | 'wildcard_not_allowed'
  /** A will message on a topic other than the station's own status. */
  | 'will_not_allowed'
  /** A filter deeper than the broker's level limit (SUBACK 0x80, the connection stays). */
  | 'too_many_levels';

/** `stripRetain`: allowed, but delivered and stored as a non-retained message. */
export type AclDecision = { ok: true; stripRetain?: boolean } | { ok: false; reason: DenyReason };

const ALLOW: AclDecision = { ok: true };
const ALLOW_UNRETAINED: AclDecision = { ok: true, stripRetain: true };
const deny = (reason: DenyReason): AclDecision => ({ ok: false, reason });

/** Leaves the server and operators may publish (to any station). */
export const SERVER_PUBLISH_LEAVES: readonly TopicLeafValue[] = [TopicLeaf.configDesired, TopicLeaf.cmd];
/** Leaves that hold retained state (the newest message is what a newcomer needs). */
export const RETAINED_LEAVES: readonly TopicLeafValue[] = [TopicLeaf.status, TopicLeaf.configDesired, TopicLeaf.configReported];
/** Leaves whose messages must never be retained: a retained `cmd` is refused. */
export const NON_RETAINED_LEAVES: readonly TopicLeafValue[] = [TopicLeaf.cmd];
/** Leaves whose retain flag is stripped: readings and events are history, not state. */
export const RETAIN_STRIPPED_LEAVES: readonly TopicLeafValue[] = [TopicLeaf.telemetry, TopicLeaf.events, TopicLeaf.health, TopicLeaf.cmdResult];

const ROOT_LEVELS = TOPIC_ROOT.split('/');

function isReserved(topic: string): boolean {
  // MQTT 3.1.1 §4.7.2: topics beginning with `$` are for the server's own use ("Applications
  // cannot use a topic with a leading $ character for their own purposes"); `$SYS` is written by
  // the broker alone. Wildcards never reach them (MQTT-4.7.2-1, done by aedes), and explicit
  // `$…` filters are refused here too: broker internals (client ids, subscriptions) are no
  // business of stations, and the server has /metrics.
  return topic.startsWith('$');
}

/** May `p` publish to `topic` (with this retain flag)? */
export function checkPublish(p: Principal, topic: string, retain: boolean): AclDecision {
  if (isReserved(topic)) return deny('reserved_topic');
  const parsed = parseStationTopic(topic);
  if (!parsed) return deny('outside_tree');
  if (retain && NON_RETAINED_LEAVES.includes(parsed.leaf)) return deny('retain_not_allowed');
  switch (p.role) {
    case 'station':
      if (parsed.stationId !== p.username) return deny('other_station');
      if (!STATION_PUBLISH_LEAVES.includes(parsed.leaf)) return deny('leaf_not_allowed');
      return retain && RETAIN_STRIPPED_LEAVES.includes(parsed.leaf) ? ALLOW_UNRETAINED : ALLOW;
    case 'server':
    case 'operator':
      return SERVER_PUBLISH_LEAVES.includes(parsed.leaf) ? ALLOW : deny('leaf_not_allowed');
  }
}

/** May `p` subscribe to `filter`? (Syntax is checked by aedes first, MQTT-4.7.1-2/-3.) */
export function checkSubscribe(p: Principal, filter: string): AclDecision {
  if (isReserved(filter)) return deny('reserved_topic');
  switch (p.role) {
    case 'station': {
      if (STATION_SUBSCRIBE_LEAVES.some((leaf) => filter === stationTopic(p.username, leaf))) return ALLOW;
      if (filter.includes('#') || filter.includes('+')) return deny('wildcard_not_allowed');
      const parsed = parseStationTopic(filter);
      if (!parsed) return deny('outside_tree');
      return parsed.stationId === p.username ? deny('leaf_not_allowed') : deny('other_station');
    }
    case 'server':
    case 'operator': {
      // The filter must be rooted in the station tree: its first levels are the literal root,
      // so no wildcard can reach above it (`#`, `yizhan/#` and `+/v1/stations/#` are refused).
      const levels = filter.split('/');
      if (levels[0] === '#' || levels[0] === '+') return deny('wildcard_not_allowed');
      for (let i = 0; i < ROOT_LEVELS.length; i++) {
        const level = levels[i];
        if (level === undefined) return deny('outside_tree');
        if (level !== ROOT_LEVELS[i]) return level === '#' || level === '+' ? deny('wildcard_not_allowed') : deny('outside_tree');
      }
      const station = levels[ROOT_LEVELS.length];
      if (station === undefined || station === '#' || station === '+' || isStationId(station)) return ALLOW;
      return deny('outside_tree');
    }
  }
}

/** May `p` leave this will message? Checked at CONNECT and again when it is published. */
export function checkWill(p: Principal, will: { topic: string; retain?: boolean }): AclDecision {
  if (isReserved(will.topic)) return deny('reserved_topic');
  if (p.role !== 'station') return deny('will_not_allowed');
  return will.topic === stationTopic(p.username, TopicLeaf.status) ? ALLOW : deny('will_not_allowed');
}

/**
 * A will found in persistence without a live client (stored by another broker of a cluster that
 * has since died). The client id of a station is its username, so the same rule applies by id.
 */
export function checkOrphanWill(clientId: string | undefined, topic: string): AclDecision {
  if (clientId === undefined || !isStationId(clientId)) return deny('will_not_allowed');
  return checkWill({ username: clientId, role: 'station', clientId }, { topic });
}

/**
 * The account a client id belongs to: the account named exactly so, else the one whose name
 * followed by `-` begins it, the longest such name winning (`server-main` belongs to `server`;
 * with accounts `yizhan` and `yizhan-server`, `yizhan-server-2` belongs to `yizhan-server`).
 * Every client id has at most one owner, so no account can connect under an id another account
 * may use, and take over its session (MQTT-3.1.4-2) and the messages queued for it.
 */
export function clientIdOwner(clientId: string, isAccount: (username: string) => boolean): string | undefined {
  if (isAccount(clientId)) return clientId;
  for (let i = clientId.lastIndexOf('-'); i > 0; i = clientId.lastIndexOf('-', i - 1)) {
    const prefix = clientId.slice(0, i);
    if (isAccount(prefix)) return prefix;
  }
  return undefined;
}
