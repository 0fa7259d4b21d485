/**
 * The controller's active faults as the agent knows them, reported in every health message
 * (`faults`), so that the server can restore and correct its own view (docs/protocol/mqtt-v1.md).
 *
 * The controller is the truth (serial v1 §6.4, §6.5): FAULT frames raise and clear one fault; a
 * HELLO means it rebooted and starts with no active fault (it raises again what is still wrong);
 * HEARTBEAT status bit 0 says whether any fault is active. So the set is complete after a HELLO or
 * a heartbeat with bit 0 clear (both empty it), and stays complete while FAULT frames keep it up to
 * date. It is not complete after the agent starts (a fault raised before is unknown to it), nor when
 * a heartbeat says a fault is active while the set is empty (a raise was lost on the line); then
 * `report()` gives undefined and the server keeps what it knows.
 */
import type { ReportedFault } from '@yizhan/protocol/mqtt';
import type { FaultName } from '@yizhan/protocol/serial';

/** HEARTBEAT status bit 0: at least one fault is active. */
export const STATUS_FAULT_ACTIVE = 0x01;

export class ActiveFaults {
  private readonly active = new Map<string, ReportedFault>();
  private complete = false;

  /** A FAULT frame of a configured channel was published. */
  onFault(sensor: string, fault: FaultName, active: boolean, ts: number): void {
    const key = `${sensor}/${fault}`;
    if (!active) this.active.delete(key);
    else if (!this.active.has(key)) this.active.set(key, { sensor, fault, since: Math.round(ts) });
  }

  /** The controller booted: no fault is active. Returns true when the report changed. */
  onHello(): boolean {
    return this.reset();
  }

  /** A HEARTBEAT; returns true when the report changed (worth a health message now). */
  onHeartbeat(status: number): boolean {
    if ((status & STATUS_FAULT_ACTIVE) === 0) return this.reset();
    if (this.active.size > 0 || !this.complete) return false;
    this.complete = false;
    return true;
  }

  /** The active faults, oldest first; undefined while the agent cannot know the whole set. */
  report(): ReportedFault[] | undefined {
    if (!this.complete) return undefined;
    return [...this.active.values()].sort((a, b) => a.since - b.since);
  }

  private reset(): boolean {
    const changed = !this.complete || this.active.size > 0;
    this.active.clear();
    this.complete = true;
    return changed;
  }
}
