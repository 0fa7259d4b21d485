/**
 * The edge agent of one station: serial frames in, MQTT messages out.
 *
 * ```
 * serial port ─▶ FrameDecoder ─▶ FrameMapper ─▶ validate ─▶ Outbox ─▶ mqtt.js (QoS 1) ─▶ broker
 * ```
 * Every message it builds is checked with the compiled validator of its topic first; a failure is a
 * bug in the agent, counted (health: invalidPayloads) and logged, never published and never fatal.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { shownBrokers } from '@yizhan/common/mqtt-url';
import { PAYLOAD_VERSION, type StatusPayload } from '@yizhan/protocol/mqtt';
import { stationTopic, type TopicLeafValue } from '@yizhan/protocol/mqtt';
import { validators } from '@yizhan/protocol/mqtt';
import { encodeFrame, SeqCounter } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';
import { AGENT_VERSION } from '../version.js';
import { Commands, type CommandResult } from './commands.js';
import { ActiveFaults } from './active-faults.js';
import { FrameMapper, MAP_PROBLEM_REASONS, type MapProblem, type MapProblemReason } from './mapper.js';
import { MqttLink } from './mqtt-link.js';
import { AgentConfigError, resolveOptions, type AgentOptions } from './options.js';
import { MemoryOutbox, type Outbox } from './outbox.js';
import { RemoteConfig } from './remote-config.js';
import { DiskSpool } from './spool.js';
import { GuardedSpool } from './spool-guard.js';
import { MODBUS_PROBLEMS, ModbusPoller } from '../modbus/poller.js';
import { SerialLink, type LinkState } from './serial-link.js';
import type { Agent, AgentHealth } from './agent-api.js';

export type { Agent, AgentHealth } from './agent-api.js';

type StationLeaf = 'telemetry' | 'events' | 'health' | 'config/reported' | 'cmd/result';

/**
 * Start the agent. Resolves once it is running: the broker and the serial port are connected in
 * the background (and retried with backoff), so a missing broker or device does not fail the start.
 * Rejects with {@link AgentConfigError} when the options cannot work (no password, bad timeout).
 */
export function startAgent(opts: AgentOptions): Promise<Agent> {
  try {
    const agent = new EdgeAgent(opts);
    agent.start();
    return Promise.resolve(agent);
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/** The disk spool when the agent has a state directory, else a bounded queue in memory. */
function outboxFor(o: AgentOptions, log: Logger): Outbox {
  return o.stateDir
    ? new GuardedSpool(
        new DiskSpool({
          dir: join(o.stateDir, 'spool'),
          maxBytes: o.spoolMaxBytes,
          fsync: o.spoolFsync,
          logger: log,
        }),
        { logger: log },
      )
    : new MemoryOutbox(o.outboxCapacity);
}

class EdgeAgent implements Agent {
  readonly stationId: string;
  readonly bootId = randomUUID().replaceAll('-', '');
  private readonly log: Logger;
  private readonly r: ReturnType<typeof resolveOptions>;
  private readonly mapper: FrameMapper;
  private readonly serial: SerialLink;
  private readonly mqtt: MqttLink;
  private readonly outbox: Outbox;
  private readonly remoteConfig: RemoteConfig;
  private readonly commands: Commands;
  private readonly modbus: ModbusPoller | undefined;
  private readonly modbusProblems: Record<string, number> = {};
  private readonly problems = Object.fromEntries(MAP_PROBLEM_REASONS.map((k) => [k, 0])) as Record<
    MapProblemReason,
    number
  >;
  private readonly warnedOnce = new Set<string>();
  private readonly faults = new ActiveFaults();
  private readonly startedAt: number;
  private readonly toController = new SeqCounter();
  private seq = 0;
  /** ts of the current connection's will and online message (set when the will is built). */
  private connectionTs = 0;
  /** Timestamp of the last frame's messages; strictly increasing. */
  private lastFrameTs = -Infinity;
  private invalid = 0;
  private healthTimer: NodeJS.Timeout | undefined;
  private cpu = { usage: process.cpuUsage(), at: Date.now() };
  private stopped: Promise<void> | undefined;

  constructor(private readonly o: AgentOptions) {
    this.stationId = o.station.id;
    this.r = resolveOptions(o);
    this.startedAt = this.r.now();
    this.log = (o.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' })).child({
      station: this.stationId,
      bootId: this.bootId,
    });
    this.mapper = new FrameMapper(o.station);
    this.outbox = o.outbox ?? outboxFor(o, this.log);
    this.modbus = this.createModbus();
    this.remoteConfig = this.createRemoteConfig();
    this.commands = this.createCommands();
    this.serial = this.createSerial();
    this.mqtt = this.createMqtt();
  }

  /** The Modbus poller when the station has Modbus sensors; its readings are telemetry. */
  private createModbus(): ModbusPoller | undefined {
    const o = this.o;
    if (!o.modbus) return undefined;
    for (const k of MODBUS_PROBLEMS) this.modbusProblems[k] = 0;
    return new ModbusPoller({
      config: o.modbus,
      station: o.station,
      binding: o.modbusBinding,
      logger: this.log.child({ modbus: o.modbus.port.path }),
      onReadings: (readings) => this.emit('telemetry', { readings }),
      onProblem: (kind) => {
        const k = `modbus_${kind}`;
        this.modbusProblems[k] = (this.modbusProblems[k] ?? 0) + 1;
      },
    });
  }

  private createRemoteConfig(): RemoteConfig {
    const o = this.o;
    return new RemoteConfig({
      station: o.station,
      logger: this.log,
      stateFile: o.stateDir ? join(o.stateDir, 'config.json') : undefined,
      send: (req) => {
        const seq = this.toController.next();
        return this.serial.write(encodeFrame({ ...req, seq })) ? seq : undefined;
      },
      report: (r) => this.emit('config/reported', { ...r }, this.r.now(), true),
    });
  }

  private createCommands(): Commands {
    return new Commands({
      logger: this.log,
      reply: (r: CommandResult) => this.emit('cmd/result', { ...r }),
      status: () => ({
        agentVersion: AGENT_VERSION,
        uptimeS: Math.round(this.health().uptimeS),
        serial: this.serial.stats.state,
      }),
      readController: () => this.remoteConfig.readController(),
    });
  }

  private createSerial(): SerialLink {
    const o = this.o;
    const s = o.station.serial;
    return new SerialLink({
      port: {
        path: this.r.serialPath,
        baudRate: s.baudRate,
        dataBits: s.dataBits,
        parity: s.parity,
        stopBits: s.stopBits,
        binding: o.binding,
      },
      frameTimeoutMs: this.r.frameTimeoutMs,
      backoff: this.r.serialBackoff,
      logger: this.log,
      now: this.r.now,
      onFrame: (f) => this.onFrame(f),
      onState: (state, reason) => this.onSerialState(state, reason),
    });
  }

  /** The MQTT link: status with will, the outbox, and the station's two subscriptions. */
  private createMqtt(): MqttLink {
    const o = this.o;
    return new MqttLink({
      url: o.mqttUrl,
      // The broker requires a station's client id to equal its username (no impersonation).
      clientId: this.stationId,
      username: this.stationId,
      password: this.r.password,
      statusTopic: stationTopic(this.stationId, 'status'),
      // The will and the online message of one connection carry the same ts (the connection's
      // identity, like Sparkplug's bdSeq): a consumer applies a will whose ts is not older than
      // the last online, and ignores one left over from an older connection.
      onlinePayload: () => this.status('online', undefined, this.connectionTs || Math.round(this.r.now())),
      willPayload: () => {
        this.connectionTs = Math.round(this.r.now());
        return this.status('offline', 'will', this.connectionTs);
      },
      outbox: this.outbox,
      maxInflight: this.r.maxInflight,
      maxPublishRatePerS: this.r.maxPublishRatePerS,
      subscriptions: [stationTopic(this.stationId, 'config/desired'), stationTopic(this.stationId, 'cmd')],
      onMessage: (topic, payload) => {
        if (topic === stationTopic(this.stationId, 'config/desired')) this.remoteConfig.onDesired(payload);
        else if (topic === stationTopic(this.stationId, 'cmd')) this.commands.onCommand(payload);
      },
      backoff: this.r.mqttBackoff,
      connectTimeoutMs: this.r.connectTimeoutMs,
      keepaliveS: this.r.keepaliveS,
      historicalAfterMs: this.r.historicalAfterMs,
      now: this.r.now,
      logger: this.log,
    });
  }

  start(): void {
    this.log.info(
      { serialPath: this.r.serialPath, mqtt: shownBrokers(this.o.mqttUrl), agentVersion: AGENT_VERSION },
      'edge agent starting',
    );
    if (this.o.station.serial.rs485)
      this.log.info(
        'RS-485 line: the adapter must switch direction itself (auto-direction); the agent only listens and answers',
      );
    this.mqtt.start();
    this.serial.start();
    void this.modbus?.start();
    this.healthTimer = setInterval(() => this.publishHealth(), this.r.healthIntervalMs);
  }

  health(): AgentHealth {
    const now = this.r.now();
    const st = this.serial.stats;
    const oldest = this.outbox.oldestEnqueuedAt();
    return {
      stationId: this.stationId,
      bootId: this.bootId,
      agentVersion: AGENT_VERSION,
      uptimeS: Math.max(0, (now - this.startedAt) / 1000),
      rssBytes: process.memoryUsage.rss(),
      serial: {
        state: st.state,
        port: st.port.slice(0, 128),
        lastFrameAgeMs: st.lastFrameAt === undefined ? null : Math.max(0, now - st.lastFrameAt),
        framesGood: st.framesGood,
        framesBad: { ...st.dropped, ...this.problems, ...this.modbusProblems },
      },
      serialPortOpen: this.serial.portOpen,
      mqtt: { ...this.mqtt.stats, url: this.mqtt.broker },
      outbox: {
        depth: this.outbox.depth,
        oldestAgeMs: oldest === undefined ? null : Math.max(0, now - oldest),
        dropped: this.outbox.dropped,
        writeErrors: this.outbox.writeErrors ?? 0,
      },
      config: { version: this.remoteConfig.version, applied: this.remoteConfig.applied },
      invalidPayloads: this.invalid,
      invalidCommands: this.commands.invalidCommands,
      messages: this.seq,
      faults: this.faults.report() ?? null,
    };
  }

  sendToController(frame: Frame): boolean {
    return this.serial.write(encodeFrame({ ...frame, seq: this.toController.next() }));
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.healthTimer);
      await this.serial.stop();
      await this.modbus?.stop();
      await this.mqtt.stop(this.status('offline', 'shutdown'), this.r.stopTimeoutMs);
      this.outbox.close?.();
      this.log.info('edge agent stopped');
    })();
    return this.stopped;
  }

  private onFrame(f: Frame): void {
    const { bodies, problems, notes } = this.mapper.map(f);
    for (const p of problems) this.onProblem(p);
    for (const n of notes) this.log.warn({ boardId: f.type === 'hello' ? f.boardId : undefined }, n);
    if (f.type === 'hello')
      this.log.info(
        { boardId: f.boardId, firmware: f.firmware, channels: f.sensors.length },
        'controller hello',
      );
    if (f.type === 'ack' || f.type === 'nak' || f.type === 'config_value')
      this.log.debug({ frame: f }, 'controller answered');
    this.remoteConfig.onFrame(f);
    // Frames read together (the board was busy, an adapter batched them) would share one
    // millisecond, and InfluxDB keeps one point per series and time: give each its own.
    const ts = Math.max(Math.round(this.r.now()), this.lastFrameTs + 1);
    this.lastFrameTs = ts;
    for (const b of bodies) {
      if (b.leaf === 'telemetry') this.emit('telemetry', { readings: b.readings }, ts);
      else {
        if (b.event.type === 'fault') this.faults.onFault(b.event.sensor, b.event.fault, b.event.active, ts);
        this.emit('events', { event: b.event }, ts);
      }
    }
    // A reboot or a heartbeat that changes what is known of the active faults: tell the server now.
    if (
      (f.type === 'hello' && this.faults.onHello()) ||
      (f.type === 'heartbeat' && this.faults.onHeartbeat(f.status))
    )
      this.publishHealth();
  }

  private onProblem(p: MapProblem): void {
    this.problems[p.reason]++;
    const key = `${p.reason}:${p.channel ?? p.detail}`;
    // Each distinct problem is logged once; the set is bounded, so past 1000 kinds only counters grow.
    if (this.warnedOnce.has(key) || this.warnedOnce.size >= 1000) return;
    this.warnedOnce.add(key);
    this.log.warn(
      { reason: p.reason, channel: p.channel },
      `${p.detail}; not published (logged once, counted in health)`,
    );
  }

  private onSerialState(state: LinkState, reason: string): void {
    this.log.debug({ state, reason }, 'serial state changed; publishing health');
    this.publishHealth();
  }

  private publishHealth(): void {
    const h = this.health();
    const now = Date.now();
    const usage = process.cpuUsage(this.cpu.usage);
    const cpuPct = now > this.cpu.at ? ((usage.user + usage.system) / 1000 / (now - this.cpu.at)) * 100 : 0;
    this.cpu = { usage: process.cpuUsage(), at: now };
    this.emit('health', {
      agentVersion: h.agentVersion,
      uptimeS: h.uptimeS,
      rssBytes: h.rssBytes,
      cpuPct: Math.round(cpuPct * 10) / 10,
      serial: h.serial,
      spool: h.outbox,
      ...(h.faults ? { faults: h.faults } : {}),
    });
  }

  /** Build, validate and queue one station message. */
  private emit(leaf: StationLeaf, body: Record<string, unknown>, ts = this.r.now(), retain = false): void {
    const payload: Record<string, unknown> = {
      v: PAYLOAD_VERSION,
      stationId: this.stationId,
      bootId: this.bootId,
      seq: this.seq,
      ts: Math.round(ts),
      ...body,
    };
    const v = validators[leaf];
    if (!v.check(payload)) {
      this.invalid++;
      this.log.error(
        { leaf, errors: v.errors(payload) },
        'agent built an invalid payload (bug); not published',
      );
      return;
    }
    this.seq++;
    this.queue(leaf, payload, retain);
    this.o.onMessage?.(leaf, payload);
  }

  private queue(leaf: TopicLeafValue, payload: unknown, retain: boolean): void {
    this.mqtt.enqueue({
      topic: stationTopic(this.stationId, leaf),
      leaf,
      payload: Buffer.from(JSON.stringify(payload)),
      retain,
      enqueuedAt: this.r.now(),
    });
  }

  private status(state: 'online' | 'offline', reason?: string, ts = Math.round(this.r.now())): Buffer {
    const p: StatusPayload = {
      v: PAYLOAD_VERSION,
      stationId: this.stationId,
      state,
      bootId: this.bootId,
      ts,
      agentVersion: AGENT_VERSION,
    };
    if (reason) p.reason = reason;
    if (!validators.status.check(p))
      throw new AgentConfigError(
        `${this.stationId}: status payload invalid: ${validators.status.errors(p).join('; ')}`,
      );
    return Buffer.from(JSON.stringify(p));
  }
}
