/** Helpers for simulator tests: record frames, filter by type/channel. */
import { FrameDecoder } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { StationSimulator, type SimulatorOptions } from '@yizhan/edge/simulator';
import { startAgent, type Agent, type AgentOptions } from '@yizhan/edge/agent';
import { mockPathFor, PairedMockBinding } from '../../edge/src/serial/mock-pair.js';
import type { Cleanups } from '../helpers/cleanups.js';
import type { StationConfig } from '@yizhan/station-config/schema';
import { MIDNIGHT_CST, stationFixture } from './fixtures.js';

export interface Recording {
  sim: StationSimulator;
  frames: Frame[];
  bytes: Buffer[];
  of<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[];
  events(channel: number): Extract<Frame, { type: 'event' }>[];
  /** The raw value of `channel` in each READINGS frame, with its uptime. */
  readings(channel: number): { uptimeMs: number; raw: number }[];
}

export function recordSim(cfg: StationConfig = stationFixture(), opts: SimulatorOptions = {}): Recording {
  const sim = new StationSimulator(cfg, { seed: 1, startTime: MIDNIGHT_CST, ...opts });
  const frames: Frame[] = [];
  const bytes: Buffer[] = [];
  sim.onFrame((b, f) => {
    bytes.push(b);
    frames.push(f);
  });
  const of = <T extends Frame['type']>(type: T) =>
    frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  return {
    sim,
    frames,
    bytes,
    of,
    events: (channel) => of('event').filter((e) => e.channel === channel),
    readings: (channel) =>
      of('readings').flatMap((r) =>
        r.readings.filter((x) => x.channel === channel).map((x) => ({ uptimeMs: r.uptimeMs, raw: x.raw })),
      ),
  };
}

/** Decode a byte stream with the protocol's own decoder (proves the bytes are valid frames). */
export async function decodeAll(buf: Buffer): Promise<{ frames: Frame[]; dropped: number }> {
  const d = new FrameDecoder();
  const frames: Frame[] = [];
  let dropped = 0;
  d.on('data', (f: Frame) => frames.push(f));
  d.on('drop', () => dropped++);
  await new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
    d.end(buf);
  });
  return { frames, dropped };
}

export const HOUR_MS = 3_600_000;
export const MIN_MS = 60_000;

/** Let stream callbacks run (the simulator's input decoder is a stream). */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

/**
 * The simulator as the station's controller on the mock serial pair, and an agent reading it and
 * publishing to `mqttUrl`; both are stopped by `cleanups` (the agent first).
 */
export async function agentOnSimulator(
  station: StationConfig,
  mqttUrl: string,
  cleanups: Cleanups,
  opts: { sim: SimulatorOptions; agent: Partial<AgentOptions> },
): Promise<{ sim: StationSimulator; agent: Agent }> {
  const sim = new StationSimulator(station, opts.sim);
  cleanups.add('controller', () => sim.stop());
  await sim.attachToPath(mockPathFor(station.id), { binding: PairedMockBinding });
  sim.start();
  const agent = await startAgent({
    station,
    mqttUrl,
    password: 'x',
    serialPath: mockPathFor(station.id),
    binding: PairedMockBinding,
    ...opts.agent,
  });
  cleanups.add('agent', () => agent.stop());
  return { sim, agent };
}
