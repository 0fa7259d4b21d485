/**
 * The simulated fleet of `npm start`: for every station in firmware-config/stations, a simulated
 * sensor controller and a real edge agent joined by a serial line (the in-memory mock pair by
 * default, or a real socat PTY pair with YIZHAN_SERIAL=pty), all in one process.
 * On SIGINT/SIGTERM every agent publishes its offline status before the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { PairedMockBinding, mockPathFor, runSimulatedStations, serialTransport, startAgent, type Agent } from '@yizhan/edge';
import { readRunSettings, SettingsError, type RunSettings } from './lib/run-settings.js';
import { startPtyPair, type PtyPair } from './lib/socat.js';

let settings: RunSettings;
try {
  settings = readRunSettings();
} catch (e) {
  if (!(e instanceof SettingsError)) throw e;
  console.error(e.message);
  process.exit(1);
}
const log = pino({ level: settings.logLevel, base: { component: 'stations' } });

async function main(): Promise<void> {
  const { mqttUrl, secretsDir, simSpeed: speed, simSeed: seed } = settings;
  const stations = loadStationsOrThrow(settings.stationsDir);
  const usePty = settings.serial === 'pty';

  const ptyDir = usePty ? mkdtempSync(join(tmpdir(), 'yizhan-pty-')) : undefined;
  const pairs = new Map<string, PtyPair>();
  if (ptyDir) for (const st of stations) pairs.set(st.id, await startPtyPair(ptyDir, st.id));

  const fleet = await runSimulatedStations(stations, {
    seed,
    speed,
    autoBoot: false,
    transport: ptyDir
      ? async (sim) => serialTransport((pairs.get(sim.stationId) as PtyPair).devicePath)
      : 'mock',
  });

  const agents: Agent[] = [];
  for (const st of stations) {
    agents.push(
      await startAgent({
        station: st,
        mqttUrl,
        passwordFile: join(secretsDir, `${st.id}.secret`),
        ...(ptyDir
          ? { serialPath: (pairs.get(st.id) as PtyPair).agentPath }
          : { serialPath: mockPathFor(st.id), binding: PairedMockBinding }),
        logger: log.child({ station: st.id }),
      }),
    );
  }
  fleet.boot();
  log.info({ stations: stations.length, serial: usePty ? 'pty' : 'mock', speed, seed }, 'simulated stations running');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled(agents.map((a) => a.stop()));
    await fleet.stop();
    await Promise.allSettled([...pairs.values()].map((p) => p.stop()));
    if (ptyDir) rmSync(ptyDir, { recursive: true, force: true });
    log.info('simulated stations stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, 'simulated stations failed to start');
  process.exit(1);
});
