/**
 * Test fixture, run as its own process (`npx tsx test/edge/agents-proc.ts`): real edge agents, one per
 * station, each on a serial path and with its own state folder (disk spool), so a test can SIGKILL
 * them all at once and start them again. Settings come as JSON in YZ_AGENTS:
 * `{ mqttUrl, stateRoot, stations: [{ id, serialPath }], maxPublishRatePerS?, spoolMaxBytes?, healthIntervalMs? }`.
 * Every 100 ms it prints one JSON line: `{ depth, serialUp, portsOpen, framesGood, dropped, agents }`
 * (sums over the agents).
 */
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { startAgent, type Agent } from '@yizhan/edge/agent';

interface Settings {
  mqttUrl: string;
  stateRoot: string;
  stations: { id: string; serialPath: string }[];
  maxPublishRatePerS?: number;
  spoolMaxBytes?: number;
  healthIntervalMs?: number;
}

async function main(): Promise<void> {
  const s = JSON.parse(process.env.YZ_AGENTS ?? '') as Settings;
  const configs = new Map(loadStationsOrThrow(DEFAULT_STATIONS_DIR).map((c) => [c.id, c]));
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const agents: Agent[] = [];
  for (const st of s.stations) {
    const station = configs.get(st.id);
    if (!station) throw new Error(`station ${st.id} is not in ${DEFAULT_STATIONS_DIR}`);
    agents.push(
      await startAgent({
        station,
        mqttUrl: s.mqttUrl,
        password: 'test-secret',
        serialPath: st.serialPath,
        stateDir: join(s.stateRoot, st.id),
        logger: log,
        spoolMaxBytes: s.spoolMaxBytes,
        maxPublishRatePerS: s.maxPublishRatePerS,
        healthIntervalMs: s.healthIntervalMs ?? 3_600_000,
        mqttBackoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 },
        serialBackoff: { initialMs: 100, maxMs: 500, factor: 2, jitter: 0.2 },
      }),
    );
  }
  setInterval(() => {
    let depth = 0;
    let serialUp = 0;
    let dropped = 0;
    let portsOpen = 0;
    let framesGood = 0;
    for (const a of agents) {
      const h = a.health();
      if (h.serialPortOpen) portsOpen++;
      framesGood += h.serial.framesGood;
      depth += h.outbox.depth;
      dropped += h.outbox.dropped;
      if (h.serial.state === 'up') serialUp++;
    }
    process.stdout.write(
      `${JSON.stringify({ depth, serialUp, portsOpen, framesGood, dropped, agents: agents.length })}\n`,
    );
  }, 100);
  process.on('SIGTERM', () => {
    void Promise.allSettled(agents.map((a) => a.stop())).finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(2);
});
