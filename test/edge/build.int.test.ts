/**
 * The deployed artifact: the agent bundled by edge/build.ts (what `npm run build:edge` ships, its
 * dependencies inside), run with the systemd unit's node binary (the Node 24 that `npm ci` put in
 * node_modules), flags and environment. It must start, publish a simulated station's readings to a
 * real broker and stop cleanly; it reads only its own station file, so another station's broken file
 * in the same folder does not stop it, and a missing own file is a clear start-up error.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEdge, deployedNode } from '@yizhan/edge/build';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { record, type Recorder } from './helpers.js';
import { type PlainBroker, startPlainBroker } from '../helpers/mqtt-broker.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Inside the repository, so that the bundle finds serialport in node_modules as on a board.
const OUT = join(ROOT, 'dist', `test-edge-${process.pid}`);
let bundle = '';
let work = '';
let broker: PlainBroker;
let rec: Recorder;

beforeAll(async () => {
  bundle = bundleEdge('edge/src/main.ts', join(OUT, 'edge-agent.mjs'));
  work = mkdtempSync(join(tmpdir(), 'yz-bundle-'));
  mkdirSync(join(work, 'stations'));
  copyFileSync(join(DEFAULT_STATIONS_DIR, 'st-001.yaml'), join(work, 'stations', 'st-001.yaml'));
  writeFileSync(join(work, 'stations', 'st-002.yaml'), 'id: st-002\nsensors: [oops\n');
  writeFileSync(join(work, 'secret'), 'any\n');
  broker = await startPlainBroker();
  rec = await record(broker.url);
});
afterAll(async () => {
  await rec?.close();
  await broker?.close();
  rmSync(OUT, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(station: string): { exited: Promise<number | null>; stderr: () => string; kill(): void } {
  const { node, flags, env } = deployedNode();
  const child = spawn(
    node,
    [
      ...flags,
      bundle,
      '--station',
      station,
      '--mqtt',
      broker.url,
      '--password-file',
      join(work, 'secret'),
      '--stations-dir',
      join(work, 'stations'),
      '--state-dir',
      join(work, `state-${station}`),
      '--simulate',
      '--speed',
      '60',
      '--health-interval',
      '1s',
    ],
    { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return {
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    stderr: () => err,
    kill: () => child.kill('SIGTERM'),
  };
}

describe('edge agent bundle (as deployed)', () => {
  it("runs on the Node major of package.json's engines, from the bundle's own node_modules", () => {
    const { node } = deployedNode();
    expect(node).toBe(join(ROOT, 'node_modules/.bin/node'));
    const engines = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    const want = Number(/^>=(\d+)$/.exec(engines)?.[1]);
    const have = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(Number(have.split('.')[0]), `node ${have}, engines ${engines}`).toBeGreaterThanOrEqual(want);
  });

  it('publishes readings and health next to a broken file of another station, and stops cleanly', async () => {
    const agent = run('st-001');
    const telemetry = await waitFor('telemetry from the bundled agent', () => rec.on('telemetry')[0], 15_000);
    expect(telemetry.topic).toBe('yizhan/v1/stations/st-001/telemetry');
    expect((telemetry.json.readings as unknown[]).length).toBeGreaterThan(0);
    const health = await waitFor('health from the bundled agent', () => rec.on('health')[0], 15_000);
    expect(health.json.serial).toMatchObject({ state: 'up' });
    agent.kill();
    expect(await agent.exited).toBe(0);
    const offline = await waitFor('offline status', () =>
      rec.on('status').find((m) => m.json.state === 'offline'),
    );
    expect(offline.json.reason).toBe('shutdown');
    expect(agent.stderr()).not.toMatch(/Dynamic require|Cannot find module/);
    // Nothing in the journal the crews read but the agent's own lines (mqtt.js given a URL string
    // called url.parse(), which Node 24 deprecates with a security warning: DEP0169).
    expect(agent.stderr()).not.toMatch(/DeprecationWarning/);
  }, 30_000);

  it('a station without its own file is a start-up error naming the file', async () => {
    const agent = run('st-003');
    expect(await agent.exited).toBe(2);
    expect(agent.stderr()).toMatch(/station st-003 is not in .*stations \(no st-003\.yaml there\)/);
  });
});
