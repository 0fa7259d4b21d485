/**
 * A client process of bench:screens: holds its share of the `/api/v1/events` streams (node:http,
 * as a browser's EventSource holds one HTTP response open) and times each station change.
 *
 * Each station frame carries `lastReading`, the `ts` the publisher stamped into the MQTT reading
 * at publish time (same machine, same clock): latency = receive time − lastReading, taken the
 * first time a client sees a newer reading of that station. Frames of the snapshot on connect and
 * of health or status messages carry no newer reading and are not timed.
 *
 * Parent → child: the ClientJob, then { type: 'measure', from, to } (time the readings stamped
 * from ≤ ts < to), { type: 'stop' } (report after a drain).
 * Child → parent: { type: 'connected', ... } once every stream answered, then { type: 'report', ... }.
 */
import { get, type IncomingMessage } from 'node:http';
import { loopbackAddress } from './loadgen-wire.js';
import { StationFrameReader, record, type ClientPlan, type Histogram } from './screens-lib.js';
import { sleep } from '../test/helpers/wait.js';

export interface ClientJob {
  port: number;
  plans: ClientPlan[];
  /** Index of this process's first source address (loopbackAddress), so processes never share one. */
  firstAddress: number;
  /** Streams per source address (the server allows YIZHAN_SSE_MAX_PER_ADDRESS, 100 by default). */
  perAddress: number;
  /** Milliseconds to keep reading after `stop`, so readings sent just before it arrive. */
  drainMs: number;
}

export interface Connected {
  type: 'connected';
  ok: number;
  /** Answers other than 200 (429: too many streams from one address), by status. */
  refused: Record<number, number>;
  failed: number;
}

export interface ClientReport {
  type: 'report';
  hist: Histogram;
  /** Timed readings (one per client and newer reading of a station it watches, within the window). */
  timed: number;
  stationFrames: number;
  stationFrameBytes: number;
  /** Streams that ended before `stop` (dropped as too slow, or the server closed them). */
  closedEarly: number;
}

/** The window is fixed up front: a client process running behind still counts only its readings. */
type FromParent = { type: 'measure'; from: number; to: number } | { type: 'stop' };

function open(job: ClientJob, plan: ClientPlan, i: number): Promise<IncomingMessage | number | Error> {
  return new Promise((resolve) => {
    const req = get(
      {
        host: '127.0.0.1',
        port: job.port,
        path: plan.path,
        agent: false,
        localAddress: loopbackAddress(job.firstAddress + Math.floor(i / job.perAddress)),
        headers: { accept: 'text/event-stream' },
      },
      (res) => {
        if (res.statusCode === 200) return resolve(res);
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (e) => resolve(e));
  });
}

async function run(job: ClientJob): Promise<void> {
  const hist: Histogram = {};
  let from = Infinity;
  let to = Infinity;
  let stopped = false;
  const report: ClientReport = {
    type: 'report',
    hist,
    timed: 0,
    stationFrames: 0,
    stationFrameBytes: 0,
    closedEarly: 0,
  };
  const streams: IncomingMessage[] = [];
  const connected: Connected = { type: 'connected', ok: 0, refused: {}, failed: 0 };

  const follow = (res: IncomingMessage): void => {
    const reader = new StationFrameReader();
    const newest = new Map<string, number>();
    res.on('data', (chunk: Buffer) => {
      const now = Date.now();
      for (const t of reader.push(chunk)) {
        report.stationFrames++;
        report.stationFrameBytes += t.bytes;
        if (t.lastReading <= (newest.get(t.id) ?? -1)) continue;
        newest.set(t.id, t.lastReading);
        if (t.lastReading >= from && t.lastReading < to) {
          record(hist, now - t.lastReading);
          report.timed++;
        }
      }
    });
    res.on('close', () => {
      if (!stopped) report.closedEarly++;
    });
    res.on('error', () => {});
    streams.push(res);
  };

  // 100 connects at a time: each costs the server a snapshot (47 frames for an unfiltered one).
  for (let i = 0; i < job.plans.length; i += 100) {
    const batch = job.plans.slice(i, i + 100).map((p, k) => open(job, p, i + k));
    for (const r of await Promise.all(batch)) {
      if (typeof r === 'number') connected.refused[r] = (connected.refused[r] ?? 0) + 1;
      else if (r instanceof Error) connected.failed++;
      else {
        connected.ok++;
        follow(r);
      }
    }
  }
  process.send?.(connected);

  process.on('message', (m: FromParent) => {
    if (m.type === 'measure') {
      from = m.from;
      to = m.to;
    }
    if (m.type !== 'stop') return;
    void sleep(job.drainMs).then(() => {
      stopped = true;
      for (const s of streams) s.destroy();
      process.send?.(report, () => process.exit(0));
    });
  });
}

// The job comes over IPC: 4,000 plans are too long for a command line.
process.once('message', (job: ClientJob) => void run(job));
