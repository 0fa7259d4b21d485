/**
 * The README's first command, as a newcomer runs it: `npm start` brings up InfluxDB, the broker,
 * the server and 47 simulated stations; within 60 s all 47 are live in /api/v1/stations and have
 * readings in InfluxDB; the services run on the project's Node 24 (node_modules/.bin/node), not the
 * machine's node; the demo's county admin `admin` logs in with the password printed once (and in no
 * log file); Ctrl-C (SIGINT to the process group, as a terminal sends it) stops everything and
 * leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';

interface StationSummary {
  id: string;
  online: boolean | null;
}

const ROOT = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'yizhan-start-'));
let child: ChildProcess | undefined;
let output = '';

/**
 * Every process this run started: the services run in process groups of their own, so find them by
 * what marks them: the data folder in their environment (node services) or command line (influxd).
 */
function processesOfThisRun(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (env.includes(`YIZHAN_DATA_DIR=${dataDir}\0`) || cmd.includes(dataDir)) found.push(Number(entry));
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return found;
}

/** The services of this run (`node --import tsx <entry>`): entry → the binary it runs on. */
function runtimesOfThisRun(): Record<string, string> {
  const runtimes: Record<string, string> = {};
  for (const p of processesOfThisRun()) {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0');
      const i = argv.indexOf('tsx');
      const entry = argv[i + 1];
      if (i > 0 && argv[i - 1] === '--import' && entry) runtimes[entry] = readlinkSync(`/proc/${p}/exe`);
    } catch {
      /* exited meanwhile */
    }
  }
  return runtimes;
}

afterAll(() => {
  for (const p of processesOfThisRun()) process.kill(p, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs 47 live stations within 60 s and stops cleanly on Ctrl-C', { timeout: 120_000 }, async () => {
    const [http, mqtt, metrics, influx] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const started = Date.now();
    child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        YIZHAN_HTTP_PORT: String(http),
        YIZHAN_MQTT_PORT: String(mqtt),
        YIZHAN_BROKER_METRICS_PORT: String(metrics),
        YIZHAN_INFLUX_PORT: String(influx),
        YIZHAN_DATA_DIR: dataDir,
        INFLUX_URL: '',
        // The first start's history (30–45 s) has its own test: test/scripts/demo-history.int.test.ts.
        YIZHAN_DEMO_HISTORY_WEEKS: '0',
      },
      detached: true, // own process group, so SIGINT reaches every process as Ctrl-C would
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));

    // 1. all 47 stations online in the API, and each has occupancy readings in InfluxDB
    let online = 0;
    let inInflux = 0;
    while (Date.now() - started < 60_000 && (online < 47 || inInflux < 47)) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const r = await fetch(`http://127.0.0.1:${http}/api/v1/stations`);
        if (r.ok) {
          const body = (await r.json()) as { stations: StationSummary[] };
          online = body.stations.filter((s) => s.online === true).length;
        }
        const q = await fetch(
          `http://127.0.0.1:${influx}/query?db=yizhan&q=${encodeURIComponent('SHOW TAG VALUES CARDINALITY FROM "occupancy" WITH KEY = "station"')}`,
        );
        if (q.ok) {
          const j = (await q.json()) as { results: { series?: { values: [number][] }[] }[] };
          inInflux = j.results[0]?.series?.[0]?.values[0]?.[0] ?? 0;
        }
      } catch {
        /* not up yet */
      }
    }
    const elapsed = Date.now() - started;
    expect(output).toContain(`http://localhost:${http}/screen/st-001`);
    expect({ online, inInflux }).toEqual({ online: 47, inInflux: 47 });
    expect(elapsed).toBeLessThan(60_000);

    // 1b. the demo's admin: its password printed once to this terminal, working, in no log file
    expect(output).toContain(`http://127.0.0.1:${http}/app/`);
    const password = /密码 \/ password:\s+(\S+)/.exec(output)?.[1] ?? '';
    const login = await fetch(`http://127.0.0.1:${http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password }),
    });
    expect(login.status).toBe(200);
    for (const f of readdirSync(join(dataDir, 'logs')))
      expect(readFileSync(join(dataDir, 'logs', f), 'utf8')).not.toContain(password);

    // 2. every service runs on the Node that npm ci installed (docs/runtime.md)
    const projectNode = realpathSync(join(ROOT, 'node_modules', '.bin', 'node'));
    expect(runtimesOfThisRun()).toEqual({
      'broker/src/main.ts': projectNode,
      'server/src/main.ts': projectNode,
      'scripts/stations.ts': projectNode,
    });

    // 3. Ctrl-C: everything stops, stations publish offline first, no process is left
    const pid = child.pid as number;
    expect(processesOfThisRun().length).toBeGreaterThanOrEqual(5); // npm, supervisor, influxd, broker, server, stations
    process.kill(-pid, 'SIGINT');
    const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 30_000);
    await exited;
    // npm returns at once on SIGINT; the supervisor goes on stopping the services in order.
    await expect.poll(processesOfThisRun, { timeout: 30_000, interval: 200 }).toEqual([]);
    clearTimeout(timer);
    expect(output).toContain('已全部停止 / all stopped');
    expect(output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
    expect(processesOfThisRun()).toEqual([]);
  });
});
