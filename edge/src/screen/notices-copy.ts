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
import { ServerPoll } from './server-poll.js';

export const NOTICES_POLL_MS = 60_000;

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
  private readonly poll: ServerPoll<{ stationId: string; notices: PublicNotice[] }>;

  constructor(private readonly o: NoticesCopyOptions) {
    this.poll = new ServerPoll({
      url: new URL(`/api/v1/public/stations/${encodeURIComponent(o.stationId)}/notices`, o.from),
      everyMs: o.pollMs ?? NOTICES_POLL_MS,
      what: 'notices',
      logger: o.logger,
      check: (v) => isAnswer(v, o.stationId),
      onAnswer: (body) => {
        if (JSON.stringify(body.notices) === JSON.stringify(this.list)) return;
        this.list = body.notices;
        this.keep(body);
        this.o.onChange(this.list);
      },
    });
    if (!o.file) return;
    try {
      const kept: unknown = JSON.parse(readFileSync(o.file, 'utf8'));
      if (isAnswer(kept, o.stationId)) this.list = kept.notices;
    } catch (err) {
      // No copy yet (first start) is normal; a torn or unreadable one is said, and the next
      // answer replaces it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        o.logger.warn({ err, file: o.file }, 'notices: kept copy unreadable, waiting for the server');
    }
  }

  /** The notices not ended yet at `now`, in the server's order. */
  current(now = Date.now()): PublicNotice[] {
    return this.list.filter((n) => n.endsAt > now);
  }

  start(): void {
    this.poll.start();
  }

  stop(): void {
    this.poll.stop();
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
