/** What the edge agent offers its caller (main.ts, tests): its health and its stop. */
import type { HealthPayload } from '@yizhan/protocol/mqtt';
import type { Frame } from '@yizhan/protocol/serial';
import type { MqttLinkStats } from './mqtt-link.js';
import type { ConfigReport } from './remote-config.js';

export interface AgentHealth {
  stationId: string;
  bootId: string;
  agentVersion: string;
  uptimeS: number;
  rssBytes: number;
  serial: HealthPayload['serial'];
  /** The serial port is open (state may still be down until a frame arrives). */
  serialPortOpen: boolean;
  mqtt: MqttLinkStats & { url: string };
  outbox: { depth: number; oldestAgeMs: number | null; dropped: number; writeErrors: number };
  /** Remote config: last applied version and values. */
  config: { version: number; applied: ConfigReport['applied'] };
  /** Messages the agent built that failed their schema (a bug); not published. */
  invalidPayloads: number;
  /** Messages on the `cmd` topic refused without an id to answer to. */
  invalidCommands: number;
  /** Messages published or queued so far (the next seq). */
  messages: number;
  /** The controller's active faults (active-faults.ts); null while the agent cannot know the whole set. */
  faults: HealthPayload['faults'] | null;
}

export interface Agent {
  readonly stationId: string;
  /** Random per start; in every message. */
  readonly bootId: string;
  health(): AgentHealth;
  /** Send a frame to the controller (e.g. CONFIG_SET); false when the port is not open. */
  sendToController(frame: Frame): boolean;
  /** Flush, publish offline status (retained, reason "shutdown"), close serial and MQTT. */
  stop(): Promise<void>;
}
