/**
 * When a fault run misses readings, what each process said about the stations concerned, so that
 * a failure names where the readings stopped: the agent's MQTT link (connects, losses, queued
 * counts, refused publishes), the broker's and the server's warnings and restarts in the same
 * span, and the counters of drops and refusals from their metrics. Read before the stack stops
 * (its folder is removed then).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Miss } from './faults-count.js';

/** Log lines kept per process. */
const MAX_LINES = 25;
/** Lines this long before the first missing frame and after the last one are shown, ms. */
const BEFORE_MS = 3_000;
const AFTER_MS = 20_000;
/** Informational messages worth showing beside warnings and errors. */
const NOTABLE =
  /mqtt connected|mqtt reconnect|serial|broker state restored|broker listening|server started|spool/;
/** Counters that tell where a message was dropped or refused. */
const COUNTERS = new RegExp(
  `^(${[
    'yizhan_broker_queue_dropped_total',
    'yizhan_broker_delayed_publishes_dropped_total',
    'yizhan_broker_acl_denials_total',
    'yizhan_broker_journal_torn_bytes_total',
    'yizhan_ingest_messages_total',
    'yizhan_ingest_rejected_total',
    'yizhan_ingest_duplicates_total',
    'yizhan_influx_points_dropped_total',
    'yizhan_influx_write_errors_total',
    'yizhan_influx_spool_errors_total',
  ].join('|')})[{ ]`,
);

interface LogLine {
  time?: number;
  level?: number;
  msg?: string;
  [k: string]: unknown;
}

export interface DiagnoseInput {
  /** The stack's folder (logs/<name>.log). */
  root: string;
  missing: readonly Miss[];
  metricsUrls: Record<string, string | undefined>;
}

export async function diagnose(i: DiagnoseInput): Promise<string> {
  if (i.missing.length === 0) return '';
  const from = Math.min(...i.missing.map((m) => m.at)) - BEFORE_MS;
  const to = Math.max(...i.missing.map((m) => m.at)) + AFTER_MS;
  const t0 = from + BEFORE_MS;
  const stations = [...new Set(i.missing.map((m) => m.station))];
  const parts: string[] = [`first missing frame at t=0 (${new Date(t0).toISOString()})`];
  const section = (name: string, file: string) => {
    const lines = logLines(join(i.root, 'logs', file), from, to);
    parts.push(`${name} (${lines.length} line(s) from t=${from - t0} to t=+${to - t0} ms):`);
    parts.push(...lines.slice(0, MAX_LINES).map((l) => '  ' + shown(l, t0)));
    if (lines.length > MAX_LINES) parts.push(`  … ${lines.length - MAX_LINES} more`);
  };
  for (const s of stations) section(`agent ${s}`, `agent-${s}.log`);
  section('broker', 'broker.log');
  section('server', 'server.log');
  for (const [name, url] of Object.entries(i.metricsUrls)) {
    if (!url) continue;
    const text = await fetch(url, { signal: AbortSignal.timeout(3_000) })
      .then((r) => r.text())
      .catch((e: unknown) => `(metrics not read: ${(e as Error).message})`);
    const counters = text.split('\n').filter((l) => COUNTERS.test(l) || l.startsWith('(metrics'));
    parts.push(`${name} counters:`, ...counters.map((l) => '  ' + l));
  }
  return parts.join('\n');
}

/** A log's JSON lines in [from, to] that are warnings, errors or notable; other lines skipped. */
function logLines(file: string, from: number, to: number): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.startsWith('{')) continue;
    let l: LogLine;
    try {
      l = JSON.parse(raw) as LogLine;
    } catch {
      continue;
    }
    if (typeof l.time !== 'number' || l.time < from || l.time > to) continue;
    if ((l.level ?? 0) >= 40 || NOTABLE.test(l.msg ?? '')) out.push(l);
  }
  return out;
}

const OMIT = new Set([
  'time',
  'level',
  'msg',
  'pid',
  'hostname',
  'name',
  'station',
  'bootId',
  'mqtt',
  'component',
]);

function shown(l: LogLine, t0: number): string {
  const rest = Object.entries(l)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const t = (l.time ?? 0) - t0;
  return `t=${t >= 0 ? '+' : ''}${t} ms ${l.level && l.level >= 50 ? 'ERROR' : l.level && l.level >= 40 ? 'WARN' : 'info'} ${l.msg ?? ''}${rest ? ` (${rest})` : ''}`;
}
