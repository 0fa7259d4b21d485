/**
 * The `cmd` topic as docs/protocol/mqtt-v1.md §4.7–4.8 specifies it, driven the way an operator
 * would: Debian's mosquitto_pub sends a command through the yizhan broker (real accounts and ACLs),
 * mosquitto_sub reads the station's `cmd/result`. The station runs the agent with a simulated
 * controller behind it.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { mockPathFor, PairedMockBinding } from '../../../edge/src/serial/mock-pair.js';
import { StationSimulator } from '@yizhan/edge/simulator';
import { stationTopic } from '@yizhan/protocol/mqtt';
import { startTestBroker, type TestBroker } from '../../broker/helpers.js';
import { run } from '../../helpers/processes.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { FAST_BACKOFF } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const station = stationFixture('st-321');
const cleanups = new Cleanups();
let tb: TestBroker;
let agent: Agent;
let sim: StationSimulator;
/** cmd/result payloads, as mosquitto_sub printed them. */
const results: Record<string, unknown>[] = [];

const auth = (user: string): string[] => [
  ...['-h', '127.0.0.1', '-p', String(tb.broker.port), '-V', 'mqttv311'],
  ...['-i', `${user}-${Math.random().toString(36).slice(2, 8)}`, '-u', user, '-P', tb.secret(user)],
];
const send = async (payload: Record<string, unknown>): Promise<void> => {
  const r = await run('mosquitto_pub', [
    ...auth('ops'),
    ...['-t', stationTopic(station.id, 'cmd'), '-q', '1', '-m', JSON.stringify(payload)],
  ]);
  expect(r.code, r.stderr).toBe(0);
};
const resultFor = (id: string, timeoutMs = 5000) =>
  waitFor(`cmd/result for ${id}`, () => results.find((r) => r.id === id), timeoutMs);

beforeAll(async () => {
  tb = await startTestBroker([
    { username: station.id, role: 'station' },
    { username: 'ops', role: 'operator' },
  ]);
  cleanups.add('broker', () => tb.stop());
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe; we need each line as it comes.
  const sub = spawn(
    'stdbuf',
    ['-oL', 'mosquitto_sub', ...auth('ops'), '-t', stationTopic(station.id, 'cmd/result'), '-q', '1', '-d'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  cleanups.add('mosquitto_sub', () => sub.kill('SIGTERM'));
  let subscribed = false;
  createInterface({ input: sub.stdout }).on('line', (l) => {
    if (l.includes('received SUBACK')) subscribed = true;
    else if (l.startsWith('{')) results.push(JSON.parse(l) as Record<string, unknown>);
  });
  await waitFor('mosquitto_sub subscribed', () => subscribed);

  sim = new StationSimulator(station, { speed: 1, seed: 1 });
  cleanups.add('controller', () => sim.stop());
  await sim.attachToPath(mockPathFor(station.id), { binding: PairedMockBinding });
  sim.start();
  agent = await startAgent({
    station,
    mqttUrl: tb.broker.url,
    password: tb.secret(station.id),
    serialPath: mockPathFor(station.id),
    binding: PairedMockBinding,
    mqttBackoff: FAST_BACKOFF,
    healthIntervalMs: 60_000,
    logger: pino({ level: 'silent' }),
  });
  cleanups.add('agent', () => agent.stop());
  await waitFor('serial link up', () => agent.health().serial.state === 'up');
});
afterAll(() => cleanups.run());

it('ping is answered on cmd/result with its id, in the station envelope', async () => {
  // cmd is never retained: a command sent before the agent has subscribed reaches nobody, so ping
  // until the first answer.
  let n = 0;
  const first = await waitFor(
    'an answer to a ping',
    () => {
      if (n < 40 && results.length === 0)
        void send({ v: 1, id: `ping-${n++}`, ts: Date.now(), name: 'ping' });
      return results[0];
    },
    20_000,
  );
  expect(first).toEqual({
    v: 1,
    stationId: station.id,
    bootId: agent.bootId,
    seq: expect.any(Number) as number,
    ts: expect.any(Number) as number,
    id: expect.stringMatching(/^ping-\d+$/) as string,
    ok: true,
    result: {
      agentVersion: expect.any(String) as string,
      uptimeS: expect.any(Number) as number,
      serial: 'up',
    },
  });
});

it('get_config answers the settings the controller reports (CONFIG_GET)', async () => {
  await send({ v: 1, id: 'c-get-1', ts: Date.now(), name: 'get_config' });
  const r = await resultFor('c-get-1');
  const s = sim.snapshot().settings;
  expect(r).toMatchObject({
    ok: true,
    result: {
      readingIntervalS: s.readingIntervalS,
      heartbeatIntervalS: s.heartbeatIntervalS,
      doorStuckS: s.doorStuckS,
      waterSetpointC: s.waterSetpointDc / 10,
    },
  });
});

it('reboot_controller is answered ok:false with the reason (serial v1 has no frame for it)', async () => {
  await send({ v: 1, id: 'c-reboot-1', ts: Date.now(), name: 'reboot_controller' });
  expect(await resultFor('c-reboot-1')).toMatchObject({
    ok: false,
    error: expect.stringMatching(/not supported/) as string,
  });
});

it('an unknown command with an id is answered ok:false naming the problem; one without an id is counted', async () => {
  await send({ v: 1, id: 'c-bad-1', ts: Date.now(), name: 'format_disk' });
  expect(await resultFor('c-bad-1')).toMatchObject({
    ok: false,
    error: expect.stringMatching(/^invalid command: schema/) as string,
  });
  await send({ v: 1, ts: Date.now(), name: 'ping' });
  await waitFor('counted', () => agent.health().invalidCommands === 1);
  await send({ v: 1, id: 'c-ping-after', ts: Date.now(), name: 'ping' });
  expect(await resultFor('c-ping-after')).toMatchObject({ ok: true });
});
