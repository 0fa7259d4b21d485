/**
 * Edge agent CLI, run on a station board:
 *
 *   npx tsx edge/src/main.ts --station st-001 --mqtt mqtts://broker:8883 --password-file /etc/yizhan/st-001.secret
 *        [--serial-path /dev/ttyUSB0] [--stations-dir firmware-config/stations]
 *        [--state-dir /var/lib/yizhan/st-001] [--spool-max 64MB] [--spool-fsync interval|always|never]
 *        [--health-interval 30s] [--modbus /etc/yizhan/st-001.modbus.yaml]
 *        [--simulate [--speed 60] [--seed 1]]   (no hardware: a simulated controller on an in-memory pair)
 *
 * Only the station's own file is read from the stations folder: `<dir>/<station>.yaml`.
 * The state folder holds the durable spool (messages waiting for the broker) and the applied remote
 * config; default `$YIZHAN_DATA_DIR/edge/<station>` (.data/edge/<station>). `--state-dir none` keeps
 * messages in memory only.
 *
 * Environment fallbacks: YIZHAN_MQTT_URL, YIZHAN_MQTT_PASSWORD_FILE, YIZHAN_STATIONS_DIR,
 * YIZHAN_EDGE_STATE_DIR, YIZHAN_DATA_DIR, LOG_LEVEL. Under systemd (Type=notify, WatchdogSec) it
 * reports READY and pings the watchdog (see edge/deploy/).
 * SIGINT/SIGTERM: publish offline status (reason "shutdown"), close the spool and exit 0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseDuration, parseSize } from '@yizhan/protocol/duration';
import { STATION_ID_PATTERN } from '@yizhan/protocol/mqtt';
import {
  DEFAULT_STATIONS_DIR,
  loadStationFile,
  StationConfigError,
} from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startAgent, type Agent } from './agent/index.js';
import { mockPathFor, PairedMockBinding } from './serial/mock-pair.js';
import { StationSimulator } from './simulator/simulator.js';
import { startSystemdNotify } from './systemd.js';
import { loadModbusConfig, ModbusConfigError } from './modbus/poller.js';

const USAGE =
  'usage: main.ts --station <id> --mqtt <url> --password-file <file> [--serial-path <dev>] [--stations-dir <dir>] [--state-dir <dir>|none] [--spool-max 64MB] [--spool-fsync interval|always|never] [--health-interval 30s] [--modbus <file.yaml>] [--simulate [--speed N] [--seed N]]';

class UsageError extends Error {}

/**
 * The station's own file, `<dir>/<id>.yaml` (or `.yml`; the loader checks that the id inside matches
 * the file name). Only this one: another station's broken file in the same folder must not keep this
 * agent from starting, and parsing the 47 files of a deployment to keep one costs a board ~7 MB of
 * RSS at start (bench:edge).
 */
function loadOwnStation(dir: string, id: string): StationConfig {
  if (!new RegExp(STATION_ID_PATTERN).test(id))
    throw new UsageError(`--station "${id}" is not a station id (${STATION_ID_PATTERN})`);
  const file = ['.yaml', '.yml'].map((ext) => join(dir, `${id}${ext}`)).find((f) => existsSync(f));
  if (!file) throw new UsageError(`station ${id} is not in ${dir} (no ${id}.yaml there)`);
  const { station, issues } = loadStationFile(file);
  if (!station) throw new StationConfigError(issues, file);
  return station;
}

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
      'state-dir': { type: 'string' },
      'spool-max': { type: 'string' },
      'spool-fsync': { type: 'string' },
      'health-interval': { type: 'string' },
      modbus: { type: 'string' },
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
  const station = loadOwnStation(dir, id);

  const stateArg =
    values['state-dir'] ??
    process.env.YIZHAN_EDGE_STATE_DIR ??
    join(process.env.YIZHAN_DATA_DIR ?? '.data', 'edge', id);
  const stateDir = stateArg === 'none' ? undefined : stateArg;
  let spoolMaxBytes: number | undefined;
  if (values['spool-max'] !== undefined) {
    const sz = parseSize(values['spool-max']);
    if (!sz.ok) throw new UsageError(`--spool-max: ${sz.message}`);
    spoolMaxBytes = sz.bytes;
  }
  const fsync = values['spool-fsync'];
  if (fsync !== undefined && fsync !== 'interval' && fsync !== 'always' && fsync !== 'never')
    throw new UsageError(`--spool-fsync must be interval, always or never, got "${fsync}"`);
  let healthIntervalMs: number | undefined;
  if (values['health-interval'] !== undefined) {
    const d = parseDuration(values['health-interval']);
    if (!d.ok) throw new UsageError(`--health-interval: ${d.message}`);
    healthIntervalMs = d.ms;
  }
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
    stateDir,
    spoolMaxBytes,
    spoolFsync: fsync,
    healthIntervalMs,
    modbus: values.modbus ? loadModbusConfig(values.modbus, station) : undefined,
  });
  const systemd = startSystemdNotify(logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    systemd.stop();
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
  if (err instanceof ModbusConfigError) console.error('fix the Modbus file (see edge/deploy/modbus.example.yaml)');
  process.exit(2);
});
