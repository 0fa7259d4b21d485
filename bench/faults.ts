/**
 * bench:faults — the long version of the fault test (test/e2e/faults.int.test.ts): more stations, several
 * rounds of kill -9 of every agent, the broker, the server and influxd under steady load, each
 * restarted after 1–3 s with its data folder; every reading the counting controllers sent is looked
 * up in InfluxDB. Prints a table per kill and writes bench/results/faults.json:
 * `{ "faults": [{ "kill", "round", "sent", "stored", "lost", "wrongValue", "unheard", … }], … }`.
 *
 *   npm run bench:faults -- [--stations 10] [--rate 5] [--rounds 3] [--out bench/results/faults.json]
 *     [--load 10] [--keep-data]
 *
 * Whatever way the bench ends (done, error, SIGINT, SIGTERM), it stops every process it started and
 * removes its temp folder (unless --keep-data).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMissing } from './faults-count.js';
import { runFaults } from './faults-run.js';
import { removeTempFolders } from './faults-stack.js';
import { runCleaningUp } from './ingest-procs.js';

const HELP = `npm run bench:faults -- [options]

kill -9 of the edge agents, the broker, the server and influxd, one at a time under steady load,
each restarted after 1-3 s with its data folder; every reading sent is counted in InfluxDB.

  --stations N   sample stations (st-001..), one agent process each        [default 10]
  --rate R       READINGS frames per second per station (10 readings each)  [default 5]
  --rounds N     rounds; each kills every process once                     [default 3]
  --load S       seconds of steady load before each kill                   [default 10]
  --out FILE     where the JSON goes                [default bench/results/faults.json]
  --keep-data    keep the run's folder (logs, InfluxDB, spools)
  --help         this text`;

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stations: { type: 'string' },
      rate: { type: 'string' },
      rounds: { type: 'string' },
      load: { type: 'string' },
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
  const out = resolve(values.out ?? 'bench/results/faults.json');
  const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
  const report = await runFaults({
    stations: Math.round(positive('stations', values.stations, 10)),
    intervalMs: Math.round(1000 / positive('rate', values.rate, 5)),
    rounds: Math.round(positive('rounds', values.rounds, 3)),
    loadMs: positive('load', values.load, 10) * 1000,
    restartDelayMs: [1000, 3000],
    settleMs: 3000,
    maxSettleMs: 60_000,
    keepData: values['keep-data'],
    log: say,
  });
  console.log('\nkill     round   sent  stored  lost  wrong  unheard  down ms  caught up ms');
  for (const r of report.rows)
    console.log(
      `${r.kill.padEnd(8)} ${String(r.round).padStart(5)} ${String(r.sent).padStart(6)} ${String(r.stored).padStart(7)} ${String(r.lost).padStart(5)} ${String(r.wrongValue).padStart(6)} ${String(r.unheard).padStart(8)} ${String(r.downMs).padStart(8)} ${String(r.caughtUpMs ?? '-').padStart(13)}`,
    );
  if (report.missing.length) console.log(`\nlost:\n${describeMissing(report.missing)}`);
  if (report.wrong.length) console.log(`\nwrong:\n${report.wrong.join('\n')}`);
  mkdirSync(dirname(out), { recursive: true });
  const { rows, ...rest } = report;
  writeFileSync(
    out,
    `${JSON.stringify({ faults: rows, ...rest, missing: rest.missing.slice(0, 200) }, null, 2)}\n`,
  );
  say(`wrote ${out} (commit ${report.commit}, ${report.durationS} s)`);
}

void runCleaningUp(main, removeTempFolders);
