/**
 * The simulator on the device end of a real socat PTY pair, the agent on the other end with the
 * native serialport binding, publishing to a real broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { StationSimulator } from '@yizhan/edge/simulator';
import { ConfigKey, scaleRaw } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import type { PtyPair } from '../../../scripts/lib/socat.js';
import { FAST_BACKOFF, memoryLogger, startPtyRig, type Recorder } from '../helpers.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

let pty: PtyPair;
let rec: Recorder;
let agent: Agent;
let sim: StationSimulator;
const sent: Frame[] = [];
const { logger, lines } = memoryLogger();

const cleanups = new Cleanups();

beforeAll(async () => {
  const rig = await startPtyRig(cleanups, 'yizhan-pty-');
  ({ pty, rec } = rig);
  const station = stationFixture('st-301', { serialPath: pty.agentPath });
  agent = await startAgent({
    station,
    mqttUrl: rig.broker.url,
    password: 'pw',
    logger,
    serialBackoff: FAST_BACKOFF,
    mqttBackoff: FAST_BACKOFF,
  });
  cleanups.add('agent', () => agent.stop());
  await waitFor(
    'serial port open',
    () => agent.health().serial.port === pty.agentPath && lines.some((l) => l.msg === 'serial port open'),
  );
  sim = new StationSimulator(station, { seed: 11, speed: 20 });
  sim.onFrame((_b, f) => sent.push(f));
  cleanups.add('simulator', () => sim.stop());
  await sim.attachToPath(pty.devicePath);
  sim.start();
});

afterAll(() => cleanups.run());

describe('simulator ↔ socat PTY ↔ agent ↔ broker', () => {
  it('delivers HELLO and READINGS as MQTT events and telemetry, values scaled as sent', async () => {
    const tel = () => rec.on('telemetry');
    await waitFor(
      'hello and 3 telemetry messages',
      () =>
        rec.on('events').some((m) => (m.json.event as { type: string }).type === 'hello') &&
        tel().length >= 3,
    );
    const kinds = new Map(stationFixture().sensors.map((s) => [s.channel, s]));
    const expected = sent
      .filter((f): f is Extract<Frame, { type: 'readings' }> => f.type === 'readings')
      .slice(0, 3)
      .map((f) =>
        f.readings.map((r) => {
          const s = kinds.get(r.channel);
          if (!s) throw new Error(`channel ${r.channel}`);
          return { sensor: s.id, kind: s.kind, value: scaleRaw(s.kind, r.raw) };
        }),
      );
    expect(
      tel()
        .slice(0, 3)
        .map((m) => m.json.readings),
    ).toEqual(expected);
    expect(rec.on('events')[0]?.json.event).toMatchObject({
      type: 'hello',
      firmware: '1.4.2',
      boardId: 'YZC-st-301',
    });
    expect(agent.health().serial).toMatchObject({ state: 'up', framesBad: { bad_crc: 0, garbage: 0 } });
  });

  it('carries EVENTs both ways: door opened on the controller, CONFIG_SET from the agent acknowledged', async () => {
    sim.setDoor(true);
    await waitFor('door event', () =>
      rec
        .on('events')
        .some(
          (m) =>
            JSON.stringify(m.json.event) ===
            JSON.stringify({ type: 'state', sensor: 'door', kind: 'door', value: 1 }),
        ),
    );
    expect(
      agent.sendToController({ type: 'config_set', seq: 0, key: ConfigKey.reading_interval_s, value: 1 }),
    ).toBe(true);
    await waitFor('the controller applied it', () => sim.snapshot().settings.readingIntervalS === 1);
    const ack = await waitFor('ACK logged by the agent', () =>
      lines.find((l) => l.msg === 'controller answered'),
    );
    expect(ack.frame).toMatchObject({ type: 'ack', ackSeq: 0 });
    sim.setDoor(false);
  });
});
