/**
 * bench:edge helper process: the simulated controller of the bench station on the device end of a
 * PTY, sending READINGS of all 20 channels at `hz` per second (speed = hz, reading interval 1 s).
 * Prints `{"framesOut":n}` every second.
 *
 *   node --import tsx bench/edge-sim.ts <stations-dir> <station-id> <device-path> <hz>
 */
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { StationSimulator } from '@yizhan/edge/simulator';
import { encodeFrame } from '@yizhan/protocol/serial';
import { ConfigKey } from '@yizhan/protocol/serial';

const [dir, id, device, hzText] = process.argv.slice(2);
const hz = Number(hzText);
if (!dir || !id || !device || !(hz > 0)) {
  console.error('usage: edge-sim.ts <stations-dir> <station-id> <device-path> <hz>');
  process.exit(2);
}
const station = loadStationsOrThrow(dir).find((s) => s.id === id);
if (!station) throw new Error(`no ${id} in ${dir}`);
const sim = new StationSimulator(station, { speed: hz, seed: 1, tickMs: 20 });
await sim.attachToPath(device);
// As if the edge had asked for one READINGS per (simulated) second.
sim.receive(encodeFrame({ type: 'config_set', seq: 1, key: ConfigKey.reading_interval_s, value: 1 }));
sim.start();
setInterval(() => process.stdout.write(`${JSON.stringify({ framesOut: sim.stats.framesOut })}\n`), 1000);
process.on('SIGTERM', () => void sim.stop().finally(() => process.exit(0)));
