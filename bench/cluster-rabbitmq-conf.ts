/**
 * Files of the RabbitMQ engine for bench:cluster (bench/cluster-rabbitmq.ts): the accounts as a
 * definitions file RabbitMQ loads at boot (one import instead of a `rabbitmqctl` call per user), and
 * each node's rabbitmq.conf. The topic rules follow broker/src/acl.ts as far as RabbitMQ can say
 * them: MQTT topics are AMQP routing keys on amq.topic with `/` as `.`, checked by regex.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  STATION_PUBLISH_LEAVES,
  STATION_SUBSCRIBE_LEAVES,
  STATION_ID_PATTERN,
  TOPIC_ROOT,
  isStationId,
} from '@yizhan/protocol';
import type { ClusterAccount } from './cluster-engine.js';

/** `rabbit_password_hashing_sha256`: base64(salt ++ sha256(salt ++ utf8 password)), a 4-byte salt. */
export function rabbitPasswordHash(password: string, salt = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An MQTT topic as the AMQP routing key RabbitMQ checks, as a regex. */
const key = (topic: string): string => reEscape(topic.replaceAll('/', '.'));
const ROOT = `${key(TOPIC_ROOT)}\\.`;
const leaves = (l: readonly string[]): string => `(${l.map(key).join('|')})`;
/** What a station publishes (status, telemetry, …) and what it subscribes to (cmd, config/desired). */
const UP = leaves(STATION_PUBLISH_LEAVES);
const DOWN = leaves(STATION_SUBSCRIBE_LEAVES);

/**
 * Vhost and topic permissions of one account. A station's queues are named after its client id,
 * which the edge agent sets to the station id (edge/src/agent/agent.ts), so a station may only
 * declare and read `mqtt-subscription-<its id>qos0|qos1`: it cannot attach to the server's session.
 */
function permissions(a: ClusterAccount): {
  resource: { configure: string; write: string; read: string };
  topic: { write: string; read: string };
} {
  if (a.role === 'server') {
    return {
      resource: {
        configure: '^mqtt-subscription-',
        write: '^(amq\\.topic|mqtt-subscription-.*)$',
        read: '^(amq\\.topic|mqtt-subscription-.*)$',
      },
      topic: { write: `^${ROOT}[^.]+\\.${DOWN}$`, read: `^${ROOT}` },
    };
  }
  const queues = `mqtt-subscription-${reEscape(a.username)}qos[01]`;
  return {
    resource: {
      configure: `^${queues}$`,
      write: `^(amq\\.topic|${queues})$`,
      read: `^(amq\\.topic|${queues})$`,
    },
    topic: { write: `^${ROOT}{username}\\.${UP}$`, read: `^${ROOT}{username}\\.${DOWN}$` },
  };
}

/** The definitions document (users with their password hashes, vhost `/`, permissions). */
export function definitions(accounts: ClusterAccount[], secrets: Map<string, string>): object {
  const users = accounts.map((a) => {
    if (a.role === 'station' && !isStationId(a.username))
      throw new Error(
        `rabbitmq engine: station account "${a.username}" is not a station id (${STATION_ID_PATTERN})`,
      );
    const secret = secrets.get(a.username);
    if (secret === undefined) throw new Error(`rabbitmq engine: no secret for account ${a.username}`);
    return {
      name: a.username,
      password_hash: rabbitPasswordHash(secret),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: [],
    };
  });
  const perms = accounts.map((a) => ({ a, p: permissions(a) }));
  return {
    users,
    vhosts: [{ name: '/' }],
    permissions: perms.map(({ a, p }) => ({ user: a.username, vhost: '/', ...p.resource })),
    topic_permissions: perms.map(({ a, p }) => ({
      user: a.username,
      vhost: '/',
      exchange: 'amq.topic',
      ...p.topic,
    })),
  };
}

export interface NodeConf {
  amqpPort: number;
  mqttPort: number;
  definitionsFile: string;
  /** The nodes a blank node may join, `name@localhost` (node-1 lists only itself: it founds the cluster). */
  clusterNodes: string[];
  /** Queue type of QoS 1 subscriptions of persistent sessions (`mqtt.durable_queue_type`). */
  durableQueueType: 'classic' | 'quorum';
}

/** rabbitmq.conf of one node: loopback listeners, MQTT without anonymous login, classic-config peer discovery. */
export function nodeConfig(c: NodeConf): string {
  return [
    `listeners.tcp.default = 127.0.0.1:${c.amqpPort}`,
    `mqtt.listeners.tcp.default = 127.0.0.1:${c.mqttPort}`,
    'mqtt.allow_anonymous = false',
    `mqtt.durable_queue_type = ${c.durableQueueType}`,
    `load_definitions = ${c.definitionsFile}`,
    'cluster_formation.peer_discovery_backend = classic_config',
    ...c.clusterNodes.map((n, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${n}`),
    'log.console = false',
    'log.file.level = info',
    '',
  ].join('\n');
}
