/**
 * Edge agent CLI, run on a station board:
 *
 *   npx tsx edge/src/main.ts --station st-001 --mqtt mqtts://broker:8883 --password-file /etc/yizhan/st-001.secret
 *        [--serial-path /dev/ttyUSB0] [--stations-dir firmware-config/stations]
 *        [--state-dir /var/lib/yizhan/st-001] [--spool-max 64MB] [--spool-fsync interval|always|never]
 *        [--health-interval 30s] [--modbus /etc/yizhan/st-001.modbus.yaml] [--screen-port 8090]
 *        [--simulate [--speed 60] [--seed 1]]   (no hardware: a simulated controller on an in-memory pair)
 *
 * Only the station's own file is read from the stations folder: `<dir>/<station>.yaml`.
 * The state folder holds the durable spool (messages waiting for the broker) and the applied remote
 * config; default `$YIZHAN_DATA_DIR/edge/<station>` (.data/edge/<station>). `--state-dir none` keeps
 * messages in memory only.
 *
 * Every option and its environment fallback is declared in settings.ts (`--help` lists them); every
 * problem with them is reported at once. Under systemd (Type=notify, WatchdogSec) it
 * reports READY and pings the watchdog (see edge/deploy/).
 * `--screen-port` serves the station screen at http://localhost:<port>/ from the agent's own
 * readings (edge/src/screen/), for a kiosk browser on the board.
 * SIGINT/SIGTERM: publish offline status (reason "shutdown"), close the spool and exit 0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { helpText, parseFlags, parseSettings } from '@yizhan/common/settings';
import { STATION_ID_PATTERN } from '@yizhan/protocol/mqtt';
import { DEFAULT_STATIONS_DIR, loadStationFile, StationConfigError } from '@yizhan/station-config/load';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startAgent, type Agent } from './agent/index.js';
import { mockPathFor, PairedMockBinding } from './serial/mock-pair.js';
import { StationSimulator } from './simulator/simulator.js';
import { startSystemdNotify } from './systemd.js';
import { loadModbusConfig, ModbusConfigError } from './modbus/poller.js';
import { EDGE_SETTINGS } from './settings.js';
import type { BoardScreen, startBoardScreen } from './screen/server.js';
import { SCREEN_BUNDLE } from './screen/bundle-name.js';

const USAGE =
  'usage: main.ts --station <id> --mqtt <url> --password-file <file> [options]; --help lists every option';

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

/**
 * The board screen's code, only when `--screen-port` asks for it. In the deployed bundle it is its
 * own file beside the agent (edge/build.ts): inside the agent's bundle, even never loaded, it cost
 * every board ~3 MB of RSS (bench:board-screen); a specifier esbuild cannot see keeps it out.
 */
function loadBoardScreen(): Promise<{ startBoardScreen: typeof startBoardScreen }> {
  const file = import.meta.url.endsWith('.mjs') ? `./${SCREEN_BUNDLE}` : './screen/server.js';
  return import(file) as Promise<{ startBoardScreen: typeof startBoardScreen }>;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    const en = process.env.YIZHAN_LANG === 'en';
    console.log(`${USAGE}\n${helpText(EDGE_SETTINGS, en ? 'en' : 'zh-CN')}`);
    return;
  }
  const parsed = parseFlags(EDGE_SETTINGS, args);
  const { values: v, problems } = parseSettings(EDGE_SETTINGS, { env: process.env, flags: parsed.flags });
  problems.unshift(...parsed.problems);
  if (parsed.positionals.length > 0)
    problems.unshift(`unexpected arguments: ${parsed.positionals.join(' ')}`);
  if (!v.station) problems.push('--station: is required');
  if (!v.mqttUrl) problems.push('--mqtt (or YIZHAN_MQTT_URL): is required');
  if (!v.passwordFile) problems.push('--password-file (or YIZHAN_MQTT_PASSWORD_FILE): is required');
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const id = v.station as string;
  const mqttUrl = v.mqttUrl as string;
  const passwordFile = v.passwordFile as string;
  const station = loadOwnStation(v.stationsDir ?? DEFAULT_STATIONS_DIR, id);
  const stateArg = v.stateDir ?? join(v.dataDir, 'edge', id);
  const stateDir = stateArg === 'none' ? undefined : stateArg;
  const logger = pino({ level: v.logLevel });
  let sim: StationSimulator | undefined;
  let serialPath = v.serialPath;
  if (v.simulate) {
    serialPath = mockPathFor(id);
    sim = new StationSimulator(station, {
      speed: v.speed,
      seed: v.seed,
    });
    await sim.attachToPath(serialPath, { binding: PairedMockBinding });
    sim.start();
  }
  const screen: BoardScreen | undefined =
    v.screenPort === undefined
      ? undefined
      : await (
          await loadBoardScreen()
        ).startBoardScreen({
          station,
          port: v.screenPort,
          host: v.screenHost,
          noticesFrom: v.screenNoticesFrom,
          nearbyStaleMs: v.screenNearbyStaleAfter,
          publicUrl: v.screenPublicUrl,
          noticesFile: stateDir ? join(stateDir, 'notices.json') : undefined,
          logger,
        });
  const agent: Agent = await startAgent({
    station,
    mqttUrl,
    passwordFile,
    serialPath,
    binding: sim ? PairedMockBinding : undefined,
    logger,
    stateDir,
    spoolMaxBytes: v.spoolMax,
    spoolFsync: v.spoolFsync,
    healthIntervalMs: v.healthInterval,
    modbus: v.modbus ? loadModbusConfig(v.modbus, station) : undefined,
    onMessage: screen ? (leaf, payload) => screen.observe(leaf, payload) : undefined,
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
      .then(() => screen?.close())
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
  if (err instanceof ModbusConfigError)
    console.error('fix the Modbus file (see edge/deploy/modbus.example.yaml)');
  process.exit(2);
});
