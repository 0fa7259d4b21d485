/**
 * Many simulated stations in one process, driven by a single timer: every tick advances each
 * simulator to the clock's time. 47 stations cost one interval, not 47 x (readings + heartbeat + …).
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import { mockPathFor } from '../serial/mock-pair.js';
import { DEFAULT_SIM_TICK_MS, StationSimulator, systemClock, type SimulatorOptions } from './simulator.js';
import { mockTransport, type SimTransport } from './transport.js';

export interface RunStationsOptions extends Omit<SimulatorOptions, 'tickMs'> {
  /**
   * How each simulator is connected. 'mock' (default): the device end of the mock pair at
   * `mockPathFor(id)` (open the agent with `PairedMockBinding` on that path); 'none': frames only go
   * to onFrame listeners; or a function returning a transport (e.g. a PTY device end).
   */
  transport?: 'mock' | 'none' | ((sim: StationSimulator) => Promise<SimTransport>);
  /** Real milliseconds between ticks of the shared timer. Default 100. */
  tickMs?: number;
  /**
   * Boot (HELLO, first READINGS) at once. Default true. With false, call `boot()` when the agents
   * are listening, so that they see each controller's HELLO.
   */
  autoBoot?: boolean;
}

export interface SimulatedStations {
  readonly simulators: ReadonlyMap<string, StationSimulator>;
  /** The simulator of a station; throws a RangeError naming the id when there is none. */
  get(stationId: string): StationSimulator;
  /** Boot every simulator and start the shared timer (done at once unless autoBoot is false). Idempotent. */
  boot(): void;
  /** Stop the timer and close every transport. */
  stop(): Promise<void>;
}

export async function runSimulatedStations(
  stations: readonly StationConfig[],
  opts: RunStationsOptions = {},
): Promise<SimulatedStations> {
  const clock = opts.clock ?? systemClock;
  const startTime = opts.startTime ?? clock.now();
  const simulators = new Map<string, StationSimulator>();
  for (const cfg of stations) {
    if (simulators.has(cfg.id)) throw new RangeError(`station ${cfg.id} is listed twice`);
    const sim = new StationSimulator(cfg, { ...opts, clock, startTime });
    const how = opts.transport ?? 'mock';
    if (how === 'mock') sim.connect(mockTransport(mockPathFor(cfg.id)));
    else if (typeof how === 'function') sim.connect(await how(sim));
    simulators.set(cfg.id, sim);
  }
  let timer: NodeJS.Timeout | undefined;
  const boot = (): void => {
    if (timer) return;
    for (const sim of simulators.values()) sim.boot();
    timer = setInterval(() => {
      for (const sim of simulators.values()) sim.tick();
    }, opts.tickMs ?? DEFAULT_SIM_TICK_MS);
  };
  if (opts.autoBoot ?? true) boot();
  return {
    simulators,
    boot,
    get(id) {
      const sim = simulators.get(id);
      if (!sim) throw new RangeError(`no simulated station ${id}`);
      return sim;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([...simulators.values()].map((s) => s.stop()));
    },
  };
}
