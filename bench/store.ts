/**
 * `npm run bench:store`: the operations store under the load the next issues bring, SQLite and
 * PostgreSQL side by side in one run. For each engine, on a store that already holds a history of
 * resolved alerts:
 *
 * - an alert storm: 10,000 stations each fire an alert and resolve it, all within one minute
 *   (fires spread over the first half, each resolved half a minute later), written through the
 *   same AlertRepository and group-commit write queue the server uses;
 * - meanwhile 200 simulated users list and filter at once: pages of 50 of their scope (county or
 *   one township), by state, township, rule, acknowledged, following `next` now and then, each
 *   waiting 0–1 s between queries.
 *
 * The history is ANALYZEd before the storm, as a store in service is.
 * Measured: p50/p99 of list queries, p50/p99 of writes (a transition queued → its transaction
 * committed), and stormLost = transitions of the storm missing from the store afterwards (each
 * alert must be there, resolved, with its fired and resolved events), plus drops the queue counted.
 * SQLite runs in a temp folder with the server's settings (WAL, synchronous=FULL); PostgreSQL in a
 * throw-away cluster (initdb, as the store tests do).
 *
 *   npm run bench:store -- [--stations 10000] [--users 200] [--seconds 60] [--history 50000] [--out FILE]
 *
 * Writes bench/results/store.json: {"sqlite": {listP99Ms, writeP99Ms, stormLost, …}, "postgres": {…}}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { AlertRepository } from '../server/src/alerts/repo.js';
import { openStore, type Store, type StoreOptions } from '../server/src/store/open.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { pgAdmin } from '../test/server/store/engines.js';
import { firingAlert, resolvedAlert } from '../test/helpers/alert.js';
import { simulateUsers, type UserLoad } from './store-users.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    stations: { type: 'string', default: '10000' },
    users: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    history: { type: 'string', default: '50000' },
    townships: { type: 'string', default: '12' },
    out: { type: 'string', default: join(ROOT, 'bench/results/store.json') },
  },
});
const STATIONS = Number(args.stations);
const USERS = Number(args.users);
const SECONDS = Number(args.seconds);
const HISTORY = Number(args.history);
const TOWNSHIPS = Number(args.townships);
const RULES = ['dispenser_broken', 'serial_link_down', 'station_dark', 'socket_tripped'];

const stationId = (i: number) => `st-${String(i).padStart(5, '0')}`;
const townshipOf = (id: string) => `t${Number(id.slice(3)) % TOWNSHIPS}`;

const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (v: number) => Math.round(v * 10) / 10;

interface EngineResult {
  listP50Ms: number;
  listP99Ms: number;
  writeP50Ms: number;
  writeP99Ms: number;
  stormLost: number;
  queueDropped: number;
  lists: number;
  writes: number;
  stormSeconds: number;
}

function repoFor(store: Store, writeLatencies: number[], drops: { n: number }): AlertRepository {
  return new AlertRepository(
    store.db,
    { stationName: (id) => id, townshipCode: townshipOf, townshipName: () => undefined },
    {
      onDrop: (_reason, items) => (drops.n += items.length),
      onCommit: (queuedAt) => {
        const now = performance.now();
        for (const t of queuedAt) writeLatencies.push(now - t);
      },
    },
  );
}

/** Months of resolved alerts before the storm, so lists run on a table of realistic size. */
async function seedHistory(repo: AlertRepository): Promise<void> {
  const start = Date.now() - 90 * 86_400_000;
  for (let i = 0; i < HISTORY; i++) {
    const a = firingAlert(stationId(i % STATIONS), {
      startMs: start + i * 60_000,
      rule: RULES[i % RULES.length],
    });
    repo.record(resolvedAlert(a, 600_000));
    if (i % 5000 === 4999) await repo.flushed();
  }
  await repo.flushed();
}

/** 10,000 fires over the first half of the window, each resolved half a window later. */
async function storm(repo: AlertRepository, startMs: number): Promise<string[]> {
  const ids: string[] = [];
  const half = (SECONDS * 1000) / 2;
  const t0 = performance.now();
  const pending: { at: number; run: () => void }[] = [];
  for (let i = 0; i < STATIONS; i++) {
    const a = firingAlert(stationId(i), { startMs: startMs + i, rule: RULES[i % RULES.length] });
    ids.push(a.id);
    const at = (i / STATIONS) * half;
    pending.push({ at, run: () => repo.record(a) });
    pending.push({ at: at + half, run: () => repo.record(resolvedAlert(a, half)) });
  }
  pending.sort((x, y) => x.at - y.at);
  let next = 0;
  while (next < pending.length) {
    const now = performance.now() - t0;
    while (next < pending.length && pending[next]!.at <= now) pending[next++]!.run();
    await new Promise((r) => setTimeout(r, 5));
  }
  await repo.flushed();
  return ids;
}

/** Storm transitions not in the store: alerts missing or not resolved, fired/resolved events missing. */
async function lostOf(store: Store, ids: readonly string[]): Promise<number> {
  let lost = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const resolved = await store.db
      .selectFrom('alerts')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('id', 'in', chunk)
      .where('status', '=', 'resolved')
      .executeTakeFirstOrThrow();
    const events = await store.db
      .selectFrom('alert_events')
      .select((e) => e.fn.countAll<number>().as('n'))
      .where('alert_id', 'in', chunk)
      .where('kind', 'in', ['fired', 'resolved'])
      .executeTakeFirstOrThrow();
    lost += chunk.length - Number(resolved.n) + (2 * chunk.length - Number(events.n));
  }
  return lost;
}

async function runEngine(name: string, where: StoreOptions): Promise<EngineResult> {
  const store = await openStore(where);
  const writeLatencies: number[] = [];
  const drops = { n: 0 };
  const repo = repoFor(store, writeLatencies, drops);
  try {
    console.log(`${name}: seeding ${HISTORY} resolved alerts`);
    await seedHistory(repo);
    // The statistics a store that has been running has (PostgreSQL's autovacuum gathers them
    // within minutes; without them the planner scans alert_events for a page's comment counts).
    await sql`analyze`.execute(store.db);
    writeLatencies.length = 0;
    const load: UserLoad = { repo, users: USERS, townships: TOWNSHIPS, rules: RULES };
    const users = simulateUsers(load);
    console.log(`${name}: storm of ${STATIONS} alerts within ${SECONDS} s, ${USERS} users listing`);
    const t0 = performance.now();
    const ids = await storm(repo, Date.now());
    const stormSeconds = (performance.now() - t0) / 1000;
    const lists = await users.stop();
    const stormLost = await lostOf(store, ids);
    const l = [...lists].sort((a, b) => a - b);
    const w = [...writeLatencies].sort((a, b) => a - b);
    return {
      listP50Ms: round(pct(l, 50)),
      listP99Ms: round(pct(l, 99)),
      writeP50Ms: round(pct(w, 50)),
      writeP99Ms: round(pct(w, 99)),
      stormLost,
      queueDropped: drops.n,
      lists: l.length,
      writes: w.length,
      stormSeconds: round(stormSeconds),
    };
  } finally {
    await repo.close(10_000);
    await store.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'yizhan-bench-store-'));
  const pg = await startPostgres();
  try {
    const sqlite = await runEngine('sqlite', { dataDir: join(dir, 'sqlite') });
    console.log('sqlite', sqlite);
    await pgAdmin(pg.url, 'create database bench');
    const postgres = await runEngine('postgres', {
      url: pg.url.replace(/\/postgres$/, '/bench'),
      dataDir: dir,
    });
    console.log('postgres', postgres);
    const out = {
      sqlite,
      postgres,
      generatedAt: new Date().toISOString(),
      stations: STATIONS,
      users: USERS,
      seconds: SECONDS,
      history: HISTORY,
      townships: TOWNSHIPS,
      pageSize: 50,
    };
    writeFileSync(args.out, JSON.stringify(out, null, 2) + '\n');
    console.log(`written ${args.out}`);
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
