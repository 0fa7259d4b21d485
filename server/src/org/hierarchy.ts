/**
 * The union's hierarchy: county union (县总工会) → township (镇/街道) → station. Stations name
 * their township in their file's `township` field; a township's code (what role grants and API
 * filters use), English name and crew come from its definition, and a township without one is
 * known by its Chinese name as its code.
 */
import type { StationConfig } from '@yizhan/station-config/schema';

export interface TownshipDef {
  /** Stable code used in grants, URLs and metrics labels, e.g. "chengguan". */
  code: string;
  /** Chinese name, as the station files' `township` field writes it. */
  name: string;
  nameEn?: string;
}

export interface TownshipInfo {
  code: string;
  nameZh: string;
  nameEn: string;
  stationIds: string[];
}

export class Hierarchy {
  private readonly byCode = new Map<string, TownshipInfo>();
  private readonly stationTownship = new Map<string, string>();

  constructor(stations: readonly StationConfig[], defs: readonly TownshipDef[] = []) {
    const byName = new Map(defs.map((d) => [d.name, d]));
    for (const d of defs)
      this.byCode.set(d.code, { code: d.code, nameZh: d.name, nameEn: d.nameEn ?? d.code, stationIds: [] });
    for (const s of stations) {
      const def = byName.get(s.township);
      const code = def?.code ?? s.township;
      let t = this.byCode.get(code);
      if (!t) {
        t = { code, nameZh: s.township, nameEn: s.township, stationIds: [] };
        this.byCode.set(code, t);
      }
      t.stationIds.push(s.id);
      this.stationTownship.set(s.id, code);
    }
  }

  /** The township code of a station; undefined for an unknown station. */
  townshipOf(stationId: string): string | undefined {
    return this.stationTownship.get(stationId);
  }

  get(code: string): TownshipInfo | undefined {
    return this.byCode.get(code);
  }

  /** Every township, by code. */
  list(): TownshipInfo[] {
    return [...this.byCode.values()].sort((a, b) => a.code.localeCompare(b.code));
  }
}
