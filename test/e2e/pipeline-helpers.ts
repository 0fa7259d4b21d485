/**
 * Small, independent tools of the end-to-end pipeline test: a pino logger that keeps its lines, an SSE reader that stamps arrival times, a real
 * webhook receiver, plain-HTTP InfluxQL, seeded line noise, and a check that no process started
 * under a folder survives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { mulberry32 } from '@yizhan/edge/simulator';
import { SOF1, SOF2 } from '@yizhan/protocol/serial';

export { WarpClock } from '../helpers/clock.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger keeping every line (parsed); `level` default info. */
export function captureLogger(level = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

export { openSse, type SseClient, type SseEvent } from '../helpers/sse.js';

export interface WebhookPost {
  at: number;
  path: string;
  body: {
    status: string;
    groupKey: string;
    alert: {
      id: string;
      rule: string;
      stationId: string;
      status: string;
      endsAt: string | null;
      evidence: Record<string, unknown>;
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };
  };
}

/** A real HTTP receiver on a free port that records every POST (answers 200). */
export async function startWebhookReceiver(): Promise<{
  url: string;
  posts: WebhookPost[];
  close(): Promise<void>;
}> {
  const posts: WebhookPost[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posts.push({ at: Date.now(), path: req.url ?? '', body: JSON.parse(body) as WebhookPost['body'] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/alerts`,
    posts,
    close() {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export type Row = Record<string, string | number | null>;

/** One InfluxQL statement over plain HTTP `/query` (epoch ms), as a user or Grafana runs it. */
export async function influxql(url: string, db: string, q: string): Promise<Row[]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q, epoch: 'ms' }).toString()}`);
  const body = (await res.json()) as {
    results?: {
      error?: string;
      series?: { tags?: Record<string, string>; columns: string[]; values: (string | number | null)[][] }[];
    }[];
    error?: string;
  };
  const first = body.results?.[0];
  const err = body.error ?? first?.error;
  if (res.status !== 200 || err) throw new Error(`InfluxQL "${q}": HTTP ${res.status} ${err ?? ''}`);
  const rows: Row[] = [];
  for (const s of first?.series ?? [])
    for (const v of s.values) {
      const row: Row = { ...s.tags };
      s.columns.forEach((c, i) => (row[c] = v[i] ?? null));
      rows.push(row);
    }
  return rows;
}

/** `count` buffers of `min`..`max` bytes from a seeded PRNG (same seed, same bytes). */
export function noiseBursts(seed: number, count: number, min: number, max: number): Buffer[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const len = min + Math.floor(rnd() * (max - min + 1));
    return Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
  });
}

/** Does `buf` contain the start-of-frame marker (which would make the noise a header candidate)? */
export function hasStartOfFrame(buf: Buffer): boolean {
  return buf.indexOf(Buffer.from([SOF1, SOF2])) >= 0;
}

/** Processes whose command line mentions `needle` (e.g. the test's temp folder), as "pid cmd". */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmd.includes(needle)) found.push(`${pid} ${cmd.slice(0, 160)}`);
    } catch {
      /* the process ended while we looked */
    }
  }
  return found;
}

/** Sum of a prom-client metric's samples whose labels include `labels` (0 when none). */
export async function metricSum(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const { values } = await m.get();
  return values
    .filter((s) =>
      Object.entries(labels).every(([k, v]) => String((s.labels as Record<string, unknown>)[k]) === v),
    )
    .reduce((sum, s) => sum + s.value, 0);
}

/** GET a JSON body. */
export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The single number an aggregate InfluxQL query returns (count, last…); 0 when no row. */
export async function influxNumber(url: string, db: string, q: string): Promise<number> {
  const [row] = await influxql(url, db, q);
  const v = row ? Object.entries(row).find(([k]) => k !== 'time')?.[1] : undefined;
  return Number(v ?? 0);
}

/**
 * Record in the page, by the wall clock, each time element `#id` gets the text `text`; read the
 * times with {@link textTimes}. Installed before the change, so no polling delay is measured.
 */
export async function recordText(page: Page, id: string, text: string): Promise<void> {
  await page.evaluate(
    ([id, text]) => {
      const el = document.getElementById(id);
      const w = window as unknown as { textTimes: number[] };
      w.textTimes = [];
      if (el)
        new MutationObserver(() => {
          if (el.textContent === text) w.textTimes.push(Date.now());
        }).observe(el, { childList: true, characterData: true, subtree: true });
    },
    [id, text] as const,
  );
}
export function textTimes(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { textTimes: number[] }).textTimes);
}
