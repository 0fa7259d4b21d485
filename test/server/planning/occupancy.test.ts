/**
 * The built-in demand layer: each station's mean occupancy over its recent readings, spread evenly
 * over its H3 cell and the six around it.
 */
import { describe, expect, it } from 'vitest';
import { gridDisk, latLngToCell } from 'h3-js';
import { OCCUPANCY_WINDOW, OccupancyMeans, occupancyDemand } from '../../../server/src/planning/occupancy.js';
import { demandByCell } from '../../../server/src/planning/grid.js';
import type { StationLive } from '../../../server/src/state/schema.js';

const live = (id: string, occupied: number | null, lastReading: number | null) =>
  ({ id, seats: { total: 20, occupied, free: null }, lastReading }) as unknown as StationLive;

describe('occupancy layer', () => {
  it('averages one sample per new reading over the last readings, ignoring status-only changes', () => {
    const m = new OccupancyMeans();
    m.onChange(live('st-1', 4, 1000));
    m.onChange(live('st-1', 4, 1000)); // a status message: same reading
    m.onChange(live('st-1', 10, 2000));
    m.onChange(live('st-1', null, 3000));
    expect(m.mean('st-1')).toBe(7);
    expect(m.mean('st-2')).toBeUndefined();
    for (let i = 0; i < OCCUPANCY_WINDOW; i++) m.onChange(live('st-1', 2, 10_000 + i));
    expect(m.mean('st-1')).toBe(2);
  });

  it('keeps a snapshot of the means for its window while readings come in', () => {
    const m = new OccupancyMeans();
    m.onChange(live('st-1', 4, 1000));
    const first = m.snapshot(0, 60_000);
    expect(first.mean('st-1')).toBe(4);
    m.onChange(live('st-1', 10, 2000));
    // 30 s later: the same snapshot, though a reading came in
    const held = m.snapshot(30_000, 60_000);
    expect([held.version, held.mean('st-1')]).toEqual([first.version, 4]);
    const next = m.snapshot(60_000, 60_000);
    expect(next.version).not.toBe(first.version);
    expect(next.mean('st-1')).toBe(7);
    // no reading since: the snapshot stays, however old
    expect(m.snapshot(600_000, 60_000).version).toBe(next.version);
  });

  it("spreads a station's mean over its cell and its six neighbours", () => {
    const stations = [
      { id: 'st-1', lat: 30, lon: 120 },
      { id: 'st-2', lat: 30.1, lon: 120.1 },
    ];
    const pts = occupancyDemand(stations, (id) => (id === 'st-1' ? 7 : undefined), 9);
    const byCell = demandByCell(pts, 9);
    const disk = gridDisk(latLngToCell(30, 120, 9), 1);
    expect([...byCell.keys()].sort()).toEqual([...disk].sort());
    for (const h of disk) expect(byCell.get(h)).toBeCloseTo(1, 12);
  });
});
