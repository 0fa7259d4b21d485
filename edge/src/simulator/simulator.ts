/**
 * StationSimulator: the sensor controller of one station, in software. It runs a {@link StationModel}
 * one simulated second at a time and speaks serial protocol v1: HELLO at boot, READINGS and
 * HEARTBEAT periodically, EVENT on every state change, FAULT raise/clear, and it answers
 * CONFIG_SET (ACK/NAK) and CONFIG_GET (CONFIG_VALUE/NAK).
 *
 * Deterministic: the frames depend only on config, seed, startTime and the number of simulated
 * seconds (plus any manual input), never on when the timers fire. Transport-agnostic: frames go to a
 * {@link SimTransport} (serial port, mock pair, or nothing) and to {@link StationSimulator.onFrame}.
 */
import type { StationConfig } from '@yizhan/station-config/schema';
import {
  FaultCode,
  unscaleValue,
  NakReason,
  ConfigKey,
  SensorKind,
  type FaultName,
  type SensorKindName,
} from '@yizhan/protocol/serial';
import { FrameDecoder } from '@yizhan/protocol/serial';
import { encodeFrame, SeqCounter } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { DEFAULT_UTC_OFFSET_MIN } from './daily.js';
import { layoutFor, type StationLayout } from './layout.js';
import { StationModel } from './model.js';
import { hashSeed, Random } from '@yizhan/common/prng';
import {
  applyConfigSet,
  readConfig,
  DEFAULT_DOOR_STUCK_S,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  DEFAULT_READING_INTERVAL_S,
  type ControllerSettings,
} from './settings.js';
import { openSimTransport, type AttachOptions, type SimTransport } from './transport.js';
import {
  DEFAULT_FIRMWARE,
  DEFAULT_SIM_TICK_MS,
  systemClock,
  type Clock,
  type InjectableFault,
  type SimSnapshot,
  type SimulatorOptions,
  type SimulatorStats,
  WATER_LOW_LEVEL_PCT,
} from './types.js';

export * from './types.js';

const DEFAULT_SETTINGS = {
  readingIntervalS: DEFAULT_READING_INTERVAL_S,
  heartbeatIntervalS: DEFAULT_HEARTBEAT_INTERVAL_S,
  doorStuckS: DEFAULT_DOOR_STUCK_S,
};

export class StationSimulator {
  readonly layout: StationLayout;
  readonly speed: number;
  readonly startTime: number;
  readonly stats: SimulatorStats = {
    framesOut: 0,
    bytesOut: 0,
    framesIn: 0,
    badFramesIn: 0,
    unexpectedIn: 0,
  };
  private readonly model: StationModel;
  private readonly clock: Clock;
  private seq = new SeqCounter();
  private readonly channels: ReadonlySet<number>;
  private readonly listeners = new Set<(bytes: Buffer, frame: Frame) => void>();
  private readonly decoder = new FrameDecoder();
  private readonly active = new Map<string, { code: number; channel: number }>();
  /** Channels left out of READINGS and EVENT (injected sensor_silent). */
  private readonly silenced = new Set<number>();
  /** The count an injected occupancy_frozen sticks at; undefined when the counter works. */
  private frozenOccupancy: number | undefined;
  private settings: ControllerSettings;
  private t = 0;
  /** Simulated second of the last boot (uptime counts from it). */
  private bootAtS = 0;
  private booted = false;
  private realStart: number | undefined;
  private offsetMs = 0;
  private nextReadingS = 0;
  private nextHeartbeatS = 0;
  private timer: NodeJS.Timeout | undefined;
  private transport: SimTransport | undefined;

  constructor(
    readonly config: StationConfig,
    private readonly opts: SimulatorOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError(`speed must be > 0, got ${this.speed}`);
    this.startTime = opts.startTime ?? this.clock.now();
    this.layout = layoutFor(config);
    this.channels = new Set(this.layout.channels.map((c) => c.channel));
    this.settings = {
      ...DEFAULT_SETTINGS,
      waterSetpointDc: Math.round(config.dispenser.setpointC * 10),
      disabled: new Set(),
    };
    const sink = { state: this.onState.bind(this), fault: this.onFault.bind(this) };
    const rng = new Random(hashSeed(opts.seed ?? 1, config.id));
    this.model = new StationModel(config, rng, sink, {
      startTime: this.startTime,
      utcOffsetMin: opts.utcOffsetMin ?? DEFAULT_UTC_OFFSET_MIN,
      socketCount: this.layout.socketCount,
    });
    this.decoder.on('data', (f: Frame) => this.handleFrame(f));
    this.decoder.on('drop', () => this.stats.badFramesIn++);
  }

  get stationId(): string {
    return this.config.id;
  }
  get uptimeMs(): number {
    return ((this.t - this.bootAtS) * 1000) % 2 ** 32;
  }

  snapshot(): SimSnapshot {
    const m = this.model;
    return {
      uptimeMs: (this.t - this.bootAtS) * 1000,
      time: this.startTime + this.t * 1000,
      occupancy: m.people.occupancy,
      door: m.door.open,
      sockets: [...m.sockets.states],
      waterTempC: m.dispenser.tempC,
      waterLevelPct: m.dispenser.levelPct,
      heater: m.dispenser.heater,
      ambientC: m.ambientC,
      activeFaults: [...this.active.keys()],
      settings: this.settings,
    };
  }

  /** Observe every frame sent (bytes and the frame). Returns an unsubscribe function. */
  onFrame(listener: (bytes: Buffer, frame: Frame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Send frames to `t` and answer what arrives from it. Replaces a previous transport. */
  connect(t: SimTransport): void {
    if (this.transport && this.transport !== t) void this.transport.close();
    this.transport = t;
    t.onData((buf) => this.receive(buf));
  }

  /**
   * Open `path` and connect to it: a real serial port (e.g. the device end of a socat PTY pair), a
   * port of another binding, or, with `binding: PairedMockBinding`, the device end of a mock pair.
   */
  async attachToPath(path: string, opts: AttachOptions = {}): Promise<SimTransport> {
    const t = await openSimTransport(path, { baudRate: this.config.serial.baudRate, ...opts });
    this.connect(t);
    return t;
  }

  /** Power on: HELLO, then the first READINGS. Starts following the clock from now. */
  boot(): void {
    if (this.booted) return;
    this.booted = true;
    this.realStart = this.clock.now();
    this.sendHello();
  }

  /**
   * Power cycle (watchdog, brown-out): the controller forgets its active faults without clearing
   * them and its settings, restarts SEQ and uptime at 0 and sends HELLO (serial v1 §6.1, §6.4).
   * Socket protection resets with the power; what is still wrong is raised again (the door watchdog
   * at once, a dead heater after its heating timeout).
   */
  reboot(): void {
    if (!this.booted) return this.boot();
    this.active.clear();
    this.seq = new SeqCounter();
    this.settings = {
      ...DEFAULT_SETTINGS,
      waterSetpointDc: Math.round(this.config.dispenser.setpointC * 10),
      disabled: new Set(),
    };
    this.model.dispenser.setpointC = this.config.dispenser.setpointC;
    this.bootAtS = this.t;
    this.sendHello();
    this.model.sockets.states.forEach((_, i) => this.model.sockets.reset(i));
    this.model.dispenser.controllerRebooted(this.t);
    this.checkDoor();
  }

  private sendHello(): void {
    const fw = this.opts.firmware ?? DEFAULT_FIRMWARE;
    const sensors = this.layout.channels.map((c) => ({ channel: c.channel, kind: SensorKind[c.kind].code }));
    this.send({
      type: 'hello',
      seq: 0,
      firmware: fw,
      boardId: this.opts.boardId ?? `YZC-${this.config.id}`,
      sensors,
    });
    this.sendReadings();
    this.nextReadingS = this.t + this.settings.readingIntervalS;
    this.nextHeartbeatS = this.t + this.settings.heartbeatIntervalS;
  }

  /** Boot and follow the clock with an own timer (for one station; many: runSimulatedStations). */
  start(): void {
    this.boot();
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? DEFAULT_SIM_TICK_MS);
  }

  /** Stop the own timer and close the transport. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const t = this.transport;
    this.transport = undefined;
    if (t) await t.close();
  }

  /** Run every simulated second up to where the clock (times speed) says we are. */
  tick(): void {
    if (!this.booted) this.boot();
    const realMs = this.realStart === undefined ? 0 : (this.clock.now() - this.realStart) * this.speed;
    const target = Math.floor((this.offsetMs + realMs) / 1000);
    while (this.t < target) this.stepOnce();
  }

  /** Move simulated time forward by `ms` at once (tests, fast-forward). Boots first if needed. */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.tick();
  }

  /**
   * Make the station have `fault` until {@link clearFault}. `target` is the socket number (1..n) for
   * socket_tripped and socket_no_power, and a sensor id or channel number for sensor_silent.
   */
  injectFault(fault: InjectableFault, target: number | string = 1): void {
    if (!this.booted) this.boot();
    const m = this.model;
    switch (fault) {
      case 'heater_failure':
        return m.dispenser.fail(this.t);
      case 'door_stuck':
        m.door.setStuck(true, this.t);
        return this.checkDoor();
      case 'socket_tripped':
        return m.sockets.trip(this.socketIndex(target), this.t, true);
      case 'water_low':
        return m.dispenser.shutInlet(WATER_LOW_LEVEL_PCT);
      case 'socket_no_power':
        return m.sockets.kill(this.socketIndex(target), this.t);
      case 'sensor_silent':
        this.silenced.add(this.channelOf(target));
        return;
      case 'occupancy_frozen':
        this.frozenOccupancy ??= m.people.occupancy;
        return;
    }
  }

  clearFault(fault: InjectableFault, target: number | string = 1): void {
    const m = this.model;
    switch (fault) {
      case 'heater_failure':
        return m.dispenser.repair(this.t);
      case 'door_stuck':
        m.door.setStuck(false, this.t);
        return this.checkDoor();
      case 'socket_tripped':
        return m.sockets.reset(this.socketIndex(target));
      case 'water_low':
        return m.dispenser.openInlet();
      case 'socket_no_power':
        return m.sockets.revive(this.socketIndex(target));
      case 'sensor_silent':
        this.silenced.delete(this.channelOf(target));
        return;
      case 'occupancy_frozen':
        if (this.frozenOccupancy === undefined) return;
        this.frozenOccupancy = undefined;
        return this.onState('occupancy', 0, m.people.occupancy);
    }
  }

  /** Manual door: open holds it open (EVENT now), closed shuts it (EVENT now). */
  setDoor(open: boolean): void {
    if (!this.booted) this.boot();
    this.model.door.setManual(open, this.t);
    this.checkDoor();
  }

  /** Bytes from the edge board. Bad bytes are counted, never thrown. */
  receive(buf: Buffer): void {
    this.decoder.write(buf);
  }

  private socketIndex(n: number | string): number {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > this.layout.socketCount)
      throw new RangeError(`socket ${n} does not exist in ${this.config.id} (1..${this.layout.socketCount})`);
    return n - 1;
  }

  /** The channel of a sensor id or channel number of this station. */
  private channelOf(target: number | string): number {
    const channel =
      typeof target === 'number' ? target : this.config.sensors.find((s) => s.id === target)?.channel;
    if (channel === undefined || !this.channels.has(channel))
      throw new RangeError(`sensor ${target} does not exist in ${this.config.id}`);
    return channel;
  }

  private stepOnce(): void {
    this.t++;
    this.model.step(this.t);
    this.checkDoor();
    if (this.t >= this.nextReadingS) {
      this.sendReadings();
      this.nextReadingS = this.t + this.settings.readingIntervalS;
    }
    if (this.t >= this.nextHeartbeatS) {
      this.send({ type: 'heartbeat', seq: 0, uptimeMs: this.uptimeMs, status: this.active.size > 0 ? 1 : 0 });
      this.nextHeartbeatS = this.t + this.settings.heartbeatIntervalS;
    }
  }

  /** The controller's door watchdog: open longer than door_stuck_s raises door_stuck; closing clears it. */
  private checkDoor(): void {
    const d = this.model.door;
    const stuck = d.open && this.t - d.openedAtS >= this.settings.doorStuckS;
    if (stuck) this.onFault('door_stuck', 'door', 0, true);
    else if (!d.open) this.onFault('door_stuck', 'door', 0, false);
  }

  private sendReadings(): void {
    const readings = [];
    for (const c of this.layout.channels) {
      if (this.settings.disabled.has(c.channel) || this.silenced.has(c.channel)) continue;
      const frozen = c.kind === 'occupancy' ? this.frozenOccupancy : undefined;
      readings.push({
        channel: c.channel,
        raw: unscaleValue(c.kind, frozen ?? this.model.valueOf(c.kind, c.index, this.t)),
      });
    }
    this.send({ type: 'readings', seq: 0, uptimeMs: this.uptimeMs, readings });
  }

  private onState(kind: SensorKindName, index: number, value: number): void {
    const channel = this.layout.byKind[kind][index];
    if (channel === undefined || this.settings.disabled.has(channel) || this.silenced.has(channel)) return;
    if (kind === 'occupancy' && this.frozenOccupancy !== undefined) return;
    this.send({ type: 'event', seq: 0, uptimeMs: this.uptimeMs, channel, raw: unscaleValue(kind, value) });
  }

  private onFault(fault: FaultName, kind: SensorKindName, index: number, active: boolean): void {
    const channel = this.layout.byKind[kind][index] ?? 0;
    const key = `${fault}:${channel}`;
    if (active === this.active.has(key)) return;
    if (active) this.active.set(key, { code: FaultCode[fault], channel });
    else this.active.delete(key);
    this.send({ type: 'fault', seq: 0, uptimeMs: this.uptimeMs, channel, code: FaultCode[fault], active });
  }

  private handleFrame(f: Frame): void {
    this.stats.framesIn++;
    if (f.type === 'config_set') {
      const r = applyConfigSet(this.settings, f.key, f.value, this.channels);
      if (!r.ok) return this.send({ type: 'nak', seq: 0, nakSeq: f.seq, reason: NakReason[r.reason] });
      this.settings = r.settings;
      if (f.key === ConfigKey.reading_interval_s) this.nextReadingS = this.t + r.settings.readingIntervalS;
      if (f.key === ConfigKey.heartbeat_interval_s)
        this.nextHeartbeatS = this.t + r.settings.heartbeatIntervalS;
      if (f.key === ConfigKey.water_setpoint_dc)
        this.model.dispenser.setpointC = r.settings.waterSetpointDc / 10;
      if (f.key === ConfigKey.door_stuck_s) this.checkDoor();
      return this.send({ type: 'ack', seq: 0, ackSeq: f.seq });
    }
    if (f.type === 'config_get') {
      const r = readConfig(this.settings, f.key);
      if (!r.ok) return this.send({ type: 'nak', seq: 0, nakSeq: f.seq, reason: NakReason[r.reason] });
      return this.send({ type: 'config_value', seq: 0, key: f.key, value: r.value });
    }
    this.stats.unexpectedIn++;
  }

  /** Encode with the next sequence number and hand to listeners and the transport. */
  private send(frame: Frame): void {
    const sent: Frame = { ...frame, seq: this.seq.next() };
    const bytes = encodeFrame(sent);
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.length;
    for (const l of this.listeners) l(bytes, sent);
    this.transport?.write(bytes);
  }
}
