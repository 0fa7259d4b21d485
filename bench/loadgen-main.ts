/**
 * The load generator (bench/loadgen.ts) as a process.
 *
 *   npx tsx bench/loadgen-main.ts --url mqtt://127.0.0.1:1883 --stations stations.json
 *     [--period 10s] [--duration 60s] [--source-addresses N] [--address-offset K]
 *
 * `stations.json`: `{"stations":[{"id":"st-00001","password":"…"}], "sensors":[{"sensor","kind"}]}`.
 * Forked with an IPC channel (bench/ingest.ts), it takes commands instead: connect, start, period,
 * storm, stats, stop.
 */
import { readFileSync } from 'node:fs';
import { parseDuration } from '@yizhan/protocol/duration';
import { LoadGenerator, type LoadSensor, type LoadStation } from './loadgen.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function ms(s: string | undefined, dflt: number): number {
  if (!s) return dflt;
  const r = parseDuration(s);
  if (!r.ok) throw new Error(r.message);
  return r.ms;
}

type Command =
  | { cmd: 'connect'; concurrency?: number }
  | { cmd: 'start' }
  | { cmd: 'period'; ms: number }
  | { cmd: 'storm'; replay: number }
  | { cmd: 'stats' }
  | { cmd: 'stop' };

const file = arg('stations');
const url = arg('url') ?? 'mqtt://127.0.0.1:1883';
if (!file)
  throw new Error(
    'usage: loadgen-main.ts --url mqtt://… --stations stations.json [--period 10s] [--duration 60s] [--source-addresses N]',
  );
const cfg = JSON.parse(readFileSync(file, 'utf8')) as { stations: LoadStation[]; sensors: LoadSensor[] };
const sa = arg('source-addresses');
const gen = new LoadGenerator({
  url,
  stations: cfg.stations,
  sensors: cfg.sensors,
  periodMs: ms(arg('period'), 10_000),
  ...(sa !== undefined ? { sourceAddresses: Number(sa) } : {}),
  addressOffset: Number(arg('address-offset') ?? 0),
});
const send = process.send?.bind(process);
if (send) {
  process.on('message', (m: Command) => {
    void (async () => {
      switch (m.cmd) {
        case 'connect': {
          const t = Date.now();
          const connected = await gen.connectAll(m.concurrency);
          send({ type: 'connected', connected, ms: Date.now() - t, stats: gen.snapshot() });
          return;
        }
        case 'start':
          gen.start();
          return;
        case 'period':
          gen.setPeriod(m.ms);
          return;
        case 'storm':
          send({ type: 'storm', result: await gen.storm(m.replay) });
          return;
        case 'stats':
          send({ type: 'stats', stats: gen.snapshot() });
          return;
        case 'stop':
          await gen.stop();
          send({ type: 'stopped' });
          process.exit(0);
      }
    })();
  });
  send({ type: 'ready' });
} else {
  const connected = await gen.connectAll();
  process.stdout.write(`connected ${connected}/${cfg.stations.length}\n`);
  gen.start();
  const end = Date.now() + ms(arg('duration'), 60_000);
  const t = setInterval(() => {
    const { sentBySecond: _s, skippedBySecond: _k, ...rest } = gen.snapshot();
    process.stdout.write(JSON.stringify(rest) + '\n');
    if (Date.now() > end) {
      clearInterval(t);
      void gen.stop().then(() => process.exit(0));
    }
  }, 1000);
}
