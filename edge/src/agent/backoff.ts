/**
 * The agent's two backoffs (the algorithm is common/src/backoff.ts): reconnecting to the broker,
 * and reopening the serial port (sooner and shorter: a USB adapter comes back within seconds).
 */
import { DEFAULT_BACKOFF, type BackoffOptions } from '@yizhan/common/backoff';

export const DEFAULT_MQTT_BACKOFF: Readonly<BackoffOptions> = DEFAULT_BACKOFF;
export const DEFAULT_SERIAL_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  ...DEFAULT_BACKOFF,
  initialMs: 500,
  maxMs: 30_000,
  jitter: 0.3,
});
