/**
 * Dead-letter log: samples of what was refused (MQTT payloads, lines InfluxDB would not take), one
 * JSON object per line, so an operator can see exactly what came in and why it was refused.
 *
 *   {"at":"2026-…Z","source":"mqtt","reason":"not_json","topic":"yizhan/v1/stations/st-001/telemetry",
 *    "detail":"Unexpected token …","payload":"{\"v\":1,…","encoding":"utf8","bytes":812}
 *
 * Bounded twice: at most `samplesPerMinute` entries per (source, reason) per minute (the counters
 * count every refusal; the log keeps samples), and the file is rotated to `<file>.1` past
 * `maxBytes` (one old file kept), so a flood of garbage cannot fill the disk.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isUtf8 } from 'node:buffer';

export interface DeadLetterEntry {
  source: 'mqtt' | 'influx';
  reason: string;
  /** MQTT topic (mqtt) or the measurement/series (influx). */
  topic?: string;
  detail: string;
  /** The refused payload or line; truncated to `maxPayloadBytes`. */
  payload?: Buffer | string;
}

/** Where refused data goes; the ingest and the writer only know this. */
export interface DeadLetterSink {
  add(entry: DeadLetterEntry): void;
}

export interface DeadLetterOptions {
  file: string;
  /** Rotate past this size, bytes. Default {@link DEFAULT_DEAD_LETTER_MAX_BYTES}. */
  maxBytes?: number;
  /** Samples kept per source and reason per minute. Default 30. */
  samplesPerMinute?: number;
  /** Payload bytes kept per sample. Default 4096. */
  maxPayloadBytes?: number;
  /** Called after each entry written. */
  onWritten?: (source: DeadLetterEntry['source']) => void;
  /** Called when an entry is not written (rate limit or I/O error), with why. */
  onSkipped?: (why: 'rate_limited' | 'io_error', err?: Error) => void;
}

/** 16 MiB. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 16 * 1024 * 1024;

export class DeadLetterLog implements DeadLetterSink {
  private readonly maxBytes: number;
  private readonly perMinute: number;
  private readonly maxPayload: number;
  private size = 0;
  private window = 0;
  private readonly counts = new Map<string, number>();
  /** Entries written since start. */
  written = 0;

  constructor(private readonly opts: DeadLetterOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES;
    this.perMinute = opts.samplesPerMinute ?? 30;
    this.maxPayload = opts.maxPayloadBytes ?? 4096;
    mkdirSync(dirname(opts.file), { recursive: true });
    try {
      this.size = statSync(opts.file).size;
    } catch {
      this.size = 0;
    }
  }

  add(e: DeadLetterEntry): void {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.window) {
      this.window = minute;
      this.counts.clear();
    }
    const key = `${e.source}|${e.reason}`;
    const n = this.counts.get(key) ?? 0;
    if (n >= this.perMinute) {
      this.opts.onSkipped?.('rate_limited');
      return;
    }
    if (this.counts.size < 1000 || this.counts.has(key)) this.counts.set(key, n + 1);
    const rec: Record<string, unknown> = {
      at: new Date().toISOString(),
      source: e.source,
      reason: e.reason,
      ...(e.topic !== undefined ? { topic: e.topic.slice(0, 300) } : {}),
      detail: e.detail.slice(0, 1000),
    };
    if (e.payload !== undefined) {
      const buf = typeof e.payload === 'string' ? Buffer.from(e.payload) : e.payload;
      const cut = buf.subarray(0, this.maxPayload);
      // Bytes that are not UTF-8 are kept as base64 so the sample is exact.
      const utf8 = isUtf8(buf);
      rec.payload = utf8 ? cut.toString('utf8') : cut.toString('base64');
      rec.encoding = utf8 ? 'utf8' : 'base64';
      rec.bytes = buf.length;
    }
    const line = JSON.stringify(rec) + '\n';
    try {
      if (this.size + line.length > this.maxBytes && this.size > 0) {
        renameSync(this.opts.file, this.opts.file + '.1');
        this.size = 0;
      }
      appendFileSync(this.opts.file, line);
      this.size += Buffer.byteLength(line);
      this.written++;
      this.opts.onWritten?.(e.source);
    } catch (err) {
      this.opts.onSkipped?.('io_error', err as Error);
    }
  }
}
