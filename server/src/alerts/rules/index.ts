/**
 * The rule set. A new rule (stuck door, faulty socket, dark station…) is a file in this folder
 * exporting a factory that returns an {@link AlertRule}; add it to the list below.
 *
 * | rule               | severity | fires when                                                        |
 * |--------------------|----------|-------------------------------------------------------------------|
 * | `dispenser_broken` | critical | heater_failure fault, or heater on without the water warming      |
 * | `serial_link_down` | warning  | the agent reports its serial link down for longer than the hold   |
 * | `station_dark`     | critical | the agent's will arrived, or nothing heard for `silentFor`        |
 *
 * Severities, holds and `enabled` per station come from alert-rules.yaml (the engine applies them).
 */
import type { AlertRule } from '../types.js';
import { dispenserBrokenRule } from './dispenser-broken.js';
import { serialLinkDownRule, type SerialLinkDownOptions } from './serial-link-down.js';
import { stationDarkRule } from './station-dark.js';

/** Settings of the rules that have server-wide settings (others read the station config). */
export interface RuleSettings {
  serialLinkDown?: Partial<SerialLinkDownOptions>;
}

export function defaultRules(settings: RuleSettings = {}): AlertRule[] {
  return [dispenserBrokenRule(), serialLinkDownRule(settings.serialLinkDown), stationDarkRule()];
}
