/**
 * The load balancer of docs/broker.md: Debian's haproxy with the repository's
 * deploy/haproxy/haproxy.cfg, unchanged (its addresses from the environment), in front of two broker
 * nodes on one Redis. A station connects through it; the node its connection went to is killed
 * (SIGKILL); the station is back through haproxy, on the other node, within 5 s, and a QoS 1
 * message it sends then reaches the server.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { connect, inbox } from './helpers.js';
import { startCluster, startHaproxy, type Cluster, type ClusterNode } from './cluster.js';
import { waitFor } from '../helpers/wait.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster('yizhan-haproxy-', [
    { username: 'st-001', role: 'station' },
    { username: 'server', role: 'server' },
  ]);
}, 60_000);

afterAll(() => cluster?.stop());

it('a station behind haproxy is back on the other node within 5 s of its node being killed', async () => {
  const nodes: [ClusterNode, ClusterNode] = await Promise.all([cluster.startNode('A'), cluster.startNode('B')]);
  const lb = await startHaproxy(cluster, nodes);
  const topic = stationTopic('st-001', 'telemetry');

  // reconnects as the agent does after a lost connection (its first backoff step is 0.5..1 s)
  const station = mqtt.connect(lb.url, {
    clientId: 'st-001',
    username: 'st-001',
    password: cluster.secret('st-001'),
    protocolVersion: 4,
    reconnectPeriod: 1_000,
    connectTimeout: 5_000,
  });
  station.on('error', () => {});
  let connects = 0;
  station.on('connect', () => connects++);
  try {
    await waitFor('the station connected through haproxy', () => connects === 1);
    const counts = async () => Promise.all(nodes.map((n) => n.connected('station')));
    const [on, other] = await waitFor('the station seen by one node', async () => {
      const c = await counts();
      return c[0] === 1 ? nodes : c[1] === 1 ? ([nodes[1], nodes[0]] as const) : undefined;
    });

    const server = await connect(other.url, 'server', cluster.secret('server'), { clientId: 'server-main' });
    const box = inbox(server);
    await server.subscribeAsync(topic, { qos: 1 });
    await station.publishAsync(topic, 'before', { qos: 1 });
    expect((await box.next(topic)).payload).toBe('before');

    const killedAt = Date.now();
    await on.kill();
    await waitFor('the station reconnected through haproxy', () => connects === 2, 5_000);
    const failoverMs = Date.now() - killedAt;
    expect(await other.connected('station')).toBe(1);

    await station.publishAsync(topic, 'after', { qos: 1 });
    expect((await box.next(topic)).payload).toBe('after');
    console.log(`haproxy failover: station back on node ${other.name} ${failoverMs} ms after node ${on.name} was killed`);
    await server.endAsync(true);
  } finally {
    await station.endAsync(true);
  }
}, 30_000);
