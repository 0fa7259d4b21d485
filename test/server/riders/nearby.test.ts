/**
 * The riders' snapshot and ranking on their own (live state from a StateStore, no HTTP): stations
 * closed for good are left out, one snapshot serves its window, and keeping the best `limit` in one
 * pass gives the same stations as sorting the whole fleet.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '@yizhan/common/prng';
import type { StationConfig } from '@yizhan/station-config/schema';
import { StationRegistry } from '../../../server/src/registry.js';
import { StateStore } from '../../../server/src/state/store.js';
import { Hierarchy } from '../../../server/src/org/hierarchy.js';
import { DEFAULT_DARK_AFTER_MS } from '../../../server/src/org/fleet.js';
import { RiderSnapshots, hasNeed, nearby } from '../../../server/src/riders/nearby.js';
import { haversineM } from '../../../server/src/riders/geo.js';
import { stationFixture } from '../../helpers/station.js';

const NOON = Date.UTC(2026, 5, 1, 4, 0, 0);

function setup(configs: StationConfig[], maxAgeMs = 1000) {
  const registry = new StationRegistry(configs);
  const store = new StateStore(registry);
  const hierarchy = new Hierarchy(configs);
  let builds = 0;
  const snapshots = new RiderSnapshots(
    {
      stations: () => registry.all(),
      summaries: () => store.summaries(),
      facts: (id) => store.fleetFacts(id),
      reading: (id, sensor) => store.readingValue(id, sensor),
      township: (id) => hierarchy.get(hierarchy.townshipOf(id) ?? ''),
      darkAfterMs: DEFAULT_DARK_AFTER_MS,
    },
    maxAgeMs,
    () => builds++,
  );
  return { store, snapshots, builds: () => builds };
}

describe('RiderSnapshots', () => {
  it('leaves out a station whose file says it closed for good (from that local date on)', () => {
    const { snapshots } = setup([
      stationFixture('st-001'),
      { ...stationFixture('st-002'), closed: '2026-06-01' },
      { ...stationFixture('st-003'), closed: '2026-06-02' },
    ]);
    expect(snapshots.at(NOON).stations.map((s) => s.id)).toEqual(['st-001', 'st-003']);
  });

  it('builds once per window however many requests come, and again after it', () => {
    const { snapshots, builds } = setup([stationFixture('st-001')], 1000);
    const first = snapshots.at(NOON);
    for (let t = 0; t < 1000; t += 50) expect(snapshots.at(NOON + t)).toBe(first);
    expect(builds()).toBe(1);
    expect(snapshots.at(NOON + 1000)).not.toBe(first);
    expect(builds()).toBe(2);
  });
});

describe('nearby', () => {
  it('picks the same stations, in the same order, as sorting the whole fleet', () => {
    const rnd = new Random(15);
    const configs = Array.from({ length: 300 }, (_, i) => ({
      ...stationFixture(`st-${String(i + 1).padStart(3, '0')}`, { township: `镇${i % 7}` }),
      location: { lat: 30 + rnd.float() * 0.2, lon: 120 + rnd.float() * 0.2 },
    }));
    const { store, snapshots } = setup(configs);
    for (const c of configs)
      if (rnd.float() < 0.7)
        store.apply(c.id, [
          { type: 'status', online: true, bootId: 'b', ts: NOON },
          ...[1, 2, 3, 4].map((n) => ({
            type: 'reading' as const,
            sensor: `socket-${n}`,
            kind: 'socket_state' as const,
            value: rnd.float() < 0.2 ? 0 : 1,
            ts: NOON,
            historical: false,
          })),
        ]);
    const snap = snapshots.at(NOON);
    const origin = { lat: 30.1, lon: 120.1 };
    for (const limit of [1, 10, 50]) {
      const got = nearby(snap, { origin, exclude: null, need: 'socket', township: null, limit }).map(
        (s) => s.id,
      );
      const want = snap.stations
        .map((s, order) => ({ s, order, has: hasNeed(s, 'socket'), d: haversineM(origin, s.location) }))
        .sort((a, b) => Number(b.has) - Number(a.has) || a.d - b.d || a.order - b.order)
        .slice(0, limit)
        .map((x) => x.s.id);
      expect(got).toEqual(want);
    }
  });
});
