/**
 * An agent on a mock serial pair, talking to the in-test broker; the test plays the controller by
 * writing hand-made frames to the device end.
 */
import { startAgent, type Agent, type AgentOptions } from '@yizhan/edge/agent';
import {
  mockDevice,
  mockPathFor,
  PairedMockBinding,
  type MockDeviceEnd,
} from '../../edge/src/serial/mock-pair.js';
import { encodeFrame, SeqCounter } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import type { StationConfig } from '@yizhan/station-config/schema';
import { stationFixture, type StationFixtureOptions } from './fixtures.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  FAST_BACKOFF,
  memoryLogger,
  record,
  startTestBroker,
  waitFor,
  type LogLine,
  type Received,
  type Recorder,
  type TestBroker,
} from './helpers.js';

export interface Harness {
  station: StationConfig;
  device: MockDeviceEnd;
  agent: Agent;
  lines: LogLine[];
  /** Write frames (seq filled in) to the agent, as the controller would. */
  send(...frames: DistributiveOmit<Frame, 'seq'>[]): void;
  /** Messages of this station on a leaf ('telemetry', 'events', 'status', 'health'). */
  got(leaf: string): Received[];
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export async function startHarness(
  rec: Recorder,
  mqttUrl: string,
  cfg: StationFixtureOptions & { id: string },
  opts: Partial<AgentOptions> = {},
  edit?: (s: StationConfig) => void,
): Promise<Harness> {
  const station = stationFixture(cfg);
  edit?.(station);
  const path = mockPathFor(station.id);
  const device = mockDevice(path);
  const { logger, lines } = memoryLogger();
  const agent = await startAgent({
    station,
    mqttUrl,
    password: 'test-secret',
    binding: PairedMockBinding,
    serialPath: path,
    logger,
    mqttBackoff: FAST_BACKOFF,
    serialBackoff: FAST_BACKOFF,
    healthIntervalMs: 60_000,
    ...opts,
  });
  const got = (leaf: string): Received[] =>
    rec.on(leaf).filter((m) => m.topic === `yizhan/v1/stations/${station.id}/${leaf}`);
  await waitFor(
    'agent online and serial port open',
    () => device.connected && got('status').some((m) => m.json.bootId === agent.bootId),
  );
  const seq = new SeqCounter();
  return {
    station,
    device,
    agent,
    lines,
    got,
    send(...frames) {
      for (const f of frames) device.write(encodeFrame({ ...f, seq: seq.next() }));
    },
  };
}

export interface HarnessSuite {
  readonly broker: TestBroker;
  /** Records every message on the broker. */
  readonly rec: Recorder;
  /** An agent on the suite's broker; stopped after the test. */
  start(
    cfg: StationFixtureOptions & { id: string },
    opts?: Partial<AgentOptions>,
    edit?: (s: StationConfig) => void,
  ): Promise<Harness>;
}

/**
 * Registers the hooks of a test file of agents: one broker and recorder for the file, the agents a
 * test started stopped after it.
 */
export function harnessSuite(): HarnessSuite {
  let broker: TestBroker | undefined;
  let rec: Recorder | undefined;
  const running: Harness[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
    rec = await record(broker.url);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((h) => h.agent.stop()));
  });
  afterAll(async () => {
    await rec?.close();
    await broker?.close();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('harnessSuite: used before beforeAll ran');
    return v;
  };
  return {
    get broker() {
      return started(broker);
    },
    get rec() {
      return started(rec);
    },
    async start(cfg, opts, edit) {
      const h = await startHarness(started(rec), started(broker).url, cfg, opts, edit);
      running.push(h);
      return h;
    },
  };
}
