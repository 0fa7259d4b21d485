/**
 * The controller's runtime settings (serial protocol v1 ConfigKey) and the CONFIG_SET / CONFIG_GET
 * rules: ranges as documented in protocol/src/serial/constants.ts.
 */
import { configKeyFromCode, type NakReasonName } from '@yizhan/protocol/serial';

export interface ControllerSettings {
  /** Seconds between READINGS frames, 1..3600. */
  readingIntervalS: number;
  /** Seconds between HEARTBEAT frames, 1..3600. */
  heartbeatIntervalS: number;
  /** Seconds the door may stay open before FAULT door_stuck, 10..86400. */
  doorStuckS: number;
  /** Dispenser setpoint in 0.1 °C, 400..1000. */
  waterSetpointDc: number;
  /** Channels switched off with channel_enable: left out of READINGS and EVENTs. */
  disabled: ReadonlySet<number>;
}

/** Defaults of a freshly booted controller (the setpoint comes from the station config). */
export const DEFAULT_READING_INTERVAL_S = 10;
export const DEFAULT_HEARTBEAT_INTERVAL_S = 10;
export const DEFAULT_DOOR_STUCK_S = 180;

export type ConfigResult = { ok: true; settings: ControllerSettings } | { ok: false; reason: NakReasonName };
export type ConfigRead = { ok: true; value: number } | { ok: false; reason: NakReasonName };

const inRange = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

/**
 * Apply CONFIG_SET(key, value). `channels` are the channels the controller has; channel_enable
 * for another channel, or with an enabled byte other than 0/1, is out of range.
 */
export function applyConfigSet(
  s: ControllerSettings,
  keyCode: number,
  value: number,
  channels: ReadonlySet<number>,
): ConfigResult {
  const key = configKeyFromCode(keyCode);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const bad: ConfigResult = { ok: false, reason: 'value_out_of_range' };
  switch (key) {
    case 'reading_interval_s':
      return inRange(value, 1, 3600) ? { ok: true, settings: { ...s, readingIntervalS: value } } : bad;
    case 'heartbeat_interval_s':
      return inRange(value, 1, 3600) ? { ok: true, settings: { ...s, heartbeatIntervalS: value } } : bad;
    case 'door_stuck_s':
      return inRange(value, 10, 86400) ? { ok: true, settings: { ...s, doorStuckS: value } } : bad;
    case 'water_setpoint_dc':
      return inRange(value, 400, 1000) ? { ok: true, settings: { ...s, waterSetpointDc: value } } : bad;
    case 'channel_enable': {
      const channel = value >> 8;
      const enabled = value & 0xff;
      if (value < 0 || value > 0xffff || enabled > 1 || !channels.has(channel)) return bad;
      const disabled = new Set(s.disabled);
      if (enabled === 1) disabled.delete(channel);
      else disabled.add(channel);
      return { ok: true, settings: { ...s, disabled } };
    }
  }
}

/**
 * Answer CONFIG_GET(key). channel_enable cannot be read back (a GET names no channel), so it
 * is refused as unknown_key, like any key the controller cannot report.
 */
export function readConfig(s: ControllerSettings, keyCode: number): ConfigRead {
  const key = configKeyFromCode(keyCode);
  if (!key) return { ok: false, reason: 'unknown_key' };
  switch (key) {
    case 'reading_interval_s':
      return { ok: true, value: s.readingIntervalS };
    case 'heartbeat_interval_s':
      return { ok: true, value: s.heartbeatIntervalS };
    case 'door_stuck_s':
      return { ok: true, value: s.doorStuckS };
    case 'water_setpoint_dc':
      return { ok: true, value: s.waterSetpointDc };
    case 'channel_enable':
      return { ok: false, reason: 'unknown_key' };
  }
}
