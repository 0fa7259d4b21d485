/**
 * SUBSCRIBE (aedes' authorizeSubscribe), per filter, before the subscription is stored. A refused
 * filter gets return code 0x80 in the SUBACK and the connection stays (MQTT 3.1.1 §3.9.3,
 * MQTT-3.8.4-5: one return code per filter). Filters that are not well-formed UTF-8 are closed
 * earlier, in the parser (aedes-patches/parser.ts, MQTT-1.5.3-1/-2).
 */
import type { AedesOptions } from 'aedes';
import { checkSubscribe, type AclDecision } from '../acl.js';
import type { HookContext, Reporter } from './context.js';

export function subscribeHook(ctx: HookContext, report: Reporter): Required<AedesOptions>['authorizeSubscribe'] {
  const { sessions, limits } = ctx;
  return function authorizeSubscribe(client, sub, done) {
    const session = sessions.get(client);
    // Deeper filters get 0x80 like any refused filter (§3.9.3); aedes itself would close the
    // connection for them, so its own level limit is set far above this one (broker.ts).
    const d: AclDecision = !session
      ? { ok: false, reason: 'outside_tree' }
      : sub.topic.split('/').length > limits.maxTopicLevels
        ? { ok: false, reason: 'too_many_levels' }
        : checkSubscribe(session.principal, sub.topic);
    if (!d.ok) {
      report.denied('subscribe', client, session?.principal, sub.topic, d);
      // §3.9.3: return code 0x80 (failure) for this filter in the SUBACK; the connection stays.
      return done(null, null);
    }
    done(null, sub);
  };
}
