/**
 * Serial protocol v1 between a station's sensor controller and the edge board.
 * The normative description is docs/protocol/serial-v1.md; this file is its code twin.
 *
 * Frame layout (all multi-byte integers little-endian):
 *
 * ```
 *  offset  size  field
 *  ------  ----  ------------------------------------------------------------
 *  0       1     SOF1      0xA5
 *  1       1     SOF2      0x5A
 *  2       1     VERSION   protocol version, 0x01
 *  3       1     TYPE      frame type (FrameType)
 *  4       2     SEQ       u16, sender's frame counter, wraps 0xFFFF -> 0
 *  6       2     LEN       u16, payload length in bytes, 0..MAX_PAYLOAD
 *  8       LEN   PAYLOAD   type-specific, see below
 *  8+LEN   2     CRC       CRC-16/CCITT-FALSE over VERSION..end of PAYLOAD
 * ```
 *
 * +------+------+-----+------+-------+-------+-----------------+-------+
 * | A5   | 5A   | VER | TYPE | SEQ   | LEN   | PAYLOAD (LEN)   | CRC   |
 * +------+------+-----+------+-------+-------+-----------------+-------+
 *   1      1      1     1      2       2       0..512            2
 */

export const SOF1 = 0xa5;
export const SOF2 = 0x5a;
export const PROTOCOL_VERSION = 0x01;
/** Bytes before the payload: SOF1 SOF2 VER TYPE SEQ(2) LEN(2). */
export const HEADER_SIZE = 8;
/** Bytes after the payload: CRC(2). */
export const TRAILER_SIZE = 2;
/** Largest payload a v1 frame may carry, in bytes. Longer LEN fields are a framing error. */
export const MAX_PAYLOAD = 512;
/** Largest whole frame (header, payload, CRC): what a reader must be able to hold at once. */
export const MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + TRAILER_SIZE;

/** Frame type codes (byte 3). */
export const FrameType = {
  /** controller -> edge: firmware version, board id, sensor inventory. Sent at boot, i.e. after every controller reset. */
  HELLO: 0x01,
  /** controller -> edge: periodic sample of many channels. */
  READINGS: 0x02,
  /** controller -> edge: one channel changed state (door opened, socket plugged, person entered). */
  EVENT: 0x03,
  /** controller -> edge: a fault was raised or cleared. */
  FAULT: 0x04,
  /** controller -> edge: liveness, uptime and status flags. */
  HEARTBEAT: 0x05,
  /** edge -> controller: set one config key. Answered by ACK or NAK. */
  CONFIG_SET: 0x10,
  /** edge -> controller: read one config key. Answered by CONFIG_VALUE or NAK. */
  CONFIG_GET: 0x11,
  /** controller -> edge: the value of a config key (answer to CONFIG_GET). */
  CONFIG_VALUE: 0x12,
  /** either way: the frame with SEQ = ackSeq was accepted. */
  ACK: 0x7e,
  /** either way: the frame with SEQ = nakSeq was refused, with a reason. */
  NAK: 0x7f,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/**
 * Sensor kinds (the `kind` byte in HELLO's inventory). The raw i32 value of a channel
 * is turned into engineering units by dividing by `scale`.
 */
export const SensorKind = {
  door: { code: 1, scale: 1, unit: '', description: '门 / door: 0 closed, 1 open' },
  occupancy: { code: 2, scale: 1, unit: 'people', description: '在站人数 / people inside' },
  socket_state: { code: 3, scale: 1, unit: '', description: '充电口状态 / socket: 0 idle, 1 charging, 2 tripped' },
  socket_power: { code: 4, scale: 10, unit: 'W', description: '充电功率 / socket power, raw in 0.1 W' },
  water_temp: { code: 5, scale: 10, unit: '°C', description: '水温 / dispenser water, raw in 0.1 °C' },
  heater: { code: 6, scale: 1, unit: '', description: '加热器 / dispenser heater: 0 off, 1 on' },
  water_level: { code: 7, scale: 1, unit: '%', description: '水位 / dispenser tank level, 0..100 %' },
  ambient_temp: { code: 8, scale: 10, unit: '°C', description: '室温 / room temperature, raw in 0.1 °C' },
} as const;
export type SensorKindName = keyof typeof SensorKind;
export const SENSOR_KIND_NAMES = Object.keys(SensorKind) as SensorKindName[];
const kindByCode = new Map<number, SensorKindName>(
  SENSOR_KIND_NAMES.map((name) => [SensorKind[name].code, name]),
);
/** The kind name for a HELLO kind byte, or undefined for a code this version does not know. */
export function sensorKindFromCode(code: number): SensorKindName | undefined {
  return kindByCode.get(code);
}
/** Raw i32 from the wire to engineering units. */
export function scaleRaw(kind: SensorKindName, raw: number): number {
  const { scale } = SensorKind[kind];
  return scale === 1 ? raw : raw / scale;
}
/** Engineering units to the raw i32 sent on the wire (rounded). */
export function unscaleValue(kind: SensorKindName, value: number): number {
  return Math.round(value * SensorKind[kind].scale);
}

/** Fault codes (FAULT frame). */
export const FaultCode = {
  heater_failure: 1,
  door_stuck: 2,
  socket_tripped: 3,
  sensor_disconnected: 4,
  over_temperature: 5,
  water_empty: 6,
} as const;
export type FaultName = keyof typeof FaultCode;
export const FAULT_NAMES = Object.keys(FaultCode) as FaultName[];
const faultByCode = new Map<number, FaultName>(FAULT_NAMES.map((n) => [FaultCode[n], n]));
export function faultFromCode(code: number): FaultName | undefined {
  return faultByCode.get(code);
}

/** Config keys (CONFIG_SET / CONFIG_GET / CONFIG_VALUE). Values are i32. */
export const ConfigKey = {
  /** Seconds between READINGS frames, 1..3600. */
  reading_interval_s: 1,
  /** Seconds between HEARTBEAT frames, 1..3600. */
  heartbeat_interval_s: 2,
  /** Seconds the door may stay open before the controller raises door_stuck, 10..86400. */
  door_stuck_s: 3,
  /** Dispenser setpoint in 0.1 °C, 400..1000. */
  water_setpoint_dc: 4,
  /** Enable (1) or disable (0) one channel: value = channel << 8 | enabled. */
  channel_enable: 5,
} as const;
export type ConfigKeyName = keyof typeof ConfigKey;
export const CONFIG_KEY_NAMES = Object.keys(ConfigKey) as ConfigKeyName[];
const configKeyByCode = new Map<number, ConfigKeyName>(CONFIG_KEY_NAMES.map((n) => [ConfigKey[n], n]));
export function configKeyFromCode(code: number): ConfigKeyName | undefined {
  return configKeyByCode.get(code);
}

/** NAK reason codes. */
export const NakReason = {
  unknown_key: 1,
  value_out_of_range: 2,
  bad_frame: 3,
  busy: 4,
  read_only: 5,
} as const;
export type NakReasonName = keyof typeof NakReason;
const nakByCode = new Map<number, NakReasonName>(
  (Object.keys(NakReason) as NakReasonName[]).map((n) => [NakReason[n], n]),
);
export function nakReasonFromCode(code: number): NakReasonName | undefined {
  return nakByCode.get(code);
}
