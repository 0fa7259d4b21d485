/**
 * What the board's screen takes from the server (notices-copy.ts, nearby-copy.ts): one public GET
 * every `everyMs` while the server answers, each answer checked before use. Offline is the normal
 * case these copies exist for, so a failure is logged once per outage, and the return once.
 */
import type { Logger } from 'pino';

const FETCH_TIMEOUT_MS = 10_000;

export interface ServerPollOptions<T> {
  url: URL;
  everyMs: number;
  /** What is fetched, for the log ("notices", "nearby stations"). */
  what: string;
  logger: Logger;
  /** Whether the body is an answer to use (checked by hand: TypeBox would triple the bundle). */
  check: (body: unknown) => body is T;
  onAnswer: (answer: T, receivedAt: number) => void;
}

export class ServerPoll<T> {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly o: ServerPollOptions<T>) {}

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.o.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    const { url, what, logger } = this.o;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body: unknown = await res.json();
      if (!this.o.check(body)) throw new Error(`not an answer with ${what}`);
      if (this.failing) logger.info({ url: url.href }, `${what}: server answers again`);
      this.failing = false;
      this.o.onAnswer(body, Date.now());
    } catch (err) {
      if (!this.failing)
        logger.warn({ url: url.href, err }, `${what}: server unreachable, showing the kept copy`);
      this.failing = true;
    }
  }
}
