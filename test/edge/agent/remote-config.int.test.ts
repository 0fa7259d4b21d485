/**
 * A silent serial line on a real socat PTY pair: the controller goes quiet for longer than the frame
 * timeout (powered off, hung), then reboots and says HELLO. The agent reports the link down in
 * health while it is quiet (the server's serial_link_down alert is built on that), keeps the port
 * open, hears the HELLO at once and applies the remote config again.
 *
 * The serial backoff is long here (10 s, the default grows to 30 s): a port closed for silence would
 * stay closed through the HELLO, which is then lost, and the rebooted controller keeps its defaults.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '@yizhan/edge/agent';
import { StationSimulator } from '@yizhan/edge/simulator';
import { stationTopic } from '@yizhan/protocol/mqtt';
import type { PtyPair } from '../../../scripts/lib/socat.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { memoryLogger, startPtyRig, startRigAgent, type Recorder } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const FRAME_TIMEOUT_MS = 1000;
const station = stationFixture('st-312');
const { logger, lines } = memoryLogger();
const cleanups = new Cleanups();
let pty: PtyPair;
let rec: Recorder;
let agent: Agent;
let sim: StationSimulator;

const newController = async (seed: number): Promise<StationSimulator> => {
  const s = new StationSimulator(station, { speed: 20, seed, tickMs: 50 });
  cleanups.add(`controller ${seed}`, () => s.stop());
  await s.attachToPath(pty.devicePath);
  s.start(); // HELLO first
  return s;
};
const serialStates = () => rec.on('health').map((m) => (m.json.serial as { state: string }).state);
const hellos = () => rec.on('events').filter((m) => (m.json.event as { type: string }).type === 'hello');

beforeAll(async () => {
  const rig = await startPtyRig(cleanups, 'yz-silence-', 's');
  ({ pty, rec } = rig);
  sim = await newController(1);
  agent = await startRigAgent(rig, cleanups, {
    station,
    logger,
    frameTimeoutMs: FRAME_TIMEOUT_MS,
    serialBackoff: { initialMs: 10_000, maxMs: 30_000, factor: 2, jitter: 0 },
  });
});
afterAll(() => cleanups.run());

it('after a silence longer than the frame timeout, a rebooted controller is heard and gets its remote config again', async () => {
  await waitFor('link up', () => agent.health().serial.state === 'up');
  expect(sim.snapshot().settings.readingIntervalS).not.toBe(7);
  await rec.client.publishAsync(
    stationTopic(station.id, 'config/desired'),
    JSON.stringify({ v: 1, version: 1, ts: Date.now(), config: { readingIntervalS: 7 } }),
    { qos: 1, retain: true },
  );
  await waitFor('config applied', () =>
    rec.on('config/reported').find((m) => m.json.status === 'applied' && m.json.version === 1),
  );
  expect(sim.snapshot().settings.readingIntervalS).toBe(7);

  await sim.stop(); // the controller goes quiet
  await waitFor('health reports the serial link down', () => serialStates().at(-1) === 'down', 5000);
  await new Promise((r) => setTimeout(r, 3 * FRAME_TIMEOUT_MS)); // quiet well past the frame timeout
  expect(agent.health().serial.state).toBe('down');
  expect(agent.health().serialPortOpen).toBe(true);

  const hellosBefore = hellos().length;
  sim = await newController(2); // rebooted: its settings are the defaults again
  expect(sim.snapshot().settings.readingIntervalS).not.toBe(7);
  await waitFor('the HELLO published as an event', () => hellos().length > hellosBefore, 5000);
  await waitFor('config applied again', () => sim.snapshot().settings.readingIntervalS === 7, 5000);
  await waitFor('health reports the link up', () => serialStates().at(-1) === 'up', 5000);
  expect(lines.some((l) => l.msg === 'controller rebooted; applying the config again')).toBe(true);
}, 40_000);
