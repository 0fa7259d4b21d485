/**
 * Reminders and escalation: a periodic job (every ~30 s) over `alert_escalations` (migration 0010).
 * An alert firing and unacknowledged
 * - `remindAfter` after it started → a reminder on the township's channels, @-mentioning the
 *   assignee (or the crew);
 * - `escalateAfter` → the township's managers @-mentioned on the township's channels;
 * - `escalateCountyAfter` → the county route with the county admins (and the route's `mention`);
 * - then the last step again every `repeatEvery` while it stays open and unacknowledged.
 * Acknowledged or resolved: the row is deleted and nothing more is sent. A job that was down sends
 * only the highest step reached, once.
 *
 * Each send is outbox items (dedupe key `${alertId}:esc<level>.<n>:${channel}`) and an alert_event
 * `reminded` or `escalated`, in one transaction. Two server processes (PostgreSQL) may run the job:
 * a due row is claimed by a conditional UPDATE of its `next_at` (only one process's UPDATE matches).
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Alert } from '../alerts/types.js';
import type { OutboxItem } from './outbox.js';
import type { People } from './people.js';
import { CREW_ROLES, MAX_MENTIONS } from './people.js';
import { renderEscalation, type EscalationLevel, type RenderContext } from './render.js';
import type { Routing } from './routing.js';
import { LEVELS, stepAfter } from './escalation-store.js';

export const DEFAULT_ESCALATION_INTERVAL_MS = 30_000;
/** A claimed row not finished within this long is due again (its process died), ms. */
const CLAIM_MS = 5 * 60_000;
/** Rows one pass looks at; the rest wait for the next pass. */
const BATCH = 200;

export interface EscalationDeps {
  db: Kysely<Database>;
  routing: Routing;
  people: People;
  render: RenderContext;
  enqueue(items: OutboxItem[], trx: Transaction<Database>): Promise<number>;
  /** The alert as the API shows it (names from the registry), read in `trx`. */
  alert(trx: Transaction<Database>, id: string): Promise<(Alert & { acked: boolean }) | undefined>;
  now?: () => number;
  log?: { error(obj: object, msg: string): void };
}

type Row = Selectable<Database['alert_escalations']>;

const LEVEL_NAME: Record<number, EscalationLevel> = { 1: 'remind', 2: 'township', 3: 'county' };

export class EscalationJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: EscalationDeps) {}

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  start(intervalMs = DEFAULT_ESCALATION_INTERVAL_MS): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(async () => {
        try {
          await this.tick();
        } catch (err) {
          this.d.log?.error({ err }, '告警提醒/升级处理失败，下次重试 / escalation pass failed, retrying');
        }
      });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: every due row claimed by this process is looked at once. Returns how many were sent. */
  async tick(): Promise<number> {
    const now = this.now();
    const due = await this.d.db
      .selectFrom('alert_escalations')
      .selectAll()
      .where('next_at', '<=', now)
      .orderBy('next_at')
      .limit(BATCH)
      .execute();
    let sent = 0;
    for (const row of due) {
      const claimed = await this.d.db
        .updateTable('alert_escalations')
        .set({ next_at: now + CLAIM_MS })
        .where('alert_id', '=', row.alert_id)
        .where('next_at', '=', row.next_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      if (await this.d.db.transaction().execute((trx) => this.step(trx, row, now))) sent++;
    }
    return sent;
  }

  /** Send what is due for one claimed row and schedule the next; true when something was sent. */
  private async step(trx: Transaction<Database>, row: Row, now: number): Promise<boolean> {
    const a = await this.d.alert(trx, row.alert_id);
    const done = () => trx.deleteFrom('alert_escalations').where('alert_id', '=', row.alert_id).execute();
    if (!a || a.status !== 'firing' || a.acked) {
      await done();
      return false;
    }
    const p = this.d.routing.config.policy(a.severity, row.township);
    const started = Date.parse(a.startsAt);
    const reached = Math.max(0, ...LEVELS.filter((l) => started + stepAfter(p, l) <= now));
    // A higher step reached: send it (only the highest, after downtime); else repeat the last one.
    const up = reached > row.level;
    const repeat = !up && row.level > 0 && row.last_at !== null && now >= row.last_at + p.repeatEveryMs;
    const sending = up || repeat;
    const level = up ? reached : row.level;
    const sent = up ? 1 : repeat ? row.sent + 1 : row.sent;
    const last = sending ? now : row.last_at;
    if (sending) await this.send(trx, a, row.township, level, sent, now - started, now);
    const nextStep = started + stepAfter(p, level + 1);
    const again = level > 0 && last !== null ? last + p.repeatEveryMs : Infinity;
    const next = Math.min(nextStep, again);
    if (!Number.isFinite(next)) await done();
    else
      await trx
        .updateTable('alert_escalations')
        .set({ level, sent, last_at: last, next_at: Math.max(next, now + 1) })
        .where('alert_id', '=', row.alert_id)
        .execute();
    return sending;
  }

  private async send(
    trx: Transaction<Database>,
    a: Alert,
    township: string,
    level: number,
    n: number,
    openMs: number,
    now: number,
  ): Promise<void> {
    const name = LEVEL_NAME[level]!;
    const route = level === 3 ? this.d.routing.county() : this.d.routing.township(township);
    const people = this.d.people;
    let mentions: string[];
    if (level === 1) {
      const assignee = (await people.assigneeMobiles(trx, [a.id])).get(a.id);
      mentions = assignee ? [assignee] : await people.mobiles(trx, township, CREW_ROLES);
    } else if (level === 2) mentions = await people.mobiles(trx, township, ['township_manager']);
    else mentions = await people.mobiles(trx, 'county', ['county_admin']);
    mentions = [...new Set([...mentions, ...(route?.mention ?? [])])].slice(0, MAX_MENTIONS);
    const message = {
      ...renderEscalation(this.d.render, a, name, openMs),
      ...(mentions.length ? { mentionMobiles: mentions } : {}),
    };
    const channels = (route?.channels ?? []).filter((c) => c !== this.d.routing.legacy);
    const items = channels.map((channel) => ({
      dedupeKey: `${a.id}:esc${level}.${n}:${channel}`,
      channel,
      message,
      groupKey: `${township}:esc${level}`,
    }));
    if (items.length) await this.d.enqueue(items, trx);
    await trx
      .insertInto('alert_events')
      .values({
        alert_id: a.id,
        at: now,
        user_id: null,
        kind: level === 1 ? 'reminded' : 'escalated',
        text: `level:${name};channels:${channels.join(',')}`,
      })
      .execute();
  }
}
