/**
 * What the ingest path hands to live state and to the alert rules: one observation per fact,
 * already checked against the station config, with the station's own timestamp.
 */
import type { ConfigReportedPayload, HealthPayload } from '@yizhan/protocol';
import type { FaultName, SensorKindName } from '@yizhan/protocol/serial';

export type Observation =
  | { type: 'reading'; sensor: string; kind: SensorKindName; value: number; ts: number; historical: boolean }
  | { type: 'fault'; sensor: string; fault: FaultName; active: boolean; ts: number; historical: boolean }
  | {
      type: 'status';
      online: boolean;
      bootId: string;
      /** The payload's ts; for a will, the ts of the connection it belongs to (orders status messages). */
      ts: number;
      /** When the state began, when not `ts`: a will's arrival (the broker sends it when the connection is lost). */
      at?: number;
      reason?: string;
      agentVersion?: string;
    }
  | {
      type: 'health';
      ts: number;
      health: HealthPayload;
      /** Server time (Unix ms) the report arrived: the agent's clock skew is ts − receivedAt. */
      receivedAt?: number;
    }
  | { type: 'hello'; ts: number; firmware: string; boardId: string }
  | { type: 'config'; ts: number; reported: ConfigReportedPayload };

export type ObservationType = Observation['type'];

/** A fault active since `since` (in a health report's fault set, or restored at start) as a live observation. */
export function activeFaultObservation(f: { sensor: string; fault: FaultName; since: number }): Observation {
  return { type: 'fault', sensor: f.sensor, fault: f.fault, active: true, ts: f.since, historical: false };
}
