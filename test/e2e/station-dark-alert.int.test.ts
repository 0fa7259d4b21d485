/**
 * station_dark end to end: a real agent, broker, server and influxd. The broker drops the agent's
 * connection as a lost network would; its will makes the station dark, the alert fires after
 * `for`, and it resolves once the reconnected agent has talked for `clearFor`. Holds are short
 * here through the server's alert-rules (station_dark.for 2s, clearFor 1s; outage.within 1s).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import type { AlertRulesFile } from '@yizhan/station-config/alert-rules';
import type { Alert } from '../../server/src/alerts/types.js';
import { FAST_BACKOFF } from '../edge/helpers.js';
import { startServer, startTestInflux, type StartedServer, type TestInflux } from '../server/helpers.js';
import { type PlainBroker, startPlainBroker } from '../helpers/mqtt-broker.js';
import { waitFor } from '../helpers/wait.js';
import { stationFixture } from '../helpers/station.js';

const station = stationFixture('st-001');
const rules: AlertRulesFile = {
  defaults: { station_dark: { for: '2s', clearFor: '1s' } },
  outage: { within: '1s' },
};
let influx: TestInflux;
let broker: PlainBroker;
let server: StartedServer;
let agent: Agent | undefined;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'yz-dark-')), 'alert-rules.yaml');
  writeFileSync(file, JSON.stringify(rules));
  influx = await startTestInflux();
  broker = await startPlainBroker();
  server = await startServer({
    stations: [station],
    mqttUrl: broker.url,
    influxUrl: influx.url,
    alerts: { rulesFile: { file, rules }, tickIntervalMs: 200 },
  });
});
afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await broker?.close();
  await influx?.cleanup();
});

describe('station_dark', () => {
  it('fires on the will after `for`, dated when the connection was lost, and resolves when the agent talks again', async () => {
    const seen: Alert[] = [];
    server.app.alerts.on('alert', (a) => seen.push(a));
    agent = await startAgent({
      station,
      mqttUrl: broker.url,
      password: 'unused-by-this-broker',
      serialPath: '/nonexistent/yizhan-no-serial',
      healthIntervalMs: 500,
      mqttBackoff: { ...FAST_BACKOFF, initialMs: 4000, maxMs: 4000, jitter: 0 },
      logger: pino({ level: 'silent' }),
    });
    await waitFor('online', () => (server.app.store.live(station.id)?.online ? true : undefined));
    const lost = Date.now();
    expect(broker.killClient(station.id)).toBe(true);
    const fired = await waitFor('station_dark fires', () =>
      seen.find((a) => a.rule === 'station_dark' && a.status === 'firing'),
    );
    expect(Date.now() - lost).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(fired.startsAt)).toBeGreaterThanOrEqual(lost - 50);
    expect(fired.evidence).toMatchObject({ cause: 'will' });
    expect(fired.suppressedBy).toBeUndefined();

    const resolved = await waitFor(
      'station_dark resolves after the agent reconnects',
      () => seen.find((a) => a.rule === 'station_dark' && a.status === 'resolved'),
      15_000,
    );
    expect(resolved.id).toBe(fired.id);
    expect(resolved.resolvedMessage?.en).toContain('talking again');
  }, 30_000);
});
