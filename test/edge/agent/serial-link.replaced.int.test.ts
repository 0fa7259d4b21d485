/**
 * A USB adapter plugged back while the agent's open port never reported the old one's loss: the
 * port's path now names another device. The agent must notice it from the path alone (the old
 * PTY stays alive and silent here, so no error or close ever comes) and open the new device.
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

it('a silent port whose path now names another device is reopened on the new one', async () => {
  const station = stationFixture('st-312');
  const { logger, lines } = memoryLogger();
  const rig = await startPtyRig(cleanups, 'yz-serial-swap-', 'old');
  // the agent opens a stable name (as udev's /dev/serial/by-id/…), pointing at the old adapter
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

  // the old adapter goes quiet without its port failing; a new one appears under the same name
  await oldSim.stop();
  await waitFor('the link reported down on silence', () => agent.health().serial.state === 'down', 5_000);
  const fresh = await startPtyPair(rig.dir, 'new');
  cleanups.add('new socat', () => fresh.stop());
  const newSim = new StationSimulator(station, { speed: 20, seed: 8, tickMs: 50 });
  cleanups.add('new simulator', () => newSim.stop());
  await newSim.attachToPath(fresh.devicePath);
  newSim.start();
  symlinkSync(fresh.agentPath, `${port}.next`);
  renameSync(`${port}.next`, port);

  await waitFor('the link up again on the new adapter', () => agent.health().serial.state === 'up', 10_000);
  expect(
    lines.some(
      (l) => l.msg === 'serial link lost; reopening' && String(l.reason).startsWith('another device at'),
    ),
  ).toBe(true);
  const before = agent.health().serial.framesGood;
  await waitFor('frames from the new adapter', () => agent.health().serial.framesGood > before + 3, 5_000);
}, 30_000);
