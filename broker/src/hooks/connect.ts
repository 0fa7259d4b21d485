/**
 * CONNECT: who may connect (aedes' preConnect and authenticate). Refused before aedes stores the
 * will or registers the session. Enforces MQTT 3.1.1 §3.1.3 (client id: MQTT-3.1.3-6/-8/-9),
 * MQTT-3.1.2-22 (no password without a user name), MQTT-3.1.4-2 (a client id names one session:
 * nobody takes over another account's) and answers with the CONNACK codes of §3.2.2.3.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { checkWill, clientIdOwner, type Principal } from '../acl.js';
import type { HookContext, Reporter } from './context.js';
import { remoteOf } from './context.js';

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

/** Failures that mean "wrong credentials": they count as strikes against the address. */
const CREDENTIAL_FAILURES: ReadonlySet<AuthFailure> = new Set(['missing_credentials', 'unknown_user', 'bad_password']);

/** CONNECT fields aedes does not pass to `authenticate`. */
interface ConnectInfo {
  clientId: string;
  keepalive: number;
  will: { topic: string; retain?: boolean } | undefined;
}

type Refuse = (client: Client, username: string | undefined, reason: AuthFailure, detail: string) => AuthenticateError;

/** A refused CONNECT: counted, logged once per interval, a strike for wrong credentials; the error carries its CONNACK code. */
function refuser(ctx: HookContext, report: Reporter, connectInfo: WeakMap<Client, ConnectInfo>): Refuse {
  const { metrics, guard } = ctx;
  return (client, username, reason, detail) => {
    metrics.authFailures.inc({ reason });
    if (CREDENTIAL_FAILURES.has(reason)) guard.loginFailed(client);
    const clientId = connectInfo.get(client)?.clientId ?? client.id;
    const remote = guard.addressOf(client) ?? remoteOf(client);
    report.warnOnce(`auth|${reason}|${remote ?? ''}|${clientId}|${username ?? ''}`, { clientId, username, reason, remote }, `connection refused: ${detail}`);
    const error = new Error(detail) as AuthenticateError;
    error.returnCode = RETURN_CODE[reason];
    return error;
  };
}

export function connectHooks(ctx: HookContext, report: Reporter): Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>> {
  const { store, log, sessions, limits } = ctx;
  const connectInfo = new WeakMap<Client, ConnectInfo>();
  const refuse = refuser(ctx, report, connectInfo);

  /** The account may use this client id and will; the session it gets, or the refusal. */
  function admit(client: Client, info: ConnectInfo, account: { username: string; role: Principal['role']; hash: string }): AuthenticateError | undefined {
    const { clientId } = info;
    const username = account.username;
    // A client id belongs to one account (acl.ts clientIdOwner): a station is exactly its own
    // name; the server and operators use their name or `<name>-<suffix>`. Nobody can take over
    // (MQTT-3.1.4-2) another account's session or the messages queued for it.
    if (account.role === 'station' && clientId !== username)
      return refuse(client, username, 'client_id_mismatch', `station "${username}" must use client id "${username}", not "${clientId}"`);
    const owner = clientIdOwner(clientId, (name) => store.get(name) !== undefined);
    if (owner !== username)
      return owner === undefined
        ? refuse(client, username, 'client_id_mismatch', `client id "${clientId}" of "${username}" must be "${username}" or start with "${username}-"`)
        : refuse(client, username, 'client_id_reserved', `client id "${clientId}" belongs to account "${owner}"`);
    const principal: Principal = { username, role: account.role, clientId };
    if (info.will) {
      const d = checkWill(principal, info.will);
      if (!d.ok) {
        report.denied('will', client, principal, info.will.topic, d);
        return refuse(client, username, 'will_denied', `will on "${info.will.topic}" not allowed: ${d.reason}`);
      }
    }
    sessions.set(client, { principal, accountHash: account.hash });
    return undefined;
  }

  return {
    preConnect(client, packet, done) {
      // Connection rate limits and bans act earlier, at accept (guard.ts).
      connectInfo.set(client, {
        clientId: packet.clientId,
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
      if (!info || info.clientId.length === 0) return done(refuse(client, username, 'empty_client_id', 'zero-length client id'), false);
      // 3.1.1 cannot negotiate keepalive: out of bounds is refused (0 would let a dead link hold a session forever).
      if (info.keepalive < limits.keepaliveMinS || info.keepalive > limits.keepaliveMaxS)
        return done(refuse(client, username, 'keepalive_out_of_range', `keepalive ${info.keepalive} s outside ${limits.keepaliveMinS}..${limits.keepaliveMaxS} s`), false);
      // MQTT-3.1.2-22: no password without a user name. Both are required here.
      if (!username || !password || password.length === 0) return done(refuse(client, username, 'missing_credentials', 'no username or password'), false);
      const clientId = info.clientId;
      store
        .verify(username, password)
        .then(
          (result) => {
            if (!result.ok) {
              const detail = {
                unknown_user: `unknown user "${username}"`,
                bad_password: `wrong password for "${username}"`,
                overloaded: 'too many password checks queued; try again later',
              }[result.reason];
              return done(refuse(client, username, result.reason, detail), false);
            }
            const refused = admit(client, info, result.account);
            done(refused ?? null, !refused);
          },
          (err: unknown) => {
            log.error({ err, clientId, username }, 'authentication failed unexpectedly');
            done(refuse(client, username, 'overloaded', 'internal error while checking the password'), false);
          },
        )
        .catch((err: unknown) => log.error({ err, clientId, username }, 'error after authentication')); // never an unhandled rejection
    },
  };
}
