/**
 * PUBLISH from a client (aedes' authorizePublish), and the client's will when aedes publishes it.
 * Runs before aedes has any side effect: before the PUBACK and any delivery. Enforces the topic
 * ACL (acl.ts) with MQTT-3.3.5-2 (a refused PUBLISH cannot be NAKed in 3.1.1: the connection is
 * closed), the never-retained topics (MQTT-3.3.1-5 is kept for the topics that hold state) and the
 * per-client publish rate.
 */
import type { AedesOptions, Client, PublishPacket } from 'aedes';
import { checkOrphanWill, checkPublish, checkWill } from '../acl.js';
import { OrderedDelay, TokenBucket } from '../limits.js';
import type { HookContext, Reporter, Session } from './context.js';

type Done = (err?: Error | null) => void;

export function publishHook(ctx: HookContext, report: Reporter): Required<AedesOptions>['authorizePublish'] {
  const { metrics, sessions, limits } = ctx;
  const publishBuckets = new WeakMap<Client, TokenBucket>();
  const publishDelays = new WeakMap<Client, OrderedDelay>();

  function accepted(packet: PublishPacket, done: Done): void {
    metrics.messagesIn.inc({ qos: String(packet.qos) });
    done(null);
  }

  function dropDelayed(client: Client): void {
    metrics.delayedDropped.inc();
    report.warnOnce(`delayed|${client.id}`, { clientId: client.id }, 'delayed publish dropped: the client is disconnected');
  }

  /**
   * Per-client rate: excess publishes wait for their token. aedes reads no more of this client's
   * socket meanwhile, so a flooder is slowed by TCP back-pressure, not buffered.
   */
  function rateLimited(client: Client, session: Session, packet: PublishPacket, done: Done): void {
    const role = session.principal.role;
    let bucket = publishBuckets.get(client);
    if (!bucket) publishBuckets.set(client, (bucket = new TokenBucket(limits.publishRate[role])));
    const wait = bucket.take();
    let delays = publishDelays.get(client);
    if (wait === 0 && !delays?.pending) return accepted(packet, done);
    metrics.publishThrottled.inc({ role });
    if (wait > limits.publishMaxDelayMs) {
      report.warnOnce(`flood|${client.id}`, { clientId: client.id, role, behindMs: wait }, 'connection closed: publish rate far above the limit');
      metrics.aclDenials.inc({ action: 'publish', reason: 'rate_limit', role });
      return done(new Error('publish rate limit exceeded'));
    }
    report.warnOnce(`throttle|${client.id}`, { clientId: client.id, role, delayMs: wait }, 'publish rate above the limit: delaying');
    if (!delays) publishDelays.set(client, (delays = new OrderedDelay()));
    // Nothing of a client is published once it is disconnected (flood, revoked account,
    // network): what still waits is dropped and counted, never published after its will.
    delays.push(wait, () => (client.closed ? dropDelayed(client) : accepted(packet, done)));
  }

  return function authorizePublish(client, packet, done) {
    const topic = packet.topic;
    if (client === null) {
      // A will restored from persistence whose client is gone (cluster peer died).
      const d = checkOrphanWill((packet as PublishPacket & { clientId?: string }).clientId, topic);
      if (!d.ok) {
        report.denied('will', null, undefined, topic, d);
        return done(new Error(`will on ${topic} denied: ${d.reason}`));
      }
      return done(null);
    }
    const session = sessions.get(client);
    if (!session) {
      report.denied('publish', client, undefined, topic, { ok: false, reason: 'outside_tree' });
      return done(new Error('publish from a connection that did not authenticate'));
    }
    // aedes passes the client's own will object when it publishes it (lib/client.js close()).
    const will = (client as Client & { will?: unknown }).will;
    const isWill = will !== null && will !== undefined && will === packet;
    const d = isWill ? checkWill(session.principal, packet) : checkPublish(session.principal, topic, packet.retain);
    if (!d.ok) {
      report.denied(isWill ? 'will' : 'publish', client, session.principal, topic, d);
      // MQTT-3.3.5-2: a server that does not authorize a PUBLISH has no way to tell the client
      // (3.1.1 has no negative PUBACK); it must acknowledge normally or close the connection.
      // Returning an error makes aedes close it, before PUBACK and before any delivery.
      return done(new Error(`publish to ${topic} denied: ${d.reason}`));
    }
    if (d.stripRetain) {
      // readings and events are never retained (acl.ts): deliver them, but not as state
      packet.retain = false;
      metrics.retainStripped.inc();
      report.warnOnce(`retain|${client.id}`, { clientId: client.id, topic }, 'retain flag removed: this topic is never retained');
    }
    if (isWill) return accepted(packet, done);
    rateLimited(client, session, packet, done);
  };
}
