/**
 * aedes hooks: who may connect (authenticate) and what they may do (authorizePublish,
 * authorizeSubscribe). Every check runs before aedes has any side effect: CONNECT is refused
 * before the will is stored or the session registered, a PUBLISH before PUBACK and delivery,
 * a SUBSCRIBE before the subscription is stored.
 */
import type { AedesOptions, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { checkOrphanWill, checkPublish, checkSubscribe, checkWill, clientIdOwner, type AclDecision, type Principal } from './acl.js';
import type { CredentialStore } from './credential-store.js';
import type { ConnectionGuard } from './guard.js';
import { LogThrottle, OrderedDelay, TokenBucket, type BrokerLimits } from './limits.js';
import type { BrokerMetrics } from './metrics.js';

/** What the broker knows about an authenticated connection. */
export interface Session {
  principal: Principal;
  /** Hash of the account when it authenticated; a different hash later means the secret was rotated. */
  accountHash: string;
}

export type AuthFailure =
  | 'missing_credentials'
  | 'unknown_user'
  | 'bad_password'
  | 'empty_client_id'
  | 'client_id_mismatch'
  | 'client_id_reserved'
  | 'will_denied'
  | 'keepalive_out_of_range'
  | 'overloaded';

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 (aedes' AuthErrorCode is an ambient const enum). */
const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

const RETURN_CODE: Record<AuthFailure, number> = {
  missing_credentials: CONNACK.badUsernameOrPassword,
  unknown_user: CONNACK.badUsernameOrPassword, // same answer as a bad password: usernames are not revealed
  bad_password: CONNACK.badUsernameOrPassword,
  empty_client_id: CONNACK.identifierRejected,
  client_id_mismatch: CONNACK.notAuthorized,
  client_id_reserved: CONNACK.notAuthorized,
  will_denied: CONNACK.notAuthorized,
  keepalive_out_of_range: CONNACK.identifierRejected, // as mosquitto's max_keepalive does for 3.1.1
  overloaded: CONNACK.serverUnavailable,
};

export interface HookContext {
  store: CredentialStore;
  log: Logger;
  metrics: BrokerMetrics;
  /** Authenticated sessions by client object (kept until the client object is collected). */
  sessions: WeakMap<Client, Session>;
  limits: BrokerLimits;
  guard: ConnectionGuard;
}

type Hooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

/** Failures that mean "wrong credentials": they count as strikes against the address. */
const CREDENTIAL_FAILURES: ReadonlySet<AuthFailure> = new Set(['missing_credentials', 'unknown_user', 'bad_password']);

export function createHooks(ctx: HookContext): Hooks {
  const { store, log, metrics, sessions, limits, guard } = ctx;
  /** CONNECT fields aedes does not pass to `authenticate`. */
  const connectInfo = new WeakMap<
    Client,
    { clientId: string; clean: boolean; keepalive: number; will: { topic: string; retain?: boolean } | undefined }
  >();
  const publishBuckets = new WeakMap<Client, TokenBucket>();
  const publishDelays = new WeakMap<Client, OrderedDelay>();
  // One log line per client (or address) and kind of refusal per interval; the counters count all.
  const throttle = new LogThrottle(limits.logIntervalMs);
  const warnOnce = (key: string, fields: Record<string, unknown>, msg: string): void => {
    const suppressed = throttle.pass(key);
    if (suppressed !== undefined) log.warn(suppressed ? { ...fields, suppressed } : fields, msg);
  };

  function refuse(client: Client, username: string | undefined, reason: AuthFailure, detail: string): AuthenticateError {
    metrics.authFailures.inc({ reason });
    if (CREDENTIAL_FAILURES.has(reason)) guard.loginFailed(client);
    const clientId = connectInfo.get(client)?.clientId ?? client.id;
    const remote = guard.addressOf(client) ?? remoteOf(client);
    warnOnce(`auth|${reason}|${remote ?? ""}|${clientId}|${username ?? ""}`, { clientId, username, reason, remote }, `connection refused: ${detail}`);
    const error = new Error(detail) as AuthenticateError;
    error.returnCode = RETURN_CODE[reason];
    return error;
  }

  function accepted(packet: PublishPacket, done: (err?: Error | null) => void): void {
    metrics.messagesIn.inc({ qos: String(packet.qos) });
    done(null);
  }

  function dropDelayed(client: Client): void {
    metrics.delayedDropped.inc();
    warnOnce(`delayed|${client.id}`, { clientId: client.id }, 'delayed publish dropped: the client is disconnected');
  }

  function denied(action: 'publish' | 'subscribe' | 'will', client: Client | null, principal: Principal | undefined, topic: string, decision: AclDecision & { ok: false }): void {
    metrics.aclDenials.inc({ action, reason: decision.reason, role: principal?.role ?? 'none' });
    warnOnce(
      `acl|${action}|${client?.id ?? principal?.username ?? 'none'}`,
      { action, clientId: client?.id, username: principal?.username, role: principal?.role, topic, reason: decision.reason },
      `${action} denied: ${decision.reason}`,
    );
  }

  return {
    preConnect(client, packet, done) {
      // Connection rate limits and bans act earlier, at accept (guard.ts).
      connectInfo.set(client, {
        clientId: packet.clientId,
        clean: packet.clean !== false,
        keepalive: packet.keepalive ?? 0,
        will: packet.will ? { topic: packet.will.topic, retain: packet.will.retain } : undefined,
      });
      done(null, true);
    },

    authenticate(client, username, password, done) {
      const info = connectInfo.get(client);
      // MQTT-3.1.3-8: a zero-byte ClientId with CleanSession 0 MUST get CONNACK 0x02. With
      // CleanSession 1 the server MAY assign one (MQTT-3.1.3-6); this broker does not, so every
      // connection can be named in logs and ACLs (same return code, MQTT-3.1.3-9).
      if (!info || info.clientId.length === 0)
        return done(refuse(client, username, 'empty_client_id', 'zero-length client id'), false);
      // 3.1.1 cannot negotiate keepalive: out of bounds is refused (0 would let a dead link hold a session forever).
      if (info.keepalive < limits.keepaliveMinS || info.keepalive > limits.keepaliveMaxS)
        return done(
          refuse(client, username, 'keepalive_out_of_range', `keepalive ${info.keepalive} s outside ${limits.keepaliveMinS}..${limits.keepaliveMaxS} s`),
          false,
        );
      // MQTT-3.1.2-22: no password without a user name. Both are required here.
      if (!username || !password || password.length === 0)
        return done(refuse(client, username, 'missing_credentials', 'no username or password'), false);
      const clientId = info.clientId;
      store.verify(username, password).then(
        (result) => {
          if (!result.ok) {
            const detail = {
              unknown_user: `unknown user "${username}"`,
              bad_password: `wrong password for "${username}"`,
              overloaded: 'too many password checks queued; try again later',
            }[result.reason];
            return done(refuse(client, username, result.reason, detail), false);
          }
          const { account } = result;
          // A client id belongs to one account (acl.ts clientIdOwner): a station is exactly its own
          // name; the server and operators use their name or `<name>-<suffix>`. Nobody can take over
          // (MQTT-3.1.4-2) another account's session or the messages queued for it.
          if (account.role === 'station' && clientId !== account.username)
            return done(refuse(client, username, 'client_id_mismatch', `station "${username}" must use client id "${username}", not "${clientId}"`), false);
          const owner = clientIdOwner(clientId, (name) => store.get(name) !== undefined);
          if (owner !== account.username)
            return done(
              owner === undefined
                ? refuse(client, username, 'client_id_mismatch', `client id "${clientId}" of "${username}" must be "${username}" or start with "${username}-"`)
                : refuse(client, username, 'client_id_reserved', `client id "${clientId}" belongs to account "${owner}"`),
              false,
            );
          const principal: Principal = { username: account.username, role: account.role, clientId };
          if (info.will) {
            const d = checkWill(principal, info.will);
            if (!d.ok) {
              denied('will', client, principal, info.will.topic, d);
              return done(refuse(client, username, 'will_denied', `will on "${info.will.topic}" not allowed: ${d.reason}`), false);
            }
          }
          sessions.set(client, { principal, accountHash: account.hash });
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, clientId, username }, 'authentication failed unexpectedly');
          done(refuse(client, username, 'overloaded', 'internal error while checking the password'), false);
        },
      ).catch((err: unknown) => log.error({ err, clientId, username }, 'error after authentication')); // never an unhandled rejection
    },

    authorizePublish(client, packet, done) {
      const topic = packet.topic;
      if (client === null) {
        // A will restored from persistence whose client is gone (cluster peer died).
        const d = checkOrphanWill((packet as PublishPacket & { clientId?: string }).clientId, topic);
        if (!d.ok) {
          denied('will', null, undefined, topic, d);
          return done(new Error(`will on ${topic} denied: ${d.reason}`));
        }
        return done(null);
      }
      const session = sessions.get(client);
      if (!session) {
        denied('publish', client, undefined, topic, { ok: false, reason: 'outside_tree' });
        return done(new Error('publish from a connection that did not authenticate'));
      }
      // aedes passes the client's own will object when it publishes it (lib/client.js close()).
      const will = (client as Client & { will?: unknown }).will;
      const isWill = will !== null && will !== undefined && will === packet;
      const d = isWill ? checkWill(session.principal, packet) : checkPublish(session.principal, topic, packet.retain);
      if (!d.ok) {
        denied(isWill ? 'will' : 'publish', client, session.principal, topic, d);
        // MQTT-3.3.5-2: a server that does not authorize a PUBLISH has no way to tell the client
        // (3.1.1 has no negative PUBACK); it must acknowledge normally or close the connection.
        // Returning an error makes aedes close it, before PUBACK and before any delivery.
        return done(new Error(`publish to ${topic} denied: ${d.reason}`));
      }
      if (d.stripRetain) {
        // readings and events are never retained (acl.ts): deliver them, but not as state
        packet.retain = false;
        metrics.retainStripped.inc();
        warnOnce(`retain|${client.id}`, { clientId: client.id, topic }, 'retain flag removed: this topic is never retained');
      }
      if (isWill) return accepted(packet, done);
      // Per-client rate: excess publishes wait for their token. aedes reads no more of this
      // client's socket meanwhile, so a flooder is slowed by TCP back-pressure, not buffered.
      let bucket = publishBuckets.get(client);
      if (!bucket) publishBuckets.set(client, (bucket = new TokenBucket(limits.publishRate[session.principal.role])));
      const wait = bucket.take();
      let delays = publishDelays.get(client);
      if (wait === 0 && !delays?.pending) return accepted(packet, done);
      metrics.publishThrottled.inc({ role: session.principal.role });
      if (wait > limits.publishMaxDelayMs) {
        warnOnce(`flood|${client.id}`, { clientId: client.id, role: session.principal.role, behindMs: wait }, 'connection closed: publish rate far above the limit');
        metrics.aclDenials.inc({ action: 'publish', reason: 'rate_limit', role: session.principal.role });
        return done(new Error('publish rate limit exceeded'));
      }
      warnOnce(`throttle|${client.id}`, { clientId: client.id, role: session.principal.role, delayMs: wait }, 'publish rate above the limit: delaying');
      if (!delays) publishDelays.set(client, (delays = new OrderedDelay()));
      // Nothing of a client is published once it is disconnected (flood, revoked account,
      // network): what still waits is dropped and counted, never published after its will.
      delays.push(wait, () => (client.closed ? dropDelayed(client) : accepted(packet, done)));
    },

    authorizeSubscribe(client: Client, sub: Subscription, done) {
      const session = sessions.get(client);
      // Deeper filters get 0x80 like any refused filter (§3.9.3); aedes itself would close the
      // connection for them, so its own level limit is set far above this one (broker.ts).
      const d: AclDecision = !session
        ? { ok: false, reason: 'outside_tree' }
        : sub.topic.split('/').length > limits.maxTopicLevels
          ? { ok: false, reason: 'too_many_levels' }
          : checkSubscribe(session.principal, sub.topic);
      if (!d.ok) {
        denied('subscribe', client, session?.principal, sub.topic, d);
        // §3.9.3: return code 0x80 (failure) for this filter in the SUBACK; the connection stays.
        return done(null, null);
      }
      done(null, sub);
    },

    authorizeForward(_client, packet) {
      metrics.messagesOut.inc({ qos: String(packet.qos) });
      return packet;
    },
  };
}

export function remoteOf(client: Client): string | undefined {
  const conn = client.conn as { remoteAddress?: string; remotePort?: number };
  return conn.remoteAddress ? `${conn.remoteAddress}:${conn.remotePort ?? ''}` : undefined;
}
