/**
 * The rule set. A new rule (stuck door, faulty socket, dark station…) is a file in this folder
 * exporting a factory that returns an {@link AlertRule}; add it to the list below.
 *
 * | rule               | severity | fires when                                                        |
 * |--------------------|----------|-------------------------------------------------------------------|
 * | `dispenser_broken` | critical | heater_failure fault, or heater on without the water warming      |
 * | `serial_link_down` | warning  | the agent reports its serial link down for longer than the hold   |
 * | `door_stuck_open`  | warning  | door open past the hold (shorter outside opening hours), door_stuck |
 * | `socket_fault`     | warning  | socket tripped (fault or state 2), or charging with no power      |
 * | `sensor_silent`    | warning  | one sensor silent while the station still reports                 |
 * | `occupancy_stuck`  | info     | people count unchanged for hours across the busy period           |
 * | `water_low`        | warning  | tank level under the threshold (critical: water_empty fault)      |
 * | `agent_health`     | warning  | edge agent spool backing up, disk write errors, clock skew        |
 * | `station_dark`     | critical | the agent's will arrived, or nothing heard for `silentFor`        |
 *
 * Severities, holds and `enabled` per station come from alert-rules.yaml (the engine applies them).
 */
import type { AlertRule } from '../types.js';
import { dispenserBrokenRule } from './dispenser-broken.js';
import { serialLinkDownRule, type SerialLinkDownOptions } from './serial-link-down.js';
import { doorStuckOpenRule } from './door-stuck-open.js';
import { socketFaultRule } from './socket-fault.js';
import { sensorSilentRule } from './sensor-silent.js';
import { occupancyStuckRule } from './occupancy-stuck.js';
import { waterLowRule } from './water-low.js';
import { agentHealthRule } from './agent-health.js';
import { stationDarkRule } from './station-dark.js';

/** Settings of the rules that have server-wide settings (others read the station config). */
export interface RuleSettings {
  serialLinkDown?: Partial<SerialLinkDownOptions>;
}

export function defaultRules(settings: RuleSettings = {}): AlertRule[] {
  return [
    dispenserBrokenRule(),
    serialLinkDownRule(settings.serialLinkDown),
    doorStuckOpenRule(),
    socketFaultRule(),
    sensorSilentRule(),
    occupancyStuckRule(),
    waterLowRule(),
    agentHealthRule(),
    stationDarkRule(),
  ];
}
