/**
 * The notice board: the notices not yet over (active and upcoming), in memory, and the moments
 * they start and end. One timer waits for the next start or end (no polling); when it fires, or
 * after a reload from the store (at start, after every write through this process, and every
 * reload interval for writes through other processes), the board compares what is active now with
 * what it last announced and emits `change` with the stations whose screens must change. A
 * station's active notices are its own, its township's and the county's, most severe first, then
 * by start.
 */
import { EventEmitter } from 'node:events';
import { publicNotice } from './repo.js';
import { NOTICE_SEVERITIES, type Notice, type NoticeScope, type StationNotices } from '../routes/notices/schemas.js';

/** setTimeout's longest delay (about 24.8 days); a later moment is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface BoardDeps {
  /** The notices not withdrawn and not ended at `now` (repo.ts readNotices current). */
  load(now: number): Promise<Notice[]>;
  /** The township code of a station; undefined: no such station. */
  townshipOf(stationId: string): string | undefined;
  /** Every station a scope covers. */
  stationsOf(scope: NoticeScope): string[];
  now?: () => number;
}

const rank = (s: Notice['severity']) => NOTICE_SEVERITIES.indexOf(s);
const isActive = (n: Notice, now: number) => n.startsAt <= now && now < n.endsAt;

export function covers(scope: NoticeScope, stationId: string, township: string | undefined): boolean {
  if ('county' in scope) return true;
  if ('township' in scope) return township !== undefined && scope.township === township;
  return scope.stationId === stationId;
}

export class NoticeBoard extends EventEmitter<{ change: [ReadonlySet<string>] }> {
  private notices: Notice[] = [];
  /** The active notices last announced, by id (the `change` diff compares against them). */
  private announced = new Map<number, Notice>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: BoardDeps) {
    super();
    this.setMaxListeners(0);
    this.now = deps.now ?? Date.now;
  }

  /** Read the store again and announce what changed; a failed read keeps the previous notices. */
  async reload(): Promise<void> {
    const now = this.now();
    this.notices = await this.deps.load(now);
    this.evaluate();
  }

  /** The station's notices active at `now`, in screen order. */
  forStation(stationId: string, now = this.now()): StationNotices {
    const township = this.deps.townshipOf(stationId);
    const mine = this.notices.filter((n) => isActive(n, now) && covers(n.scope, stationId, township));
    mine.sort((a, b) => rank(a.severity) - rank(b.severity) || a.startsAt - b.startsAt || a.id - b.id);
    return { stationId, notices: mine.map(publicNotice) };
  }

  /** Notices active now, over every scope. */
  get activeCount(): number {
    const now = this.now();
    return this.notices.filter((n) => isActive(n, now)).length;
  }

  /** When the timer fires next (Unix ms), or undefined: nothing to wait for (tests, logs). */
  nextChangeAt(now = this.now()): number | undefined {
    let next: number | undefined;
    for (const n of this.notices)
      for (const t of [n.startsAt, n.endsAt]) if (t > now && (next === undefined || t < next)) next = t;
    return next;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Compare the active notices with the announced ones, emit the stations that differ, re-arm the timer. */
  private evaluate(): void {
    const now = this.now();
    this.notices = this.notices.filter((n) => n.endsAt > now);
    const active = new Map(this.notices.filter((n) => isActive(n, now)).map((n) => [n.id, n]));
    const stations = new Set<string>();
    const touch = (n: Notice) => {
      for (const id of this.deps.stationsOf(n.scope)) stations.add(id);
    };
    // Gone or changed (the scope never changes, so the old one names the stations), then new.
    for (const [id, before] of this.announced) if (active.get(id)?.updatedAt !== before.updatedAt) touch(before);
    for (const [id, after] of active) if (!this.announced.has(id)) touch(after);
    this.announced = active;
    this.arm(now);
    if (stations.size) this.emit('change', stations);
  }

  private arm(now: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.nextChangeAt(now);
    if (next === undefined || this.stopped) return;
    this.timer = setTimeout(() => this.evaluate(), Math.min(next - now, MAX_TIMER_MS));
    this.timer.unref();
  }
}
