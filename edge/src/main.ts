/**
 * Edge agent CLI, run on a station board:
 *
 *   npx tsx edge/src/main.ts --station st-001 --mqtt mqtts://broker:8883 --password-file /etc/yizhan/st-001.secret
 *        [--serial-path /dev/ttyUSB0] [--stations-dir firmware-config/stations]
 *        [--simulate [--speed 60] [--seed 1]]   (no hardware: a simulated controller on an in-memory pair)
 *
 * Environment fallbacks: YIZHAN_MQTT_URL, YIZHAN_MQTT_PASSWORD_FILE, YIZHAN_STATIONS_DIR, LOG_LEVEL.
 * SIGINT/SIGTERM: publish offline status (reason "shutdown") and exit 0.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '../../firmware-config/src/load.js';
import { startAgent, type Agent } from './agent/index.js';
import { mockPathFor, PairedMockBinding } from './serial/mock-pair.js';
import { StationSimulator } from './simulator/simulator.js';

const USAGE =
  'usage: main.ts --station <id> --mqtt <url> --password-file <file> [--serial-path <dev>] [--stations-dir <dir>] [--simulate [--speed N] [--seed N]]';

class UsageError extends Error {}

function number(name: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number, got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      station: { type: 'string' },
      mqtt: { type: 'string' },
      'password-file': { type: 'string' },
      'serial-path': { type: 'string' },
      'stations-dir': { type: 'string' },
      simulate: { type: 'boolean', default: false },
      speed: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const id = values.station;
  if (!id) throw new UsageError('--station is required');
  const mqttUrl = values.mqtt ?? process.env.YIZHAN_MQTT_URL;
  if (!mqttUrl) throw new UsageError('--mqtt (or YIZHAN_MQTT_URL) is required');
  const passwordFile = values['password-file'] ?? process.env.YIZHAN_MQTT_PASSWORD_FILE;
  if (!passwordFile) throw new UsageError('--password-file (or YIZHAN_MQTT_PASSWORD_FILE) is required');
  const dir = values['stations-dir'] ?? process.env.YIZHAN_STATIONS_DIR ?? DEFAULT_STATIONS_DIR;
  const station = loadStationsOrThrow(dir).find((s) => s.id === id);
  if (!station) throw new UsageError(`station ${id} is not in ${dir}`);

  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  let sim: StationSimulator | undefined;
  let serialPath = values['serial-path'];
  if (values.simulate) {
    serialPath = mockPathFor(id);
    sim = new StationSimulator(station, {
      speed: number('speed', values.speed, 1),
      seed: number('seed', values.seed, 1),
    });
    await sim.attachToPath(serialPath, { binding: PairedMockBinding });
    sim.start();
  }
  const agent: Agent = await startAgent({
    station,
    mqttUrl,
    passwordFile,
    serialPath,
    binding: sim ? PairedMockBinding : undefined,
    logger,
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void agent
      .stop()
      .then(() => sim?.stop())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  console.error(err.message);
  if (err instanceof UsageError) console.error(USAGE);
  process.exit(2);
});
