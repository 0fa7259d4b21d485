/** The demo history's model: valid protocol messages, the same every time, and the pattern it promises. */
import { describe, expect, it } from 'vitest';
import { decodePayloadFor } from '@yizhan/protocol';
import { DEFAULT_STATIONS_DIR, loadStationsOrThrow } from '@yizhan/station-config/load';
import { busynessOf, historyMessages, HISTORY_STEP_MS, type HistoryMessage } from '../../../scripts/lib/demo-history-model.js';
import { historyRange, retentionFor, utcOffsetMinutes } from '../../../scripts/lib/demo-history.js';

const DAY = 86_400_000;
const stations = loadStationsOrThrow(DEFAULT_STATIONS_DIR);
/** A local (UTC+8) Monday 00:00. */
const MONDAY = Date.UTC(2026, 10, 23) - 8 * 3_600_000;
const week = (seed = 1): HistoryMessage[] =>
  [...historyMessages(stations, { from: MONDAY, to: MONDAY + 7 * DAY, seed, utcOffsetMin: 480 })].flat();

type Reading = { sensor: string; kind: string; value: number };
const occupancyOf = (m: HistoryMessage) =>
  (m.payload as { readings?: Reading[] }).readings?.find((r) => r.kind === 'occupancy')?.value;

describe('demo history model', () => {
  const msgs = week();

  it('builds telemetry and door events the protocol accepts, marked historical, each station its own boot and seq', () => {
    const last = new Map<string, { seq: number; ts: number }>();
    for (const [i, m] of msgs.entries()) {
      // Every door event and a sample of the telemetry through the protocol's own check.
      if (m.leaf === 'events' || i % 10 === 0) {
        const d = decodePayloadFor(m.leaf, Buffer.from(JSON.stringify(m.payload)));
        expect(d.ok, JSON.stringify(d)).toBe(true);
      }
      const p = m.payload as { stationId: string; bootId: string; seq: number; ts: number; historical: boolean };
      expect(p).toMatchObject({ stationId: m.stationId, bootId: `history-${m.stationId}-1`, historical: true, ts: m.ts });
      const before = last.get(m.stationId);
      if (before) {
        expect(p.seq).toBe(before.seq + 1);
        expect(p.ts).toBeGreaterThan(before.ts);
      } else expect(p.seq).toBe(0);
      last.set(m.stationId, p);
    }
    expect(last.size).toBe(47);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(JSON.stringify(week(1).slice(0, 3000))).toBe(JSON.stringify(msgs.slice(0, 3000)));
    expect(JSON.stringify(week(2).slice(0, 3000))).not.toBe(JSON.stringify(msgs.slice(0, 3000)));
  });

  it('fills the county at weekday lunch, not at 3 am nor as much on Sunday', () => {
    const people = (day: number, hour: number) =>
      msgs.filter((m) => m.leaf === 'telemetry' && m.ts === MONDAY + day * DAY + hour * 3_600_000).reduce((s, m) => s + (occupancyOf(m) ?? 0), 0);
    for (let d = 0; d < 5; d++) {
      expect(people(d, 12), `day ${d}`).toBeGreaterThan(5 * people(d, 3));
      expect(people(d, 12), `day ${d}`).toBeGreaterThan(people(6, 12));
    }
    expect(people(0, 18)).toBeGreaterThan(5 * people(0, 3));
  });

  it('makes one station far busier, a few saturated, a few nearly empty', () => {
    const busy = [...busynessOf(stations.map((s) => s.id), 1).values()].sort((a, b) => b - a);
    expect(busy[0]).toBe(3);
    expect(busy.slice(1, 5).every((b) => b > 1.1 && b < 1.4)).toBe(true);
    expect(busy.slice(-5).every((b) => b < 0.11)).toBe(true);
    const top = [...busynessOf(stations.map((s) => s.id), 1)].find(([, b]) => b === 3)?.[0];
    const seats = stations.find((s) => s.id === top)?.seats;
    const lunch = msgs.find((m) => m.stationId === top && m.leaf === 'telemetry' && m.ts === MONDAY + 12 * 3_600_000);
    expect(lunch && occupancyOf(lunch)).toBe(seats);
  });

  it('opens doors only while the station is full, and charges sockets', () => {
    const full = new Map<string, boolean>();
    let doors = 0;
    let charging = 0;
    for (const m of msgs) {
      const seats = stations.find((s) => s.id === m.stationId)?.seats ?? 0;
      if (m.leaf === 'telemetry') {
        full.set(m.stationId, occupancyOf(m) === seats);
        charging += ((m.payload as { readings: Reading[] }).readings ?? []).filter((r) => r.kind === 'socket_state' && r.value === 1).length;
      } else {
        expect(full.get(m.stationId), `${m.stationId} at ${m.ts}`).toBe(true);
        doors++;
      }
    }
    expect(doors).toBeGreaterThan(20);
    expect(charging).toBeGreaterThan(1000);
  });

  it('ranges from a local midnight weeks back to the last whole step', () => {
    const now = MONDAY + 10.3 * 3_600_000;
    expect(historyRange(6, now, 480)).toEqual({ from: MONDAY - 42 * DAY, to: MONDAY + 10 * 3_600_000 });
    expect(HISTORY_STEP_MS).toBe(30 * 60_000);
    expect(utcOffsetMinutes('Asia/Shanghai', now)).toBe(480);
    expect(utcOffsetMinutes('America/New_York', Date.UTC(2026, 0, 1))).toBe(-300);
  });

  it('asks the server to keep raw readings as long as the history, unless the user chose', () => {
    expect(retentionFor(6, {})).toEqual({ YIZHAN_INFLUX_RETENTION: '44d' });
    expect(retentionFor(4, {})).toEqual({});
    expect(retentionFor(6, { YIZHAN_INFLUX_RETENTION: '90d' })).toEqual({});
  });
});
