import { describe, expect, it } from 'vitest';
import {
  StationFrameReader,
  clientMix,
  count,
  histPercentile,
  merge,
  parseStationFrame,
  peerFrame,
  rawPercentile,
  record,
  screensResult,
  side,
  type Histogram,
} from '../../bench/screens-lib.js';

const STATIONS = Array.from({ length: 47 }, (_, i) => `st-${String(i + 1).padStart(3, '0')}`);

describe('bench:screens helpers', () => {
  it('client mix: the asked number of unfiltered streams, spread through the list; the rest one station each, evenly', () => {
    const plans = clientMix(4000, 400, STATIONS);
    expect(plans).toHaveLength(4000);
    const all = plans.filter((p) => p.path === '/api/v1/events');
    expect(all).toHaveLength(400);
    expect(all.every((p) => p.stations.length === 47)).toBe(true);
    // Both client processes (first and second half) get half of the unfiltered ones.
    expect(plans.slice(0, 2000).filter((p) => p.stations.length === 47)).toHaveLength(200);
    const perStation = new Map<string, number>();
    for (const p of plans.filter((x) => x.stations.length === 1)) {
      expect(p.path).toBe(`/api/v1/events?station=${p.stations[0]}`);
      perStation.set(p.stations[0]!, (perStation.get(p.stations[0]!) ?? 0) + 1);
    }
    expect(perStation.size).toBe(47);
    expect(Math.max(...perStation.values()) - Math.min(...perStation.values())).toBeLessThanOrEqual(1);
    expect(clientMix(10, 0, STATIONS).every((p) => p.stations.length === 1)).toBe(true);
    expect(clientMix(10, 10, STATIONS).every((p) => p.stations.length === 47)).toBe(true);
    expect(() => clientMix(10, 11, STATIONS)).toThrow(/unfiltered/);
  });

  it('histogram percentiles agree with the nearest-rank percentile of the raw values, across merged halves', () => {
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 4 + 0.3); // 0.3 … 250 ms
    const a: Histogram = {};
    const b: Histogram = {};
    values.forEach((v, i) => record(i % 2 ? a : b, v));
    const h = merge(merge({}, a), b);
    expect(count(h)).toBe(1000);
    for (const p of [50, 90, 99, 100]) expect(histPercentile(h, p)).toBeCloseTo(rawPercentile(values, p), 1);
    expect(histPercentile(h, 99)).toBe(247.6); // the 990th value, 247.55 ms, in 0.1 ms steps
    expect(histPercentile({}, 99)).toBe(0);
  });

  it('a p99 is the slow tail: 1 slow update in 100 does not move it, 2 do', () => {
    const h: Histogram = {};
    for (let i = 0; i < 99; i++) record(h, 10);
    record(h, 900);
    expect(histPercentile(h, 99)).toBe(10);
    record(h, 900);
    expect(histPercentile(h, 99)).toBe(900);
    expect(histPercentile(h, 50)).toBe(10);
  });

  it('reads station frames split anywhere, skips other events, and times by lastReading', () => {
    const live = { id: 'st-007', name: '城关驿站', lastSeen: 5, lastReading: 1764700000123, readings: { a: { ts: 1 } } };
    const stream =
      'retry: 2000\n\n' +
      `event: station\ndata: ${JSON.stringify(live)}\n\n` +
      'event: heartbeat\ndata: 1764700000999\n\n' +
      peerFrame('st-008', 1764700000456, 300);
    const bytes = Buffer.from(stream);
    const reader = new StationFrameReader();
    const ticks = [];
    // 7-byte pieces: some cut a Chinese character or the blank line between frames in two.
    for (let i = 0; i < bytes.length; i += 7) ticks.push(...reader.push(bytes.subarray(i, i + 7)));
    expect(ticks.map((t) => [t.id, t.lastReading])).toEqual([
      ['st-007', 1764700000123],
      ['st-008', 1764700000456],
    ]);
    expect(ticks[0]!.bytes).toBe(Buffer.byteLength(`event: station\ndata: ${JSON.stringify(live)}\n\n`));
    expect(ticks[1]!.bytes).toBe(300);
    expect(parseStationFrame(Buffer.from('event: station\ndata: {"id":"st-001","lastReading":null}\n\n'))).toBeUndefined();
    // Found past the head too (a station frame whose head is long).
    const long = `event: station\ndata: {"id":"st-002","name":"${'长'.repeat(400)}","lastReading":7}\n\n`;
    expect(parseStationFrame(Buffer.from(long))).toMatchObject({ id: 'st-002', lastReading: 7 });
  });

  it('the peer pads its frame to the size asked, and it parses like the server\'s', () => {
    const f = peerFrame('st-001', 42, 2362);
    expect(Buffer.byteLength(f)).toBe(2362);
    expect(JSON.parse(f.split('\n')[1]!.slice('data: '.length))).toMatchObject({ id: 'st-001', lastReading: 42 });
  });

  it('result: exactly the keys of bench/results/screens.json, figures to 0.1', () => {
    const h: Histogram = {};
    [12.34, 15, 180.06].forEach((v) => record(h, v));
    const r = screensResult(4000, side(h, 380.46), side({}, 290.5), 73.26, 68.24);
    expect(r).toStrictEqual({
      clients: 4000,
      yizhan: { p50Ms: 15, p99Ms: 180.1, rssMb: 380.5 },
      plainNode: { p50Ms: 0, p99Ms: 0, rssMb: 290.5 },
      phonePageKb: 73.3,
      boardScreenRssMb: 68.2,
    });
    expect(Object.keys(r)).toEqual(['clients', 'yizhan', 'plainNode', 'phonePageKb', 'boardScreenRssMb']);
  });
});
