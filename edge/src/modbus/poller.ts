/**
 * Modbus meters next to the controller: a YAML file (`--modbus <file>`, example in
 * edge/deploy/modbus.example.yaml) declares the serial line and its slaves; each register maps to a
 * sensor id of the station config (which gives its kind, as the server checks it). The poller reads
 * every device at its interval and hands readings (value = raw × scale + offset) to the agent, which
 * publishes them as telemetry like the controller's. Failures are counted per kind in health
 * (serial.framesBad.modbus_timeout / modbus_crc / modbus_exception / modbus_bad_response /
 * modbus_port_closed) and logged once per device and kind until it answers again.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from 'pino';
import { parse } from 'yaml';
import type { SerialPortStream } from '@serialport/stream';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { Reading } from '@yizhan/protocol/mqtt';
import { DURATION_PATTERN, parseDuration } from '@yizhan/protocol/duration';
import { describeValueError, withoutEchoes } from '@yizhan/common/schema-errors';
import { closePort, openPort } from '../serial/open-port.js';
import type { Binding } from '../serial/types.js';
import { ModbusError, ModbusMaster, type ModbusErrorKind } from './rtu.js';

const Register = Type.Object(
  {
    sensor: Type.String({ description: 'Sensor id in the station config (gives the kind)' }),
    table: Type.Union([Type.Literal('holding'), Type.Literal('input')], { default: 'holding' }),
    address: Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: 'Register address (0-based, as on the wire)',
    }),
    format: Type.Union(
      [
        Type.Literal('u16'),
        Type.Literal('i16'),
        Type.Literal('u32'),
        Type.Literal('i32'),
        Type.Literal('f32'),
      ],
      {
        default: 'u16',
        description: '32-bit formats take two registers, high word first',
      },
    ),
    scale: Type.Number({ default: 1, description: 'value = raw × scale + offset' }),
    offset: Type.Number({ default: 0 }),
  },
  { additionalProperties: false },
);
export const ModbusConfig = Type.Object(
  {
    port: Type.Object(
      {
        path: Type.String({ minLength: 1 }),
        baudRate: Type.Integer({ default: 9600 }),
        parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], {
          default: 'none',
        }),
        stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
      },
      { additionalProperties: false },
    ),
    responseTimeout: Type.String({ pattern: DURATION_PATTERN, default: '500ms' }),
    devices: Type.Array(
      Type.Object(
        {
          name: Type.String({ maxLength: 32 }),
          address: Type.Integer({ minimum: 1, maximum: 247, description: 'Slave (unit) address' }),
          pollInterval: Type.String({ pattern: DURATION_PATTERN, default: '10s' }),
          registers: Type.Array(Register, { minItems: 1, maxItems: 100 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
  },
  { additionalProperties: false },
);
export type ModbusConfig = Static<typeof ModbusConfig>;
const check = TypeCompiler.Compile(ModbusConfig);

/** The Modbus file cannot be used as written; retrying will not help. */
export class ModbusConfigError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ModbusConfigError';
  }
}

/** Parse and check a Modbus file against the station: every register's sensor must exist there. */
export function parseModbusConfig(
  text: string,
  station: StationConfig,
  file = 'modbus config',
): ModbusConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ModbusConfigError(`${file}: not YAML: ${(e as Error).message}`);
  }
  const withDefaults = applyDefaults(raw);
  if (!check.Check(withDefaults)) {
    const errs = withoutEchoes([...check.Errors(withDefaults)])
      .slice(0, 5)
      .map((e) => `${e.path || '/'}: ${describeValueError(e, { last: e.path.split('/').pop() ?? '' }).message}`);
    throw new ModbusConfigError(`${file}: ${errs.join('; ')}`);
  }
  const ids = new Set(station.sensors.map((s) => s.id));
  for (const [i, d] of withDefaults.devices.entries())
    for (const [j, r] of d.registers.entries())
      if (!ids.has(r.sensor))
        throw new ModbusConfigError(
          `${file}: /devices/${i}/registers/${j}/sensor: ${station.id} has no sensor "${r.sensor}"`,
        );
  for (const [i, d] of withDefaults.devices.entries())
    for (const k of ['pollInterval'] as const)
      if (!parseDuration(d[k]).ok) throw new ModbusConfigError(`${file}: /devices/${i}/${k}: not a duration`);
  return withDefaults;
}

export function loadModbusConfig(file: string, station: StationConfig): ModbusConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModbusConfigError(`cannot read the Modbus file ${file}: ${(e as Error).message}`);
  }
  return parseModbusConfig(text, station, file);
}

function applyDefaults(raw: unknown): ModbusConfig {
  const c = structuredClone(raw) as Record<string, unknown> & {
    port?: Record<string, unknown>;
    devices?: unknown[];
  };
  if (c && typeof c === 'object') {
    c.responseTimeout ??= '500ms';
    if (c.port && typeof c.port === 'object') {
      c.port.baudRate ??= 9600;
      c.port.parity ??= 'none';
      c.port.stopBits ??= 1;
    }
    for (const d of Array.isArray(c.devices) ? c.devices : []) {
      if (!d || typeof d !== 'object') continue;
      const dev = d as Record<string, unknown>;
      dev.pollInterval ??= '10s';
      for (const r of Array.isArray(dev.registers) ? dev.registers : []) {
        if (!r || typeof r !== 'object') continue;
        const reg = r as Record<string, unknown>;
        reg.table ??= 'holding';
        reg.format ??= 'u16';
        reg.scale ??= 1;
        reg.offset ??= 0;
      }
    }
  }
  return c as unknown as ModbusConfig;
}

export const MODBUS_PROBLEMS = [
  'modbus_timeout',
  'modbus_crc',
  'modbus_exception',
  'modbus_bad_response',
  'modbus_port_closed',
] as const;

export interface ModbusPollerOptions {
  config: ModbusConfig;
  station: StationConfig;
  binding?: Binding;
  logger: Logger;
  onReadings(readings: Reading[]): void;
  onProblem(kind: ModbusErrorKind): void;
}

export class ModbusPoller {
  private port: SerialPortStream | undefined;
  private master: ModbusMaster | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Registers failing now ("device:table:address") and how; each failure is logged once until it answers. */
  private readonly failing = new Map<string, ModbusErrorKind>();
  private stopped = false;

  constructor(private readonly o: ModbusPollerOptions) {}

  async start(): Promise<void> {
    const c = this.o.config;
    const timeout = parseDuration(c.responseTimeout);
    try {
      this.port = await openPort({ ...c.port, binding: this.o.binding });
    } catch (e) {
      this.o.logger.error(
        { err: (e as Error).message, path: c.port.path },
        'cannot open the Modbus port; retrying in 10 s',
      );
      if (!this.stopped) this.timers.push(setTimeout(() => void this.start(), 10_000));
      return;
    }
    this.master = new ModbusMaster(this.port, timeout.ok ? timeout.ms : 500);
    for (const d of c.devices) {
      const every = parseDuration(d.pollInterval);
      const run = () => void this.poll(d);
      run();
      this.timers.push(setInterval(run, every.ok ? every.ms : 10_000));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.port) await closePort(this.port);
  }

  private async poll(d: ModbusConfig['devices'][number]): Promise<void> {
    const m = this.master;
    if (!m) return;
    const kinds = new Map(this.o.station.sensors.map((s) => [s.id, s.kind]));
    const readings: Reading[] = [];
    for (const r of d.registers) {
      const wide = r.format !== 'u16' && r.format !== 'i16';
      const key = `${d.name}:${r.table}:${r.address}`;
      const where = { device: d.name, unit: d.address, table: r.table, register: r.address, sensor: r.sensor };
      try {
        const regs = await m.read(d.address, r.table, r.address, wide ? 2 : 1);
        const kind = kinds.get(r.sensor);
        if (!kind) continue;
        const value = decode(regs, r.format) * r.scale + r.offset;
        readings.push({ sensor: r.sensor, kind, value: Math.round(value * 1e6) / 1e6 });
        if (this.failing.delete(key)) this.o.logger.info(where, 'Modbus register answers again');
      } catch (e) {
        const kind: ModbusErrorKind = e instanceof ModbusError ? e.kind : 'bad_response';
        this.o.onProblem(kind);
        if (this.failing.get(key) !== kind) {
          this.failing.set(key, kind);
          this.o.logger.warn(
            { ...where, kind, err: (e as Error).message },
            'Modbus read failed (logged once until it answers)',
          );
        }
      }
    }
    if (readings.length) this.o.onReadings(readings);
  }
}

function decode(
  regs: number[],
  format: ModbusConfig['devices'][number]['registers'][number]['format'],
): number {
  const [hi = 0, lo = 0] = regs;
  const b = Buffer.alloc(4);
  b.writeUInt16BE(hi, 0);
  b.writeUInt16BE(lo, 2);
  switch (format) {
    case 'u16':
      return hi;
    case 'i16':
      return hi >= 0x8000 ? hi - 0x10000 : hi;
    case 'u32':
      return b.readUInt32BE(0);
    case 'i32':
      return b.readInt32BE(0);
    case 'f32':
      return b.readFloatBE(0);
  }
}
