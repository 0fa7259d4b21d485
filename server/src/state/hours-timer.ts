/**
 * Re-announces a station when it opens or closes (its `hours:`), so open screens switch between
 * free seats and "已闭站" on time although the station itself sends nothing at that minute.
 * One timer for all stations, set to the earliest next change (and at most an hour ahead, so a
 * wall-clock jump is caught up within the hour).
 */
import { openState } from '@yizhan/station-config/hours';
import type { StationRegistry } from '../registry.js';

const MAX_WAIT_MS = 3_600_000;

export class HoursTimer {
  private timer: NodeJS.Timeout | null = null;
  private readonly open = new Map<string, boolean>();

  constructor(
    private readonly registry: StationRegistry,
    private readonly onChange: (stationId: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer) return;
    this.open.clear();
    this.check(false);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private check(announce: boolean): void {
    const now = this.now();
    let next = now + MAX_WAIT_MS;
    for (const e of this.registry.all()) {
      const st = openState(e.hours, now);
      const id = e.config.id;
      if (announce && this.open.get(id) !== st.open) this.onChange(id);
      this.open.set(id, st.open);
      if (st.nextChange !== null) next = Math.min(next, st.nextChange);
    }
    // A few ms late, so that the derived state at the callback is already the new one.
    this.timer = setTimeout(() => this.check(true), Math.max(0, next - now) + 5);
    this.timer.unref();
  }
}
