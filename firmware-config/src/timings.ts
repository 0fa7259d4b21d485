/**
 * A station's durations in milliseconds, with the schema's defaults filled in, so the edge agent
 * and the server do not each re-parse "30s" or re-state the defaults.
 */
import { parseDuration } from '@yizhan/protocol/duration';
import { DispenserSettings, SerialSettings, type StationConfig } from './schema.js';

/** Default of `serial.frameTimeout` (from the schema): no frame for this long = serial link down. */
export const DEFAULT_FRAME_TIMEOUT: string = String(SerialSettings.properties.frameTimeout.default);
/** Default of `dispenser.heatingTimeout` (from the schema). */
export const DEFAULT_HEATING_TIMEOUT: string = String(DispenserSettings.properties.heatingTimeout.default);
/** Default of `dispenser.minRiseC`, in °C (from the schema). */
export const DEFAULT_MIN_RISE_C: number = Number(DispenserSettings.properties.minRiseC.default);

export interface StationTimings {
  /** No serial frame for this long means the link is down, in ms. */
  frameTimeoutMs: number;
  /** Heater on this long without a rise of minRiseC means heater_failure, in ms. */
  heatingTimeoutMs: number;
  /** Rise expected within heatingTimeoutMs, in °C. */
  minRiseC: number;
}

function ms(text: string, where: string): number {
  const d = parseDuration(text);
  // Loaded stations were checked already; this only fires for hand-built objects.
  if (!d.ok) throw new Error(`${where}: ${d.message}`);
  return d.ms;
}

export function stationTimings(st: StationConfig): StationTimings {
  return {
    frameTimeoutMs: ms(st.serial.frameTimeout ?? DEFAULT_FRAME_TIMEOUT, `${st.id} serial.frameTimeout`),
    heatingTimeoutMs: ms(
      st.dispenser.heatingTimeout ?? DEFAULT_HEATING_TIMEOUT,
      `${st.id} dispenser.heatingTimeout`,
    ),
    minRiseC: st.dispenser.minRiseC ?? DEFAULT_MIN_RISE_C,
  };
}
