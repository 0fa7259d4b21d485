import { describe, expect, it } from 'vitest';
import { validators } from '@yizhan/protocol/mqtt';
import { FaultCode, SensorKind } from '@yizhan/protocol/serial';
import { encodeFrame } from '@yizhan/protocol/serial';
import { harnessSuite } from './agent-harness.js';
import { record, waitFor } from './helpers.js';

const suite = harnessSuite();
const start = suite.start.bind(suite);

describe('edge agent over a mock serial pair, to a real broker', () => {
  it('publishes telemetry and events with scaled values, sensor ids from the config, and +1 seq', async () => {
    const h = await start({ id: 'st-101', sockets: 2 });
    const before = Date.now();
    h.send(
      {
        type: 'hello',
        firmware: { major: 1, minor: 4, patch: 2 },
        boardId: 'YZC-0101',
        sensors: h.station.sensors.map((s) => ({ channel: s.channel, kind: SensorKind[s.kind].code })),
      },
      {
        type: 'readings',
        uptimeMs: 5000,
        readings: [
          { channel: 1, raw: 0 },
          { channel: 2, raw: 7 },
          { channel: 3, raw: -15 },
          { channel: 10, raw: 1 },
          { channel: 40, raw: 1234 },
          { channel: 80, raw: 853 },
          { channel: 81, raw: 1 },
          { channel: 82, raw: 64 },
        ],
      },
      { type: 'event', uptimeMs: 6000, channel: 1, raw: 1 },
      { type: 'fault', uptimeMs: 7000, channel: 81, code: FaultCode.heater_failure, active: true },
      { type: 'heartbeat', uptimeMs: 8000, status: 1 },
    );
    await waitFor(
      'telemetry and 3 events',
      () => h.got('telemetry').length === 1 && h.got('events').length === 3,
    );
    const env = { v: 1, stationId: 'st-101', bootId: h.agent.bootId };
    const tel = h.got('telemetry')[0]?.json;
    expect(tel).toEqual({
      ...env,
      seq: expect.any(Number) as number,
      ts: expect.any(Number) as number,
      readings: [
        { sensor: 'door', kind: 'door', value: 0 },
        { sensor: 'occupancy', kind: 'occupancy', value: 7 },
        { sensor: 'ambient', kind: 'ambient_temp', value: -1.5 },
        { sensor: 'socket-1', kind: 'socket_state', value: 1 },
        { sensor: 'socket-1-power', kind: 'socket_power', value: 123.4 },
        { sensor: 'water-temp', kind: 'water_temp', value: 85.3 },
        { sensor: 'heater', kind: 'heater', value: 1 },
        { sensor: 'water-level', kind: 'water_level', value: 64 },
      ],
    });
    expect(tel?.ts).toBeGreaterThanOrEqual(before);
    expect(tel?.ts).toBeLessThanOrEqual(Date.now());
    expect(h.got('events').map((m) => m.json.event)).toEqual([
      {
        type: 'hello',
        firmware: '1.4.2',
        boardId: 'YZC-0101',
        sensors: h.station.sensors.map((s) => ({ channel: s.channel, kind: s.kind })),
      },
      { type: 'state', sensor: 'door', kind: 'door', value: 1 },
      { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: true },
    ]);
    for (const m of [...h.got('telemetry'), ...h.got('events')]) {
      expect(m.json).toMatchObject(env);
      expect('historical' in m.json).toBe(false);
    }
    // Every station message (health, telemetry, events) counts in one sequence without gaps.
    const seqs = suite.rec.messages
      .filter((m) => m.topic.includes('/st-101/') && !m.topic.endsWith('/status'))
      .map((m) => m.json.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(h.agent.health().messages).toBe(seqs.length);
  });

  it('keeps a retained online status, with the bootId, for late subscribers', async () => {
    const h = await start({ id: 'st-102' });
    const late = await record(suite.broker.url, 'yizhan/v1/stations/st-102/status');
    const m = await waitFor('retained status', () => late.messages[0]);
    expect(m.retain).toBe(true);
    expect(m.json).toEqual({
      v: 1,
      stationId: 'st-102',
      state: 'online',
      bootId: h.agent.bootId,
      ts: expect.any(Number) as number,
      agentVersion: '0.1.0',
    });
    expect(validators.status.check(m.json)).toBe(true);
    await late.close();
  });

  it('finds good frames between garbage bytes and counts what it dropped', async () => {
    const h = await start({ id: 'st-103' });
    const good = (occ: number) =>
      encodeFrame({ type: 'readings', seq: occ, uptimeMs: 1, readings: [{ channel: 2, raw: occ }] });
    const corrupt = Buffer.from(good(9));
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 3) ^ 0xff, corrupt.length - 3);
    // A false start-of-frame (its LEN field reads 346) holds the decoder until enough bytes arrive:
    // the controller's next heartbeats provide them, as on a live line.
    h.device.write(
      Buffer.concat([
        Buffer.from('hello\r\n'),
        good(1),
        Buffer.from([0xa5, 0x5a, 0x01, 0x02, 0xff]),
        good(2),
        corrupt,
        Buffer.from([0, 0, 0xa5]),
        good(3),
      ]),
    );
    for (let i = 0; i < 30; i++) h.send({ type: 'heartbeat', uptimeMs: i, status: 0 });
    await waitFor('3 telemetry messages', () => h.got('telemetry').length === 3);
    expect(h.got('telemetry').map((m) => (m.json.readings as { value: number }[])[0]?.value)).toEqual([
      1, 2, 3,
    ]);
    const bad = h.agent.health().serial.framesBad;
    expect(bad.garbage).toBeGreaterThan(0);
    expect(bad.bad_crc).toBeGreaterThan(0);
    expect(h.agent.health().serial.framesGood).toBe(33);
  });

  it('does not publish channels missing from the config: counts unknown_channel and logs once', async () => {
    const h = await start({ id: 'st-104' });
    h.send(
      {
        type: 'readings',
        uptimeMs: 1,
        readings: [
          { channel: 2, raw: 3 },
          { channel: 99, raw: 5 },
        ],
      },
      { type: 'readings', uptimeMs: 2, readings: [{ channel: 99, raw: 6 }] },
      { type: 'event', uptimeMs: 3, channel: 99, raw: 1 },
      { type: 'fault', uptimeMs: 4, channel: 81, code: 200, active: true },
    );
    await waitFor(
      'unknown channel counted 3 times',
      () =>
        h.agent.health().serial.framesBad.unknown_channel === 3 &&
        h.agent.health().serial.framesBad.unknown_fault === 1,
    );
    expect(h.got('telemetry').map((m) => m.json.readings)).toEqual([
      [{ sensor: 'occupancy', kind: 'occupancy', value: 3 }],
    ]);
    expect(h.got('events')).toEqual([]);
    const logged = h.lines.filter((l) => l.reason === 'unknown_channel');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.msg).toMatch(/channel 99 is not in the config of st-104/);
    expect(h.lines.filter((l) => l.reason === 'unknown_fault')[0]?.msg).toMatch(
      /fault code 200 on channel 81/,
    );
  });

  it('counts and logs a payload that fails its schema (a bug) instead of publishing or crashing', async () => {
    // A config that slipped past its loader with a bad sensor id: that reading cannot form a valid payload.
    const h = await start({ id: 'st-105' }, {}, (s) =>
      s.sensors.push({ channel: 120, id: 'Bad Id', kind: 'door' }),
    );
    h.send(
      { type: 'readings', uptimeMs: 1, readings: [{ channel: 120, raw: 1 }] },
      { type: 'readings', uptimeMs: 2, readings: [{ channel: 2, raw: 4 }] },
    );
    await waitFor('the good reading', () => h.got('telemetry').length === 1);
    expect(h.agent.health().invalidPayloads).toBe(1);
    const err = h.lines.find((l) => l.level === 50);
    expect(err?.msg).toMatch(/invalid payload \(bug\); not published/);
    expect(JSON.stringify(err?.errors)).toMatch(/readings\/0\/sensor/);
    expect(h.got('telemetry')[0]?.json).toMatchObject({ readings: [{ sensor: 'occupancy', value: 4 }] });
    const seqs = suite.rec.messages
      .filter((m) => m.topic.includes('/st-105/') && !m.topic.endsWith('/status'))
      .map((m) => m.json.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('publishes health with serial state, frame counters and the outbox', async () => {
    const h = await start({ id: 'st-107' }, { healthIntervalMs: 200 });
    h.send({ type: 'heartbeat', uptimeMs: 1, status: 0 });
    const m = await waitFor('health after a frame', () =>
      h.got('health').find((x) => (x.json.serial as { framesGood: number }).framesGood >= 1),
    );
    expect(validators.health.check(m.json)).toBe(true);
    expect(m.json).toMatchObject({
      agentVersion: '0.1.0',
      serial: {
        state: 'up',
        port: '/mock/yizhan/st-107',
        framesGood: 1,
        framesBad: { garbage: 0, bad_crc: 0, unknown_channel: 0 },
      },
      spool: { depth: 0, dropped: 0 },
    });
    expect((m.json.serial as { lastFrameAgeMs: number }).lastFrameAgeMs).toBeLessThan(1000);
    expect(m.json.rssBytes).toBeGreaterThan(1_000_000);
  });

  it('marks the serial link down when the cable is pulled (port reopened) or frames stop (port kept open), and up again', async () => {
    const h = await start({ id: 'st-108' }, { frameTimeoutMs: 400 });
    const states = () => h.got('health').map((m) => (m.json.serial as { state: string }).state);
    h.send({ type: 'heartbeat', uptimeMs: 1, status: 0 });
    await waitFor('up', () => states().includes('up'));
    h.device.unplug();
    await waitFor('down after unplug', () => states().at(-1) === 'down');
    expect(h.lines.some((l) => /serial link lost/.test(l.msg) && /unplugged/.test(String(l.reason)))).toBe(
      true,
    );
    await waitFor('port reopened', () => h.device.connected);
    h.send({ type: 'heartbeat', uptimeMs: 2, status: 0 });
    await waitFor('up again', () => states().at(-1) === 'up');
    const losses = h.lines.filter((l) => /serial link lost/.test(l.msg)).length;
    await waitFor('down after silence', () => states().at(-1) === 'down', 3000);
    expect(h.lines.some((l) => /no frame for 400 ms/.test(String(l.reason)))).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // silence well past the frame timeout
    expect(h.device.connected).toBe(true);
    expect(h.agent.health().serialPortOpen).toBe(true);
    expect(h.lines.filter((l) => /serial link lost/.test(l.msg)).length).toBe(losses);
    h.send({ type: 'heartbeat', uptimeMs: 3, status: 0 });
    await waitFor('up once more', () => states().at(-1) === 'up');
  });

  it('publishes the retained will (reason "will") when its connection dies, then comes back online', async () => {
    const h = await start(
      { id: 'st-109' },
      { mqttBackoff: { initialMs: 1500, maxMs: 1500, factor: 1, jitter: 0 } },
    );
    expect(suite.broker.killClient('st-109')).toBe(true);
    const will = await waitFor('will', () => h.got('status').find((m) => m.json.state === 'offline'));
    expect(will.json).toEqual({
      v: 1,
      stationId: 'st-109',
      state: 'offline',
      bootId: h.agent.bootId,
      reason: 'will',
      ts: expect.any(Number) as number,
      agentVersion: '0.1.0',
    });
    const late = await record(suite.broker.url, 'yizhan/v1/stations/st-109/status');
    const retained = await waitFor('retained will', () => late.messages[0]);
    expect(retained).toMatchObject({ retain: true, json: { state: 'offline', reason: 'will' } });
    await late.close();
    await waitFor('online again', () => h.got('status').at(-1)?.json.state === 'online', 5000);
    expect(h.agent.health().mqtt).toMatchObject({ connected: true, connects: 2 });
  });

  it('stop() publishes a retained offline status with reason "shutdown" and no will', async () => {
    const h = await start({ id: 'st-110' });
    await h.agent.stop();
    const late = await record(suite.broker.url, 'yizhan/v1/stations/st-110/status');
    const m = await waitFor('retained status', () => late.messages[0]);
    expect(m).toMatchObject({
      retain: true,
      json: { state: 'offline', reason: 'shutdown', bootId: h.agent.bootId },
    });
    await late.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(h.got('status').filter((s) => s.json.reason === 'will')).toEqual([]);
    expect(h.device.connected).toBe(false);
  });
});
