/**
 * bench:ingest — province-scale ingest on one machine, everything co-located (influxd, broker,
 * server, load generator, Node-RED), measured in one run:
 *
 *   (a) InfluxDB's own ceiling: line protocol posted straight to /write in large batches;
 *   (b) yizhan end to end: load generator → broker → server → InfluxDB;
 *   (c) Node-RED 4 + node-red-contrib-influxdb, batched flow, same broker and load.
 *
 * (b) and (c) ramp the offered rate stepwise (N stations, 15 readings per message, the period
 * shortened per step); a step passes when it is held `--hold` seconds with zero loss (every
 * telemetry reading with a time inside the window is in InfluxDB) and p99 latency < 1 s (probe
 * stations polled every 100 ms: reading time → visible in a query). The sustained rate is the
 * highest passing step. `--storm` then runs a reconnect storm against yizhan (bench/ingest-storm.ts).
 * Prints a table, writes bench/results/ingest.json.
 *
 * Open files: the load generator holds a socket per station and the broker one (two during a
 * storm); the bench raises the soft limit where it may, splits the load generator into processes
 * that fit, and stops with instructions when one broker process cannot hold every station.
 *
 *   npm run bench:ingest -- [--stations 10000] [--hold 60] [--steps 15000,30000,45000,60000] [--no-nodered] [--no-ceiling] [--storm]
 *     [--out bench/results/ingest.json]   (where the JSON goes; trial runs can keep the recorded one)
 *     [--keep-data]   (keep the run's InfluxDB files and server spool in the work dir; removed by default)
 *     [--broker-cluster]   (when one broker process cannot hold a socket per station: several on Redis)
 *     [--source-addresses N]   (loopback addresses the stations connect from; default one each, 0 = all from 127.0.0.1)
 *     [--batch 1000] [--in-flight 4] [--flush 200ms]   (the server's writer settings)
 *     [--influx-data 'cache-snapshot-memory-size="256m";wal-fsync-delay="10ms"']   (influxd [data] overrides)
 *     [--profile-server] [--profile-broker]   (CPU profiles, <logs>/server.cpuprofile and <logs>/broker-<system>.cpuprofile)
 *
 * Whatever way the bench ends (done, error, SIGINT, SIGTERM), it stops every process it started.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startInfluxd } from '../scripts/lib/influxd.js';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import {
  TELEMETRY,
  planProcesses,
  influxCeiling,
  influxRows,
  makeProvince,
  sleep,
  stationId,
  waitHttp,
} from './ingest-lib.js';
import {
  Sampler,
  cpuProfileArgs,
  mainThreadProfile,
  nodeProc,
  plainProc,
  runCleaningUp,
  stopProc,
  track,
  type Proc,
} from './ingest-procs.js';
import { Loadgen } from './ingest-loadgen.js';
import { table, type SystemResult } from './ingest-measure.js';
import { startNodeRed } from './ingest-nodered.js';
import { ramp } from './ingest-ramp.js';
import { runStorm } from './ingest-storm.js';

const ROOT = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const FLAGS = ['broker-cluster', 'keep-data', 'no-ceiling', 'no-nodered', 'profile-broker', 'profile-server', 'storm', 'help'] as const;
const OPTIONS = ['batch', 'flush', 'hold', 'in-flight', 'influx-data', 'out', 'source-addresses', 'stations', 'steps', 'warm'] as const;
/** Flags and options as parsed by node's parseArgs: an unknown or misspelt one stops the bench before it starts anything. */
const args = (() => {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: Object.fromEntries<{ type: 'boolean' | 'string' }>([
        ...FLAGS.map((f) => [f, { type: 'boolean' }] as const),
        ...OPTIONS.map((o) => [o, { type: 'string' }] as const),
      ]),
    }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    process.stderr.write(`bench:ingest: ${(e as Error).message}\n(npm run bench:ingest -- --help lists the options)\n`);
    process.exit(2);
  }
})();
if (args.help) {
  // The usage is the header comment of this file.
  const src = readFileSync(new URL(import.meta.url), 'utf8');
  process.stdout.write(src.slice(src.indexOf('/**') + 3, src.indexOf('*/')).replace(/^ \*[ ]?/gm, '') + '\n');
  process.exit(0);
}
const flag = (n: (typeof FLAGS)[number]) => args[n] === true;
const opt = (n: (typeof OPTIONS)[number], d: string) => {
  const v = args[n];
  return typeof v === 'string' ? v : d;
};
const N = Number(opt('stations', '10000'));
const HOLD_S = Number(opt('hold', '60'));
const WARM_S = Number(opt('warm', '8'));
/** Loopback source addresses of the stations (loadgen `sourceAddresses`); default one per station. */
const SOURCE_ADDRESSES = opt('source-addresses', String(N));
const STEPS = opt('steps', '15000,30000,45000,60000').split(',').map(Number);
const PER_MSG = TELEMETRY.length;
/** Writer settings for the server under test (env of server/src/main.ts). */
const BATCH = opt('batch', '1000');
const IN_FLIGHT = opt('in-flight', '4');
const FLUSH = opt('flush', '200ms');
/** influxd [data] overrides, `key=value;key=value` with raw TOML values, e.g. `wal-fsync-delay="100ms"`. */
const INFLUX_DATA = Object.fromEntries(
  opt('influx-data', '')
    .split(';')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
);

const work = mkdtempSync(join(tmpdir(), 'yz-bench-ingest-'));
const logs = join(work, 'logs');
mkdirSync(logs);
const say = (s: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function main(): Promise<void> {
  say(`work dir ${work}; ${N} stations, steps ${STEPS.join(',')} readings/s, hold ${HOLD_S} s`);
  const plan = planProcesses(N);
  say(plan.note);
  if (plan.brokers > 1 && !flag('broker-cluster'))
    throw new Error(
      `${N} stations need ${N + 1024} open files in one broker process, the limit is ${plan.openFiles.now} (hard ${plan.openFiles.hard}). ` +
        `Raise it (\`ulimit -n ${2 * N + 4096}\`; root with CAP_SYS_RESOURCE to raise the hard limit; LimitNOFILE= in a systemd unit), ` +
        `use fewer --stations, or pass --broker-cluster to run ${plan.brokers} broker processes on Redis.`,
    );
  const tProv = Date.now();
  const prov = await makeProvince(work, N);
  const provisionS = Math.round((Date.now() - tProv) / 100) / 10;
  say(`province ready in ${provisionS} s (${N} station configs + scrypt accounts at bench cost N=2^10)`);
  // Load generator shard k takes stations k, k + shards, k + 2 × shards, …
  const stationsFiles = Array.from({ length: plan.loadgenShards }, (_, k) => {
    const f = join(work, `loadgen-stations-${k}.json`);
    const ids = Array.from({ length: N }, (_, i) => i).filter((i) => i % plan.loadgenShards === k);
    writeFileSync(
      f,
      JSON.stringify({
        stations: ids.map((i) => ({ id: stationId(i), password: prov.secrets.get(stationId(i)) })),
        sensors: TELEMETRY,
      }),
    );
    return f;
  });
  const influx = await startInfluxd({ dir: join(work, 'influx'), data: INFLUX_DATA });
  const influxProc = track({ name: 'influxd', child: influx.process, pid: influx.process.pid ?? 0 });
  const results: Record<string, unknown> = {
    stations: N,
    command: `npm run bench:ingest -- ${argv.join(' ')}`.trim(),
    holdS: HOLD_S,
    steps: STEPS,
    writer: { batchSize: Number(BATCH), maxInFlight: Number(IN_FLIGHT), flushInterval: FLUSH },
    influxData: INFLUX_DATA,
    setup: { provisionS, sourceAddresses: Number(SOURCE_ADDRESSES), ...plan },
  };
  try {
    const runSystem = async (name: 'yizhan' | 'nodeRed'): Promise<SystemResult> => {
      // Everything started here is stopped at the end, in reverse order, whatever happens.
      const started: Proc[] = [];
      let stopLoadgen = async () => {};
      try {
        return await runWith(name, started, (f) => (stopLoadgen = f));
      } finally {
        await stopLoadgen();
        for (const p of started.reverse()) await stopProc(p);
        for (const p of started.filter((x) => x.profileDir))
          say(`${name}: CPU profile of ${p.name}: ${mainThreadProfile(p) ?? `none written (see ${p.profileDir} and its log)`}`);
      }
    };
    const runWith = async (
      name: 'yizhan' | 'nodeRed',
      started: Proc[],
      onLoadgen: (stop: () => Promise<void>) => void,
    ): Promise<SystemResult> => {
      // More than one broker process (on Redis) only when one cannot hold a socket per station.
      const redisPort = plan.brokers > 1 ? await freePort() : undefined;
      const redis = redisPort
        ? plainProc('redis', 'redis-server', redisArgs(redisPort, name), process.env, logs)
        : undefined;
      if (redis) started.push(redis);
      if (redisPort) await waitForPort(redisPort);
      const brokers: { proc: Proc; mqttPort: number; metricsUrl: string }[] = [];
      for (let b = 0; b < plan.brokers; b++) {
        const mqttPort = await freePort();
        const metricsPort = await freePort();
        const proc = nodeProc(
          b ? `broker-${b + 1}` : 'broker',
          join(ROOT, 'bench/ingest-broker.ts'),
          [prov.credFile, String(mqttPort), String(metricsPort), String(Math.ceil(N / plan.brokers)), ...(redisPort ? [`redis://127.0.0.1:${redisPort}/0`] : [])],
          { ...process.env, LOG_LEVEL: 'warn' },
          logs,
          false,
          flag('profile-broker') ? cpuProfileArgs(join(logs, `broker${b ? `-${b + 1}` : ''}-${name}`)) : [],
        );
        started.push(proc);
        await waitHttp(`http://127.0.0.1:${metricsPort}/healthz`, 60_000);
        brokers.push({ proc, mqttPort, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
      }
      const mqttPort = brokers[0]?.mqttPort ?? 0;
      const procs: Proc[] = [influxProc, ...brokers.map((b) => b.proc), ...(redis ? [redis] : [])];
      let consumer: Proc;
      let metricsUrl: string | undefined;
      if (name === 'yizhan') {
        const httpPort = await freePort();
        metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
        consumer = nodeProc(
          'server',
          join(ROOT, 'server/src/main.ts'),
          [],
          {
            ...process.env,
            YIZHAN_HTTP_PORT: String(httpPort),
            YIZHAN_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
            YIZHAN_MQTT_USERNAME: 'server',
            YIZHAN_MQTT_PASSWORD: prov.secrets.get('server'),
            YIZHAN_MQTT_CLIENT_ID: 'server-bench',
            INFLUX_URL: influx.url,
            INFLUX_DB: 'yizhan',
            YIZHAN_DATA_DIR: join(work, 'server-data'),
            YIZHAN_STATIONS_DIR: prov.stationsDir,
            YIZHAN_INFLUX_BATCH_SIZE: BATCH,
            YIZHAN_INFLUX_MAX_IN_FLIGHT: IN_FLIGHT,
            YIZHAN_INFLUX_FLUSH_INTERVAL: FLUSH,
            YIZHAN_INFLUX_MAX_BUFFER_LINES: '100000',
            LOG_LEVEL: 'warn',
          },
          logs,
          false,
          flag('profile-server') ? cpuProfileArgs(join(logs, 'server')) : [],
        );
        started.push(consumer);
        await waitHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000);
      } else {
        await influxRows(influx.url, 'nodered', 'CREATE DATABASE "nodered"');
        const nr = await startNodeRed({
          workDir: work,
          logDir: logs,
          port: await freePort(),
          mqttPort,
          mqttUser: 'nodered',
          mqttPassword: prov.secrets.get('nodered') ?? '',
          influxPort: influx.port,
        });
        consumer = nr.proc;
        started.push(consumer);
        await sleep(3000);
      }
      procs.push(consumer);
      const addrPerShard = Math.ceil(Number(SOURCE_ADDRESSES) / plan.loadgenShards);
      const lg = new Loadgen(
        stationsFiles.map((f, k) =>
          nodeProc(
            k ? `loadgen-${k + 1}` : 'loadgen',
            join(ROOT, 'bench/loadgen-main.ts'),
            [
              '--url',
              `mqtt://127.0.0.1:${brokers[k % brokers.length]?.mqttPort ?? mqttPort}`,
              '--stations',
              f,
              '--source-addresses',
              String(addrPerShard),
              '--address-offset',
              String(k * addrPerShard),
            ],
            process.env,
            logs,
            true,
          ),
        ),
      );
      procs.push(...lg.procs);
      onLoadgen(() => lg.stop());
      {
        await lg.ready();
        const c = await lg.connect(500);
        const connect = {
          connected: c.connected,
          ms: c.ms,
          attempts: c.stats.connectAttempts,
          failures: c.stats.connectFailures,
          loadgenRssMB: c.stats.memory.rssMB,
        };
        (results.connect as Record<string, unknown> | undefined) ??= {};
        (results.connect as Record<string, unknown>)[name] = connect;
        say(`${name}: ${c.connected}/${N} stations connected in ${c.ms} ms ${JSON.stringify(connect)}`);
        lg.tell({ cmd: 'period', ms: Math.round(((N * PER_MSG) / (STEPS[0] ?? 15000)) * 1000) });
        lg.tell({ cmd: 'start' });
        const r = await ramp(
          { stations: N, steps: STEPS, holdS: HOLD_S, warmS: WARM_S, say },
          name,
          lg,
          influx.url,
          name === 'yizhan' ? 'yizhan' : 'nodered',
          () => procs,
          metricsUrl,
        );
        if (name === 'yizhan' && flag('storm') && metricsUrl)
          results.storm = await runStorm({
            lg,
            stations: N,
            influxUrl: influx.url,
            db: 'yizhan',
            serverMetricsUrl: metricsUrl,
            brokerMetricsUrls: brokers.map((b) => b.metricsUrl),
            say,
          });
        const end = await lg.stats();
        r.loadgen = {
          memory: end.memory,
          connectFailures: end.connectFailures,
          dropped: end.dropped,
        };
        return r;
      }
    };
    results.yizhan = await runSystem('yizhan');
    results.nodeRed = flag('no-nodered') ? { note: 'skipped (--no-nodered)' } : await runSystem('nodeRed');
    if (flag('no-ceiling')) results.influxCeiling = { note: 'skipped (--no-ceiling)' };
    else {
      // (a) InfluxDB ceiling, last: its background compactions must not slow the other runs.
      say('(a) InfluxDB ceiling: 20 s of 10,000-line batches, 3 writers');
      const s = new Sampler(() => [{ name: 'influxd', pid: influxProc.pid }]);
      s.begin();
      const ceil = await influxCeiling(influx.url, N, 20);
      results.influxCeiling = { ...ceil, procs: s.end() };
      say(`(a) ${JSON.stringify(results.influxCeiling)}`);
      await influxRows(influx.url, 'ceiling', 'DROP DATABASE "ceiling"');
    }
  } finally {
    await influx.stop();
  }
  table(results);
  const out = resolve(ROOT, opt('out', 'bench/results/ingest.json'));
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  say(`wrote ${out}; logs in ${logs}`);
}

// The run's data (InfluxDB files, the server's spool: hundreds of MB) goes once every process has
// stopped; logs, profiles and the generated station files stay. --keep-data keeps it all.
await runCleaningUp(main, () => {
  if (flag('keep-data')) return;
  for (const d of ['influx', 'server-data', 'redis-yizhan', 'redis-nodeRed']) rmSync(join(work, d), { recursive: true, force: true });
  say(`removed the run's data from ${work} (--keep-data keeps it)`);
});

/** redis-server as deployed (deploy/redis/redis.conf: the broker refuses a Redis without it), data in the work dir. */
function redisArgs(port: number, run: string): string[] {
  const dir = join(work, `redis-${run}`);
  mkdirSync(dir, { recursive: true });
  return [join(ROOT, 'deploy/redis/redis.conf'), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
}
