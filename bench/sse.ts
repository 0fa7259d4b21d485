/**
 * bench:sse — does a crowd of SSE clients stall the server? 2,000 `/api/v1/events` clients (no
 * station filter: every change reaches every client) on one server with the 47 sample stations;
 * every `--every` seconds each station changes once (as when all stations report), and a probe
 * asks `/healthz` every 20 ms. Clients and probe run in a child process, so their own work does
 * not delay the server's loop; the server is built in-process without broker or database (neither
 * is needed for /healthz and the live stream; both keep retrying in the background).
 *
 *   npm run bench:sse -- [--clients 2000] [--bursts 5] [--every 2]
 *
 * Prints the /healthz latency (p50, p99, max) over the run and bytes received per client.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import { request, Agent } from 'node:http';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { buildApp } from '@yizhan/server';
import { loadStationsOrThrow } from '@yizhan/station-config/load';

interface Job {
  port: number;
  clients: number;
}
interface WorkerReport {
  latencies: number[];
  bytes: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function clientWorker(job: Job): Promise<void> {
  const socks: Socket[] = [];
  let bytes = 0;
  for (let i = 0; i < job.clients; i++) {
    const s = connect(job.port, '127.0.0.1', () => s.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', (b: Buffer) => (bytes += b.length));
    s.on('error', () => {});
    socks.push(s);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
  }
  // Start probing once the connection snapshots have arrived (bytes stop growing for a second).
  for (let last = -1; last !== bytes;) {
    last = bytes;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let stop = false;
  process.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  process.send?.('connected');
  while (!stop) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const req = request({ port: job.port, host: '127.0.0.1', path: '/healthz', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of socks) s.destroy();
  agent.destroy();
  process.send?.({ latencies, bytes: bytes / job.clients } satisfies WorkerReport, () => process.exit(0));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '2000' },
      bursts: { type: 'string', default: '5' },
      every: { type: 'string', default: '2' },
    },
  });
  const clients = Number(values.clients);
  const stations = loadStationsOrThrow();
  const app = await buildApp({
    stations,
    loggerInstance: pino({ level: 'silent' }),
    defaultMetrics: false,
    // Every client of the benchmark connects from this one address.
    sse: { maxPerAddress: clients },
    mqtt: { url: 'mqtt://127.0.0.1:1', clientId: 'bench-sse', reconnectPeriodMs: 60_000 },
    influx: {
      url: 'http://127.0.0.1:1',
      api: 'v1',
      db: 'yizhan',
      rp: 'raw',
      setupBackoff: { minMs: 60_000, maxMs: 60_000 },
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const worker = fork(
    fileURLToPath(import.meta.url),
    ['--clients-of', JSON.stringify({ port, clients } satisfies Job)],
    {
      execArgv: process.execArgv,
    },
  );
  await new Promise<void>((r) => worker.once('message', () => r()));
  console.log(`${clients} clients connected; ${stations.length} station changes every ${values.every} s`);
  for (let b = 0; b < Number(values.bursts); b++) {
    await new Promise((r) => setTimeout(r, Number(values.every) * 1000));
    for (const s of stations) app.store.touch(s.id);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const report = await new Promise<WorkerReport>((r) => {
    worker.on('message', (m: WorkerReport | string) => typeof m === 'object' && r(m));
    worker.send('stop');
  });
  await app.close();
  const sorted = [...report.latencies].sort((a, b) => a - b);
  console.log(
    `/healthz: ${sorted.length} requests, p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms, ` +
      `max ${(sorted.at(-1) ?? 0).toFixed(1)} ms; ${(report.bytes / 1024).toFixed(0)} KB received per client`,
  );
}

const job = process.argv.indexOf('--clients-of');
if (job > 0) await clientWorker(JSON.parse(process.argv[job + 1] ?? '{}') as Job);
else await main();
