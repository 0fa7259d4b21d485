/**
 * aedes hooks, one module per MQTT packet type, as aedes' own lib/handlers/ are: who may connect
 * (connect.ts: CONNECT), what a client may publish (publish.ts: PUBLISH in) and subscribe to
 * (subscribe.ts: SUBSCRIBE); outgoing PUBLISH is only counted (authorizeForward, here). Every check
 * runs before aedes has any side effect: CONNECT is refused before the will is stored or the
 * session registered, a PUBLISH before PUBACK and delivery, a SUBSCRIBE before the subscription is
 * stored.
 */
import type { AedesOptions } from 'aedes';
import { connectHooks } from './connect.js';
import { createReporter, type HookContext } from './context.js';
import { publishHook } from './publish.js';
import { subscribeHook } from './subscribe.js';

export type { AuthFailure } from './connect.js';
export { remoteOf, type HookContext, type Session } from './context.js';

type Hooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export function createHooks(ctx: HookContext): Hooks {
  const report = createReporter(ctx);
  const { metrics } = ctx;
  return {
    ...connectHooks(ctx, report),
    authorizePublish: publishHook(ctx, report),
    authorizeSubscribe: subscribeHook(ctx, report),
    authorizeForward(_client, packet) {
      metrics.messagesOut.inc({ qos: String(packet.qos) });
      return packet;
    },
  };
}
