/**
 * bench:cluster — the kill matrix of issue 16 against a broker cluster: each node killed (-9) and
 * restarted, the server's node killed, the server restarted (SIGTERM) and killed (-9), Redis killed,
 * a node restarted right after another, with half the stations behind haproxy and half (and the
 * server) given the node list. The same real agents, server and independent count as bench:faults.
 * Writes bench/results/cluster.json:
 * `{ "cases": [{ "name", "sent", "stored", "lost", "staleStatuses", "recoveryS", "unheard", … }], … }`.
 *
 *   npm run bench:cluster -- [--engine yizhan|rabbitmq|all] [--stations 40] [--rate 2] [--load 10]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { agentTakesUrlList } from './cluster-access.js';
import { loadEngine } from './cluster-engine.js';
import { FRESH_MS } from './cluster-check.js';
import { runCluster, type ClusterCase } from './cluster-run.js';
import { UNHEARD_GRACE_MS } from './faults-count.js';
import { removeTempFolders } from './faults-stack.js';
import { runCleaningUp } from './ingest-procs.js';

const HELP = `npm run bench:cluster -- [options]

The kill matrix against a broker cluster (2 nodes) under steady load: each node killed (-9), the
server's node killed, the server restarted (SIGTERM) and killed (-9), redis killed (-9), node-1
restarted then node-2 killed at once; every restart after 1-3 s. Half the stations reach the
cluster through haproxy, half (and the server) with YIZHAN_MQTT_URL=<node>,<node>.

  --engine E     yizhan, rabbitmq (bench/cluster-rabbitmq.ts) or all      [default yizhan]
  --stations N   sample stations (st-001..), one agent process each       [default 40]
  --rate R       READINGS frames per second per station (10 readings each) [default 2]
  --load S       seconds of steady load before each case                  [default 10]
  --settle S     at least this long after each case before counting       [default 3]
  --out FILE     where the JSON goes               [default bench/results/cluster.json]
  --keep-data    keep the run's folders (logs, InfluxDB, spools, Redis)
  --help         this text`;

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+changes` : sha;
  } catch {
    return 'unknown';
  }
}

/** The printed table: one line per case. */
function table(cases: readonly ClusterCase[]): string {
  const w = Math.max(30, ...cases.map((c) => c.name.length));
  const head = `${'case'.padEnd(w)}   sent  stored  lost  unheard  stale  reconnect s  recovery s`;
  const lines = cases.map(
    (c) =>
      `${c.name.padEnd(w)} ${String(c.sent).padStart(6)} ${String(c.stored).padStart(7)} ${String(c.lost).padStart(5)} ${String(c.unheard).padStart(8)} ${String(c.staleStatuses).padStart(6)} ${String(c.reconnectS ?? '-').padStart(11)} ${String(c.recoveryS ?? 'never').padStart(11)}`,
  );
  return [head, ...lines].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'yizhan' },
      stations: { type: 'string' },
      rate: { type: 'string' },
      load: { type: 'string' },
      settle: { type: 'string' },
      out: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const names = values.engine === 'all' ? ['yizhan', 'rabbitmq'] : [values.engine];
  for (const n of names)
    if (n !== 'yizhan' && n !== 'rabbitmq')
      throw new Error(`--engine must be yizhan, rabbitmq or all, got "${n}"`);
  const out = resolve(values.out ?? 'bench/results/cluster.json');
  const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
  const started = Date.now();
  const stations = Math.round(positive('stations', values.stations, 40));
  const settings = {
    stations,
    intervalMs: Math.round(1000 / positive('rate', values.rate, 2)),
    loadMs: positive('load', values.load, 10) * 1000,
    restartDelayMs: [1000, 3000] as const,
    settleMs: positive('settle', values.settle, 3) * 1000,
    maxSettleMs: 60_000,
  };
  const probeDir = mkdtempSync(join(tmpdir(), 'yz-cluster-probe-'));
  const lists = await agentTakesUrlList(probeDir).finally(() =>
    rmSync(probeDir, { recursive: true, force: true }),
  );
  if (!lists)
    say(
      'this code takes one broker URL only (YIZHAN_MQTT_URL=a,b is refused): the direct stations and the server get one node each, no failover list',
    );
  const cases: ClusterCase[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    const loaded = await loadEngine(name, {
      nodes: 2,
      sessionQueue: Math.max(1000, Math.ceil((stations * 1000 * 120) / settings.intervalMs)),
    });
    if ('skip' in loaded) {
      say(`skipping ${name}, ${loaded.skip}`);
      skipped.push(loaded.skip);
      continue;
    }
    cases.push(
      ...(await runCluster(loaded.engine, { ...settings, lists, keepData: values['keep-data'], log: say })),
    );
  }
  console.log(`\n${table(cases)}`);
  for (const c of cases) {
    const where = (w: string) => c.stale.filter((s) => s.where.includes(w as 'server')).map((s) => s.station);
    for (const w of ['server', 'retained'])
      if (where(w).length) console.log(`${c.name}: stale ${w} status of ${where(w).join(' ')}`);
    if (c.crashed.length) console.log(`${c.name}: exited by itself: ${c.crashed.join(', ')}`);
    if (c.missing.length) console.log(`${c.name}: lost\n  ${c.missing.join('\n  ')}`);
  }
  mkdirSync(dirname(out), { recursive: true });
  const durationS = Math.round((Date.now() - started) / 1000);
  const report = {
    cases,
    columns: {
      sent: "readings the counting controllers handed to the serial line in the case's window (from the end of the previous case to the end of this one)",
      stored: 'of those, found in InfluxDB with the value sent',
      unheard: `readings sent while no agent had the serial port open (from ${UNHEARD_GRACE_MS} ms before an agent kill until its port is open again) and not stored: the line drops them, as a UART would; 0 here, the matrix kills no agent`,
      lost: 'sent - stored - unheard',
      staleStatuses: 'staleAtEnd + falseOfflinePoints',
      staleAtEnd:
        "stations whose status disagreed with their agent's MQTT link once the case settled: as the server's GET /api/v1/stations shows it, or as the retained …/status message a fresh subscriber gets",
      falseOfflinePoints:
        'station_status offline points written during the case for a station whose agent did not lose its link in the case',
      reconnectS: "seconds from the (last) kill until every agent that lost its MQTT link had it back (its log's first 'mqtt connected' after the loss): the stations' own view of a node's death; null: no agent lost its link",
      recoveryS: `seconds from the (last) kill until every agent's link is up and every station has a reading sent after the kill stored and its newest stored reading at most ${FRESH_MS} ms old; null: not within 60 s of the restart`,
    },
    skipped,
    commit: commit(),
    settings: { ...settings, nodes: 2, urlLists: lists, lbStations: Math.ceil(stations / 2) },
    durationS,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  say(`wrote ${out} (commit ${report.commit}, ${durationS} s)`);
}

void runCleaningUp(main, removeTempFolders);
