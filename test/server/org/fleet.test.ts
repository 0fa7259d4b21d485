/**
 * Fleet figures from live state: each station's facts arrive as observations through the
 * StateStore, as ingest applies them, and the counts are what a county office reads on the fleet
 * page (stations = online + offline + dark).
 */
import { describe, expect, it } from 'vitest';
import { StationRegistry } from '../../../server/src/registry.js';
import { StateStore } from '../../../server/src/state/store.js';
import type { Observation } from '../../../server/src/state/observation.js';
import { Hierarchy } from '../../../server/src/org/hierarchy.js';
import {
  DEFAULT_DARK_AFTER_MS,
  emptyCounts,
  fleetCounts,
  type Counts,
} from '../../../server/src/org/fleet.js';
import { stationFixture } from '../../helpers/station.js';

const T = 1_700_000_000_000;
const status = (online: boolean, reason?: string): Observation => ({
  type: 'status',
  online,
  bootId: 'boot-1',
  ts: T,
  ...(reason ? { reason } : {}),
});
const health = (agentVersion: string, serialUp = true): Observation => ({
  type: 'health',
  ts: T + 1,
  health: {
    v: 1,
    stationId: 'x',
    bootId: 'boot-1',
    seq: 1,
    ts: T + 1,
    agentVersion,
    uptimeS: 10,
    rssBytes: 1,
    serial: {
      state: serialUp ? 'up' : 'down',
      port: '/dev/ttyYZ0',
      lastFrameAgeMs: 5,
      framesGood: 1,
      framesBad: {},
    },
  },
});
const reported = (version: number, st: 'applied' | 'rejected' = 'applied'): Observation => ({
  type: 'config',
  ts: T + 2,
  reported: { v: 1, stationId: 'x', bootId: 'boot-1', seq: 2, ts: T + 2, version, status: st, applied: {} },
});

interface Case {
  name: string;
  /** Observations per station (st-001 … st-003 in 城关镇, st-004 in 新塘镇). */
  obs: Record<string, Observation[]>;
  desired?: Record<string, number>;
  firing?: { rule: string; stationId: string }[];
  /** How long after the messages the figures are taken, ms. */
  later?: number;
  chengguan: Partial<Counts>;
}

const CASES: Case[] = [
  {
    name: 'nothing heard yet: every station offline, no config ever sent',
    obs: {},
    chengguan: { stations: 3, online: 0, offline: 3, dark: 0, config: { inSync: 0, pending: 0, never: 3 } },
  },
  {
    name: 'online, goodbye and will: online, offline and dark',
    obs: { 'st-001': [status(true)], 'st-002': [status(false)], 'st-003': [status(false, 'will')] },
    chengguan: { online: 1, offline: 1, dark: 1 },
  },
  {
    name: 'silent longer than the dark threshold while saying online: dark',
    obs: { 'st-001': [status(true)], 'st-002': [status(true)] },
    later: DEFAULT_DARK_AFTER_MS + 1,
    chengguan: { online: 0, offline: 1, dark: 2 },
  },
  {
    name: 'stale sensors only on online stations whose serial link is down',
    obs: {
      'st-001': [status(true), health('1.2.0', false)],
      'st-002': [status(true), health('1.2.0', true)],
      'st-003': [status(false, 'will'), health('1.1.0', false)],
    },
    chengguan: { staleSensors: 1, agentVersions: { '1.2.0': 2, '1.1.0': 1 } },
  },
  {
    name: 'config: applied desired version in sync, older or rejected pending, none sent never',
    obs: { 'st-001': [reported(3)], 'st-002': [reported(2)], 'st-003': [reported(4, 'rejected')] },
    desired: { 'st-001': 3, 'st-002': 3, 'st-003': 4 },
    chengguan: { config: { inSync: 1, pending: 2, never: 0 } },
  },
  {
    name: 'firing alerts: stations per rule, a station with two alerts of one rule counted once',
    obs: {},
    firing: [
      { rule: 'dispenser_broken', stationId: 'st-001' },
      { rule: 'serial_link_down', stationId: 'st-001' },
      { rule: 'socket_tripped', stationId: 'st-002' },
      { rule: 'socket_tripped', stationId: 'st-002' },
      { rule: 'serial_link_down', stationId: 'st-004' },
    ],
    chengguan: {
      withAlerts: 2,
      alertsByRule: { dispenser_broken: 1, serial_link_down: 1, socket_tripped: 1 },
    },
  },
];

function figures(c: Case) {
  const stations = [
    stationFixture('st-001'),
    stationFixture('st-002'),
    stationFixture('st-003'),
    stationFixture('st-004', { township: '新塘镇' }),
  ];
  const store = new StateStore(new StationRegistry(stations));
  for (const [id, obs] of Object.entries(c.obs)) store.apply(id, obs);
  const hierarchy = new Hierarchy(stations, [
    { code: 'chengguan', name: '城关镇', nameEn: 'Chengguan' },
    { code: 'xintang', name: '新塘镇', nameEn: 'Xintang' },
  ]);
  return fleetCounts({
    townships: hierarchy.list(),
    facts: (id) => store.fleetFacts(id),
    desiredVersion: (id) => c.desired?.[id],
    firing: c.firing ?? [],
    now: Date.now() + (c.later ?? 0),
    darkAfterMs: DEFAULT_DARK_AFTER_MS,
  });
}

describe('fleet counts per township from live state', () => {
  it.each(CASES)('$name', (c) => {
    const f = figures(c);
    const cg = f.townships.find((t) => t.code === 'chengguan');
    expect(cg).toMatchObject({
      code: 'chengguan',
      nameZh: '城关镇',
      nameEn: 'Chengguan',
      stations: 3,
      ...c.chengguan,
    });
    for (const t of [...f.townships, f.total]) expect(t.online + t.offline + t.dark).toBe(t.stations);
  });

  it('the total is the sum of the townships', () => {
    const f = figures(CASES[CASES.length - 1] as Case);
    expect(f.total).toEqual({
      ...emptyCounts(),
      stations: 4,
      offline: 4,
      withAlerts: 3,
      alertsByRule: { dispenser_broken: 1, serial_link_down: 2, socket_tripped: 1 },
      config: { inSync: 0, pending: 0, never: 4 },
    });
  });
});
