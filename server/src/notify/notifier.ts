/**
 * The notifier: what the alert repository newly recorded becomes outbox items, in the same
 * transaction (repo.ts `onTransitions`), so an alert and its notifications commit together, and a
 * fire the store already holds (restored after a restart) is not notified again.
 *
 * Per transition, in this order:
 * - `suppressedBy` set (inhibited by a dark station, a serial link down or an outage incident):
 *   alert_event `suppressed`, nothing sent;
 * - a silence matches at the change's own time: alert_event `silenced` (`silence:<id>`), counted,
 *   nothing sent;
 * - `flapping`: one message saying it flaps and needs a person; its resolves are not sent;
 * - otherwise the township's route (county fallback): one item per channel, dedupe key
 *   `${alertId}:${fired|resolved}:${channel}`, group key per township and transition (a storm
 *   merges into a few messages), the crew @-mentioned on a fire (none on a resolve), and an
 *   alert_event `notified` naming the channels.
 * A fire that is notified also starts its escalation (escalation.ts).
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert } from '../alerts/types.js';
import { markSilenced, type RecordedTransitions } from '../alerts/repo.js';
import type { SilenceCache } from '../alerts/silences.js';
import { webhookBody } from '../alerts/webhook.js';
import type { OutboxItem } from './outbox.js';
import type { People } from './people.js';
import { CREW_ROLES, MAX_MENTIONS } from './people.js';
import { renderTransition, type RenderContext, type Transition } from './render.js';
import type { Routing } from './routing.js';
import { startEscalation, stopEscalation } from './escalation-store.js';

export interface NotifierDeps {
  routing: Routing;
  people: People;
  enqueue(items: OutboxItem[], trx: Transaction<Database>): Promise<number>;
  /** The silences in force (read at each batch: the cache is refreshed in place). */
  silences(): SilenceCache | undefined;
  townshipCode(stationId: string): string | undefined;
  render: RenderContext;
  onSilenced?(rule: string): void;
  /** Wall clock of the storm windows, ms. */
  now?: () => number;
}

/**
 * Storm damping per group (township × transition): an item goes at once while the group had fewer
 * than STORM_BURST items in the last STORM_WINDOW_MS, so independent faults (a few a minute per
 * township) wait for nothing; beyond that, items are held to a slot STORM_WINDOW_MS ahead and go as
 * one merged message. At most STORM_BURST + 3 messages per channel in a minute-long storm (the
 * first items of a storm usually arrive in one outbox pass and merge into one message), and at most
 * 5 + 3 per 20 s window stays under a robot's 20 a minute.
 */
export const STORM_WINDOW_MS = 20_000;
export const STORM_BURST = 5;
/** Groups remembered at most (one per township and transition; far above a county's). */
const MAX_WINDOWS = 10_000;

interface GroupPace {
  /** When its last STORM_BURST items were enqueued, oldest first. */
  recent: number[];
  /** The pending merged message's time, while in the future. */
  slot: number;
}

type Event = Omit<Database['alert_events'], 'id'>;

/** The time a change happened: a fire's start, a resolve's end. */
export function changeAt(a: Alert): number {
  return Date.parse(a.status === 'firing' ? a.startsAt : (a.endsAt ?? a.startsAt));
}

export class Notifier {
  /** groupKey → its recent items and pending merged slot. */
  private readonly windows = new Map<string, GroupPace>();

  constructor(private readonly d: NotifierDeps) {}

  /** When an item of `group` may go: undefined for now, else the merged slot it is held to. */
  private notBefore(group: string): number | undefined {
    const now = (this.d.now ?? Date.now)();
    let pace = this.windows.get(group);
    if (!pace) {
      if (this.windows.size >= MAX_WINDOWS) this.windows.clear();
      pace = { recent: [], slot: 0 };
      this.windows.set(group, pace);
    }
    const busy = pace.recent.filter((t) => t > now - STORM_WINDOW_MS).length >= STORM_BURST;
    pace.recent.push(now);
    if (pace.recent.length > STORM_BURST) pace.recent.shift();
    if (!busy) return undefined;
    if (pace.slot <= now) pace.slot = now + STORM_WINDOW_MS;
    return pace.slot;
  }

  /** The repository hook: runs inside the batch's transaction. */
  async onTransitions(trx: Transaction<Database>, t: RecordedTransitions): Promise<void> {
    const events: Event[] = [];
    const items: OutboxItem[] = [];
    const crews = new Map<string, string[]>();
    const assignees = await this.d.people.assigneeMobiles(
      trx,
      t.fired.map((a) => a.id),
    );
    const crewOf = async (township: string): Promise<string[]> => {
      let m = crews.get(township);
      if (!m) crews.set(township, (m = await this.d.people.mobiles(trx, township, CREW_ROLES)));
      return m;
    };
    const changes: [Alert, 'fired' | 'resolved'][] = [
      ...t.fired.map((a) => [a, 'fired'] as [Alert, 'fired']),
      ...t.resolved.map((a) => [a, 'resolved'] as [Alert, 'resolved']),
    ];
    for (const [a, kind] of changes) {
      const township = this.d.townshipCode(a.stationId) ?? a.township;
      const at = changeAt(a);
      if (kind === 'resolved') await stopEscalation(trx, a.id);
      if (a.suppressedBy) {
        events.push({ alert_id: a.id, at, user_id: null, kind: 'suppressed', text: `by:${a.suppressedBy}` });
        continue;
      }
      const silence = this.d.silences()?.silencedBy({ ...a, townshipCode: township }, at);
      if (silence) {
        this.d.onSilenced?.(a.rule);
        events.push({ alert_id: a.id, at, user_id: null, kind: 'silenced', text: `silence:${silence.id}` });
        await markSilenced(trx, a.id, silence.id);
        continue;
      }
      if (a.flapping && kind === 'resolved') continue;
      const transition: Transition = a.flapping ? 'flapping' : kind;
      const mentions =
        kind === 'fired' ? (assignees.has(a.id) ? [assignees.get(a.id)!] : await crewOf(township)) : [];
      const sent = this.itemsFor(a, township, kind, transition, mentions);
      items.push(...sent);
      if (sent.length) {
        const names = sent.map((i) => i.channel).join(',');
        events.push({ alert_id: a.id, at, user_id: null, kind: 'notified', text: `channels:${names}` });
      }
      if (kind === 'fired' && !a.flapping) await startEscalation(trx, a, township, this.d.routing.config);
    }
    if (items.length) await this.d.enqueue(items, trx);
    if (events.length) await trx.insertInto('alert_events').values(events).execute();
  }

  private itemsFor(
    a: Alert,
    township: string,
    kind: 'fired' | 'resolved',
    transition: Transition,
    crew: string[],
  ): OutboxItem[] {
    const out: OutboxItem[] = [];
    const route = this.d.routing.township(township);
    if (route) {
      const mentions =
        kind === 'fired' ? [...new Set([...crew, ...route.mention])].slice(0, MAX_MENTIONS) : [];
      const message = {
        ...renderTransition(this.d.render, a, transition),
        ...(mentions.length ? { mentionMobiles: mentions } : {}),
      };
      const groupKey = `${township}:${transition}`;
      const at = this.notBefore(groupKey);
      for (const channel of route.channels.filter((c) => c !== this.d.routing.legacy))
        out.push({
          dedupeKey: `${a.id}:${kind}:${channel}`,
          channel,
          message,
          groupKey,
          ...(at === undefined ? {} : { notBefore: at }),
        });
    }
    const legacy = this.d.routing.legacy;
    if (legacy) {
      // The same JSON body as ever, one POST per change: no group key, never merged.
      const m = renderTransition(this.d.render, a, transition);
      out.push({
        dedupeKey: `${a.id}:${kind}:${legacy}`,
        channel: legacy,
        message: { ...m, raw: webhookBody(a) },
      });
    }
    return out;
  }
}
