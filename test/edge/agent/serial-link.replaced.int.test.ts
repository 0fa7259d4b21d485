/**
 * A USB adapter plugged back while the agent's open port never reported the old one's loss: the
 * port's path now names another device. The agent must notice it from the path alone (the old
 * PTY stays alive and silent here, so no error or close ever comes) and open the new device. A
 * path it cannot read says nothing about the device: the port is kept, and that is logged once.
 */
import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StationSimulator } from '@yizhan/edge/simulator';
import { startPtyPair } from '../../../scripts/lib/socat.js';
import { FAST_BACKOFF, memoryLogger, startPtyRig, startRigAgent } from '../helpers.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

/** An agent on a stable name (as udev's /dev/serial/by-id/…) for an adapter that then goes quiet. */
async function silentAdapter(prefix: string) {
  const station = stationFixture('st-312');
  const { logger, lines } = memoryLogger();
  const rig = await startPtyRig(cleanups, prefix, 'old');
  const port = join(rig.dir, 'port');
  symlinkSync(rig.pty.agentPath, port);
  const oldSim = new StationSimulator(station, { speed: 20, seed: 7, tickMs: 50 });
  cleanups.add('old simulator', () => oldSim.stop());
  await oldSim.attachToPath(rig.pty.devicePath);
  oldSim.start();
  const agent = await startRigAgent({ ...rig, pty: { ...rig.pty, agentPath: port } }, cleanups, {
    station,
    logger,
    frameTimeoutMs: 500,
    serialBackoff: FAST_BACKOFF,
  });
  await waitFor('frames from the old adapter', () => agent.health().serial.framesGood > 3);
  // the old adapter goes quiet without its port failing
  await oldSim.stop();
  await waitFor('the link reported down on silence', () => agent.health().serial.state === 'down', 5_000);
  /** A new adapter appears, and the stable name is moved to it (atomically, as udev does). */
  const plugNew = async () => {
    const fresh = await startPtyPair(rig.dir, 'new');
    cleanups.add('new socat', () => fresh.stop());
    const newSim = new StationSimulator(station, { speed: 20, seed: 8, tickMs: 50 });
    cleanups.add('new simulator', () => newSim.stop());
    await newSim.attachToPath(fresh.devicePath);
    newSim.start();
    repoint(fresh.agentPath);
  };
  const repoint = (target: string) => {
    symlinkSync(target, `${port}.next`);
    renameSync(`${port}.next`, port);
  };
  return { agent, lines, port, plugNew, repoint };
}

const reopenedFor = (lines: { msg?: unknown; reason?: unknown }[], reason: string) =>
  lines.filter((l) => l.msg === 'serial link lost; reopening' && String(l.reason).startsWith(reason)).length;

it('a silent port whose path now names another device is reopened on the new one', async () => {
  const { agent, lines, plugNew } = await silentAdapter('yz-serial-swap-');
  await plugNew();
  await waitFor('the link up again on the new adapter', () => agent.health().serial.state === 'up', 10_000);
  expect(reopenedFor(lines, 'another device at')).toBe(1);
  const before = agent.health().serial.framesGood;
  await waitFor('frames from the new adapter', () => agent.health().serial.framesGood > before + 3, 5_000);
}, 30_000);

it('a path that cannot be read (a symbolic link loop) keeps the port, warns once, and is watched on', async () => {
  const { agent, lines, port, plugNew, repoint } = await silentAdapter('yz-serial-loop-');
  symlinkSync(port, `${port}.loop`);
  repoint(`${port}.loop`);
  const warned = () =>
    lines.filter((l) => l.msg === 'cannot read the serial port path; assuming the same device');
  await waitFor('the unreadable path logged', () => warned().length === 1, 5_000);
  // three more checks (one per 500 ms frame timeout): no second warning, no reopen
  await new Promise((r) => setTimeout(r, 1_600));
  expect(warned()).toHaveLength(1);
  expect(warned()[0]).toMatchObject({ path: port, code: 'ELOOP' });
  expect(reopenedFor(lines, '')).toBe(0);
  await plugNew();
  await waitFor('the link up on the new adapter', () => agent.health().serial.state === 'up', 10_000);
  expect(reopenedFor(lines, 'another device at')).toBe(1);
}, 30_000);
