/**
 * The union's notices on the board's screen (`--screen-notices-from <server URL>`): while the server
 * answers, the board fetches its station's notices (`GET /api/v1/public/stations/:id/notices`, the
 * public read, every minute) and keeps the last answer in memory and in `notices.json` of its state
 * folder. Offline it shows that copy, and each notice still leaves at its own end time (the page
 * drops it by the board's clock). A notice posted or withdrawn while the link is down reaches the
 * screen when it is back.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { PublicNotice } from '@yizhan/screen/notice';

export const NOTICES_POLL_MS = 60_000;
const FETCH_TIMEOUT_MS = 10_000;

/**
 * What the page needs of each notice, checked by hand: TypeBox's checker would take the screen's
 * bundle from 33 KB to 260 KB, held in memory on every board with a display. The answer comes from
 * our own server, and the page shows the texts as text (never as HTML).
 */
function isAnswer(v: unknown, stationId: string): v is { stationId: string; notices: PublicNotice[] } {
  const a = v as { stationId?: unknown; notices?: unknown } | null;
  return a?.stationId === stationId && Array.isArray(a.notices) && a.notices.every(isNotice);
}
function isNotice(v: unknown): boolean {
  const n = v as Partial<Record<keyof PublicNotice, unknown>> | null;
  const zh = (t: unknown) => typeof (t as Record<string, unknown> | null)?.['zh-CN'] === 'string';
  return (
    typeof n?.id === 'number' &&
    typeof n.kind === 'string' &&
    typeof n.severity === 'string' &&
    typeof n.startsAt === 'number' &&
    typeof n.endsAt === 'number' &&
    zh(n.title) &&
    zh(n.body)
  );
}

export interface NoticesCopyOptions {
  /** Server base URL, e.g. `https://yizhan.example.cn`. */
  from: string;
  stationId: string;
  /** Where the last answer is kept across restarts; none: memory only. */
  file?: string;
  pollMs?: number;
  logger: Logger;
  /** The list changed (fetched, or an answer differing from the last). */
  onChange: (notices: readonly PublicNotice[]) => void;
}

export class NoticesCopy {
  private list: readonly PublicNotice[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly o: NoticesCopyOptions) {
    if (!o.file) return;
    try {
      const kept: unknown = JSON.parse(readFileSync(o.file, 'utf8'));
      if (isAnswer(kept, o.stationId)) this.list = kept.notices;
    } catch {
      // No copy yet (first start) or a torn one: the next answer replaces it.
    }
  }

  /** The notices not ended yet at `now`, in the server's order. */
  current(now = Date.now()): PublicNotice[] {
    return this.list.filter((n) => n.endsAt > now);
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? NOTICES_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    const url = new URL(
      `/api/v1/public/stations/${encodeURIComponent(this.o.stationId)}/notices`,
      this.o.from,
    );
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body: unknown = await res.json();
      if (!isAnswer(body, this.o.stationId)) throw new Error('not a station notices answer');
      if (this.failing) this.o.logger.info({ url: url.href }, 'notices: server answers again');
      this.failing = false;
      if (JSON.stringify(body.notices) === JSON.stringify(this.list)) return;
      this.list = body.notices;
      this.keep(body);
      this.o.onChange(this.list);
    } catch (err) {
      // Logged once per outage: offline is the normal case this copy is for.
      if (!this.failing)
        this.o.logger.warn({ url: url.href, err }, 'notices: server unreachable, showing the kept copy');
      this.failing = true;
    }
  }

  private keep(answer: unknown): void {
    if (!this.o.file) return;
    try {
      mkdirSync(dirname(this.o.file), { recursive: true });
      writeFileSync(`${this.o.file}.tmp`, JSON.stringify(answer));
      renameSync(`${this.o.file}.tmp`, this.o.file);
    } catch (err) {
      this.o.logger.warn({ err, file: this.o.file }, 'notices: copy not kept on disk');
    }
  }
}
