import { describe, expect, it } from 'vitest';
import { stationAccess } from '../../bench/cluster-access.js';
import {
  establishedPeers,
  linkUp,
  lostLinkIn,
  reconnectS,
  recovered,
  staleStatuses,
  type StationFlow,
} from '../../bench/cluster-check.js';
import { matrix } from '../../bench/cluster-run.js';

describe('bench:cluster checks', () => {
  const killAt = 10_000;
  const flow = (station: string, up: boolean, last: number | undefined): StationFlow => ({
    station,
    linkUp: up,
    lastStoredAt: last,
  });

  it('recovered: every link up and every station with a fresh reading sent after the kill', () => {
    const now = 20_000;
    expect(recovered([flow('st-001', true, 19_500), flow('st-002', true, 18_000)], killAt, now, 3000)).toBe(
      true,
    );
    // a link still down
    expect(recovered([flow('st-001', true, 19_500), flow('st-002', false, 19_500)], killAt, now, 3000)).toBe(
      false,
    );
    // readings stopped at the kill (the server is away): nothing after it stored
    expect(recovered([flow('st-001', true, 9_900)], killAt, now, 3000)).toBe(false);
    expect(recovered([flow('st-001', true, undefined)], killAt, now, 3000)).toBe(false);
    // stored after the kill, but not flowing any more (the newest is old)
    expect(recovered([flow('st-001', true, 12_000)], killAt, now, 3000)).toBe(false);
  });

  it('stale statuses: server or retained status that disagrees with the agent, each named', () => {
    expect(
      staleStatuses([
        { station: 'st-001', agent: true, server: true, retained: true },
        { station: 'st-002', agent: true, server: false, retained: true },
        { station: 'st-003', agent: true, server: true, retained: null },
        { station: 'st-004', agent: false, server: true, retained: true },
        { station: 'st-005', agent: false, server: false, retained: false },
      ]),
    ).toEqual([
      { station: 'st-002', where: ['server'] },
      { station: 'st-003', where: ['retained'] },
      { station: 'st-004', where: ['server', 'retained'] },
    ]);
  });

  it("the agent's link from its log's changes: the last one counts; a loss inside a window is found", () => {
    const changes = [
      { connected: true, at: 1000 },
      { connected: false, at: 5000 },
      { connected: true, at: 7000 },
    ];
    expect(linkUp(changes)).toBe(true);
    expect(linkUp(changes.slice(0, 2))).toBe(false);
    expect(linkUp(undefined)).toBe(false);
    expect(lostLinkIn(changes, 4000, 6000)).toBe(true);
    expect(lostLinkIn(changes, 5001, 9000)).toBe(false);
  });

  it('established peers from a /proc/net/tcp table: remote port by inode, other states left out', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:A1B2 0100007F:075B 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1',
      '   1: 0100007F:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:C000 0100007F:1F90 06 00000000:00000000 03:00000000 00000000     0        0 0 3',
    ].join('\n');
    expect([...establishedPeers(table)]).toEqual([['4242', 1883]]);
  });

  it('access: every other station through the load balancer, the rest with the node list rotated', () => {
    const nodes = ['mqtt://127.0.0.1:1', 'mqtt://127.0.0.1:2'];
    const lb = 'mqtt://127.0.0.1:9';
    expect([0, 1, 2, 3, 4, 5].map((i) => stationAccess(i, nodes, lb, true))).toEqual([
      lb,
      `${nodes[0]},${nodes[1]}`,
      lb,
      `${nodes[1]},${nodes[0]}`,
      lb,
      `${nodes[0]},${nodes[1]}`,
    ]);
    expect([1, 3].map((i) => stationAccess(i, nodes, lb, false))).toEqual(nodes);
  });

  it('the matrix: every case of issue 16; those needing a part the engine lacks are left out', () => {
    const yizhan = matrix(['node-1', 'node-2', 'redis']).map(([n]) => n);
    expect(yizhan).toEqual([
      'node-1 killed (-9)',
      'node-2 killed (-9)',
      "the server's node killed (-9)",
      'server restarted (SIGTERM)',
      'server killed (-9)',
      'redis killed (-9)',
      'node-1 restarted, then node-2 killed (-9)',
    ]);
    expect(matrix(['node-1', 'node-2']).map(([n]) => n)).not.toContain('redis killed (-9)');
  });
});

describe('reconnectS', () => {
  const at = (connected: boolean, t: number) => ({ connected, at: t });
  it.each([
    ['nobody lost the link', { a: [at(true, 0)] }, null],
    ['the slowest agent back counts', { a: [at(true, 0), at(false, 1_200), at(true, 2_000)], b: [at(true, 0), at(false, 1_100), at(false, 1_900), at(true, 4_400)] }, 3.4],
    ['a loss before the kill does not count', { a: [at(false, 500), at(true, 800)] }, null],
    ['one not back yet', { a: [at(true, 0), at(false, 1_500)] }, undefined],
  ] as const)('%s', (_name, links, want) => {
    expect(reconnectS(new Map(Object.entries(links)), 1_000)).toBe(want);
  });
});
