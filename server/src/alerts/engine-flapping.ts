/**
 * Flapping damping of the alert engine, per fingerprint and on station time: an alert that changed
 * state (fired or resolved) at least `changes` times within `window` fires its next alert with
 * `flapping: true`, and from then on the engine holds that alert firing. The rule's own fires and
 * resolves of the fingerprint are absorbed (the rule still sees its own view through isFiring)
 * until the rule's condition has stayed clear for one whole window (the engine then resolves it,
 * "no longer flapping") or a person reviews it (AlertEngine.review).
 */
import type { FlappingThresholds } from '@yizhan/station-config/alert-rules';

/** A flapping alert the engine holds firing. */
export interface HeldAlert {
  stationId: string;
  /** What the rule last said: it fires (true) or it resolved (false). */
  ruleFiring: boolean;
  /** Station time the rule resolved it, while it stays resolved; null while the rule fires. */
  clearSince: number | null;
}

export class FlapTracker {
  /** Station times of each fingerprint's recent changes, oldest first, at most `changes` kept. */
  private readonly changes = new Map<string, number[]>();
  readonly held = new Map<string, HeldAlert>();

  constructor(private readonly settings: () => FlappingThresholds) {}

  /** A change of `fp` at station time `t`; true when the changes before it make it flapping. */
  note(fp: string, t: number): boolean {
    const { changes, windowMs } = this.settings();
    const list = (this.changes.get(fp) ?? []).filter((x) => x > t - windowMs);
    const flapping = list.length >= changes;
    list.push(t);
    if (list.length > changes) list.splice(0, list.length - changes);
    this.changes.set(fp, list);
    return flapping;
  }

  /** Forget `fp`'s changes (it stopped flapping or was reviewed: counting starts again). */
  forget(fp: string): void {
    this.changes.delete(fp);
  }

  /** Held fingerprints (of `stationId`, or all) whose condition stayed clear a whole window by `now`. */
  settled(now: number, stationId?: string): { fp: string; at: number }[] {
    const { windowMs } = this.settings();
    const out: { fp: string; at: number }[] = [];
    for (const [fp, h] of this.held) {
      if (stationId !== undefined && h.stationId !== stationId) continue;
      if (h.clearSince !== null && now - h.clearSince >= windowMs)
        out.push({ fp, at: h.clearSince + windowMs });
    }
    return out;
  }
}
