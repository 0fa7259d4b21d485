/**
 * Serial faults on a real socat PTY pair: the cable is pulled (the PTY disappears) and plugged back
 * (a new PTY at the same path), the controller reboots, and the line carries garbage, bad CRCs and
 * unknown frame types. The agent reports it all in health and recovers without a restart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '@yizhan/edge/agent';
import { StationSimulator, type SimTransport } from '@yizhan/edge/simulator';
import { crc16, encodeFrame } from '@yizhan/protocol/serial';
import { startPtyPair, type PtyPair } from '../../../scripts/lib/socat.js';
import { FAST_BACKOFF, memoryLogger, startPtyRig, startRigAgent, type Recorder } from '../helpers.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

let dir: string;
let pty: PtyPair;
let rec: Recorder;
let agent: Agent;
let sim: StationSimulator;
let line: SimTransport;
const station = stationFixture('st-311');
const { logger, lines } = memoryLogger();

const cleanups = new Cleanups();

// the tests replace `pty` and `sim` (a cable plugged back): these closures read them when they run
beforeAll(async () => {
  const rig = await startPtyRig(cleanups, 'yz-serial-', 'x');
  ({ dir, pty, rec } = rig);
  cleanups.add('socat plugged back', () => pty.stop());
  sim = new StationSimulator(station, { speed: 20, seed: 5, tickMs: 50 });
  cleanups.add('simulator', () => sim.stop());
  line = await sim.attachToPath(pty.devicePath);
  sim.start();
  agent = await startRigAgent(rig, cleanups, {
    station,
    logger,
    frameTimeoutMs: 1500,
    serialBackoff: FAST_BACKOFF,
  });
});
afterAll(() => cleanups.run());

const health = () =>
  rec
    .on('health')
    .map((m) => m.json as { bootId: string; serial: { state: string; framesBad: Record<string, number> } });
const telemetryCount = () => rec.on('telemetry').length;

it('cable pulled: serial link down in health; plugged back: readings resume, same boot, no restart', async () => {
  await waitFor('readings flowing', () => telemetryCount() > 3);
  await pty.stop(); // both PTY ends vanish, as a USB adapter pulled out
  await sim.stop();
  await waitFor('health says serial down', () => health().some((h) => h.serial.state === 'down'), 10_000);
  expect(agent.health().serial.state).toBe('down');
  await new Promise((r) => setTimeout(r, 1000)); // the agent keeps retrying the missing device
  expect(agent.health().serial.state).toBe('down');

  pty = await startPtyPair(dir, 'x');
  sim = new StationSimulator(station, { speed: 20, seed: 6, tickMs: 50 });
  line = await sim.attachToPath(pty.devicePath);
  sim.start(); // a controller that was powered on again: HELLO first
  const before = telemetryCount();
  await waitFor(
    'health says serial up again',
    () => health().filter((h) => h.serial.state === 'up').length > 0 && agent.health().serial.state === 'up',
    15_000,
  );
  await waitFor('readings again', () => telemetryCount() > before + 3, 10_000);
  const boots = new Set(rec.on('telemetry').map((m) => m.json.bootId));
  expect(boots).toEqual(new Set([agent.bootId]));
  expect(lines.some((l) => l.msg === 'serial link down')).toBe(true);
}, 40_000);

it('controller reboot: its HELLO is published as an event and logged', async () => {
  line.write(
    encodeFrame({
      type: 'hello',
      seq: 0,
      firmware: { major: 1, minor: 5, patch: 0 },
      boardId: 'YZC-rebooted',
      sensors: [],
    }),
  );
  const hello = await waitFor('hello event', () =>
    rec.on('events').find((m) => (m.json.event as { boardId?: string }).boardId === 'YZC-rebooted'),
  );
  expect(hello.json.bootId).toBe(agent.bootId);
  expect((hello.json.event as { firmware: string }).firmware).toBe('1.5.0');
  expect(lines.some((l) => l.msg === 'controller hello' && l.boardId === 'YZC-rebooted')).toBe(true);
});

it('silence (no frame within the frame timeout) also means down, and frames bring it back', async () => {
  const wasDown = health().filter((h) => h.serial.state === 'down').length;
  await sim.stop(); // the port stays, the controller is quiet
  await waitFor(
    'down after the frame timeout',
    () => health().filter((h) => h.serial.state === 'down').length > wasDown,
    10_000,
  );
  line = await sim.attachToPath(pty.devicePath);
  sim.start();
  await waitFor('up again', () => agent.health().serial.state === 'up', 10_000);
}, 30_000);

it('garbage, bad CRC and unknown types are counted per reason; good frames around them still arrive', async () => {
  const good = encodeFrame({ type: 'heartbeat', seq: 1, uptimeMs: 5, status: 0 });
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] ?? 0) ^ 0xff;
  // A well-formed frame of type 0xEE, which v1 does not define (valid CRC).
  const unknown = Buffer.from(good);
  unknown[3] = 0xee;
  unknown.writeUInt16LE(crc16(unknown, 2, unknown.length - 2), unknown.length - 2);
  const before = agent.health().serial.framesBad;
  line.write(Buffer.from('hello world, not a frame'));
  line.write(badCrc);
  line.write(unknown);
  await waitFor(
    'bad CRC counted',
    () => (agent.health().serial.framesBad.bad_crc ?? 0) > (before.bad_crc ?? 0),
    5000,
  );
  await waitFor(
    'unknown type counted',
    () => (agent.health().serial.framesBad.unknown_type ?? 0) > (before.unknown_type ?? 0),
    5000,
  );
  await waitFor(
    'garbage counted',
    () => (agent.health().serial.framesBad.garbage ?? 0) > (before.garbage ?? 0),
    5000,
  );
  const t = telemetryCount();
  await waitFor('readings keep coming', () => telemetryCount() > t, 10_000);
  expect(agent.health().serial.state).toBe('up');
});
