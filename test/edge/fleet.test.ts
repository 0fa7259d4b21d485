/**
 * 47 simulated stations on one timer, each with its agent on a mock serial pair, all publishing to
 * one broker — what `npm start` runs; and the 47 sample station configs through simulator and mapper.
 */
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { mockPathFor, PairedMockBinding } from '../../edge/src/serial/mock-pair.js';
import { FrameMapper } from '../../edge/src/agent/mapper.js';
import {
  runSimulatedStations,
  StationSimulator,
  type SimulatedStations,
} from '@yizhan/edge/simulator';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { validators } from '@yizhan/protocol/mqtt';
import { MIDNIGHT_CST, stationFixture } from './fixtures.js';
import { record, startTestBroker, waitFor, type Recorder, type TestBroker } from './helpers.js';

const ids = Array.from({ length: 47 }, (_, i) => `st-${String(i + 1).padStart(3, '0')}`);
let broker: TestBroker | undefined;
let rec: Recorder | undefined;
let fleet: SimulatedStations | undefined;
let agents: Agent[] = [];

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await fleet?.stop();
  await rec?.close();
  await broker?.close();
});

describe('runSimulatedStations', () => {
  it('drives 47 stations from one timer, every agent sees its HELLO and publishes telemetry', async () => {
    broker = await startTestBroker();
    rec = await record(broker.url);
    const stations = ids.map((id, i) => stationFixture({ id, seats: 6 + (i % 10), sockets: 2 + (i % 5) }));
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    fleet = await runSimulatedStations(stations, { seed: 7, speed: 30, autoBoot: false, tickMs: 50 });
    expect(setInterval).not.toHaveBeenCalled();
    const logger = pino({ level: 'warn' });
    agents = await Promise.all(
      stations.map((station) =>
        startAgent({
          station,
          mqttUrl: broker?.url ?? '',
          password: 'pw',
          binding: PairedMockBinding,
          serialPath: mockPathFor(station.id),
          logger,
          healthIntervalMs: 60_000,
        }),
      ),
    );
    const simTimers = setInterval.mock.calls.length;
    fleet.boot();
    fleet.boot();
    expect(setInterval.mock.calls.length - simTimers).toBe(1);
    setInterval.mockRestore();

    const perStation = (leaf: string, id: string) =>
      rec?.messages.filter((m) => m.topic === `yizhan/v1/stations/${id}/${leaf}`) ?? [];
    await waitFor(
      'every station: hello + 2 telemetry',
      () =>
        ids.every(
          (id) =>
            perStation('events', id).some((m) => (m.json.event as { type: string }).type === 'hello') &&
            perStation('telemetry', id).length >= 2,
        ),
      20_000,
    );
    for (const id of ids) {
      const sim = fleet.get(id);
      expect(perStation('status', id)[0]?.json).toMatchObject({ state: 'online' });
      const tel = perStation('telemetry', id)[0]?.json.readings as { sensor: string }[];
      expect(tel.map((r) => r.sensor)).toEqual(
        [...sim.config.sensors].sort((a, b) => a.channel - b.channel).map((s) => s.id),
      );
    }
    // One clock for all: simulated uptimes agree within a tick (speed 30 x 50 ms = 1.5 s).
    const uptimes = ids.map((id) => fleet?.get(id).snapshot().uptimeMs ?? 0);
    expect(Math.max(...uptimes) - Math.min(...uptimes)).toBeLessThanOrEqual(2000);
    expect(() => fleet?.get('st-999')).toThrow(/no simulated station st-999/);
    for (const a of agents)
      expect(a.health().serial.framesBad).toMatchObject({ garbage: 0, bad_crc: 0, unknown_channel: 0 });
  });

  it('fits every sample station in firmware-config/stations: six simulated hours (lunch included) map to valid payloads', () => {
    const samples = loadStationsOrThrow();
    expect(samples.length).toBe(47);
    for (const station of samples) {
      const sim = new StationSimulator(station, { seed: 1, startTime: MIDNIGHT_CST + 9 * 3_600_000 });
      const mapper = new FrameMapper(station);
      const problems: string[] = [];
      let published = 0;
      sim.onFrame((_b, f) => {
        const r = mapper.map(f);
        problems.push(...r.problems.map((p) => p.detail), ...r.notes);
        for (const b of r.bodies) {
          const payload = {
            v: 1,
            stationId: station.id,
            bootId: 'testboot01',
            seq: published++,
            ts: 1,
            ...(b.leaf === 'telemetry' ? { readings: b.readings } : { event: b.event }),
          };
          if (!validators[b.leaf].check(payload))
            problems.push(`${station.id}: ${validators[b.leaf].errors(payload).join('; ')}`);
        }
      });
      sim.advance(6 * 3_600_000);
      expect(problems).toEqual([]);
      expect(published).toBeGreaterThan(6 * 360);
    }
  });
});
