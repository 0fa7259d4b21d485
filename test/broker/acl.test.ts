import { describe, expect, it } from 'vitest';
import { checkPublish, checkSubscribe, checkWill, clientIdOwner, type DenyReason, type Principal } from '../../broker/src/acl.js';
import { STATION_PUBLISH_LEAVES, STATION_SUBSCRIBE_LEAVES, TopicLeaf, stationTopic } from '@yizhan/protocol';

const st1: Principal = { username: 'st-001', role: 'station', clientId: 'st-001' };
const server: Principal = { username: 'server', role: 'server', clientId: 'server' };
const operator: Principal = { username: 'ops', role: 'operator', clientId: 'ops' };
const T = (id: string, leaf: string): string => `yizhan/v1/stations/${id}/${leaf}`;

type Row = [who: Principal, topic: string, retain: boolean, expected: 'ok' | DenyReason];

describe('publish rules', () => {
  const rows: Row[] = [
    // a station: its own publish leaves only
    ...STATION_PUBLISH_LEAVES.map((leaf): Row => [st1, stationTopic('st-001', leaf), leaf === 'status', 'ok']),
    [st1, T('st-001', 'config/desired'), true, 'leaf_not_allowed'],
    [st1, T('st-001', 'cmd'), false, 'leaf_not_allowed'],
    [st1, T('st-002', 'telemetry'), false, 'other_station'],
    [st1, T('st-002', 'status'), true, 'other_station'],
    [st1, T('st-001', 'unknown-leaf'), false, 'outside_tree'],
    [st1, T('st-001', 'telemetry/extra'), false, 'outside_tree'],
    [st1, 'yizhan/v1/stations/st-001', false, 'outside_tree'],
    [st1, 'other/topic', false, 'outside_tree'],
    [st1, '$SYS/broker/clients', false, 'reserved_topic'],
    [st1, '$share/x/y', false, 'reserved_topic'],
    // the server: desired config and commands of any station
    [server, T('st-001', 'config/desired'), true, 'ok'],
    [server, T('st-047', 'cmd'), false, 'ok'],
    [server, T('st-001', 'cmd'), true, 'retain_not_allowed'],
    [server, T('st-001', 'status'), true, 'leaf_not_allowed'],
    [server, T('st-001', 'telemetry'), false, 'leaf_not_allowed'],
    [server, T('ST-1', 'cmd'), false, 'outside_tree'],
    [server, '$SYS/x', false, 'reserved_topic'],
    // operators: same as the server
    [operator, T('st-003', 'cmd'), false, 'ok'],
    [operator, T('st-003', 'health'), false, 'leaf_not_allowed'],
  ];
  it.each(rows.map(([who, ...rest]) => [who.username, ...rest, who] as const))('%s publishes %s (retain %s) → %s', (_name, topic, retain, expected, who) => {
    const d = checkPublish(who, topic, retain);
    expect(d.ok ? 'ok' : d.reason).toBe(expected);
  });
});

describe('subscribe rules', () => {
  const rows: [Principal, string, 'ok' | DenyReason][] = [
    ...STATION_SUBSCRIBE_LEAVES.map((leaf): [Principal, string, 'ok'] => [st1, stationTopic('st-001', leaf), 'ok']),
    [st1, '#', 'wildcard_not_allowed'],
    [st1, 'yizhan/v1/stations/st-001/#', 'wildcard_not_allowed'],
    [st1, 'yizhan/v1/stations/+/cmd', 'wildcard_not_allowed'],
    [st1, T('st-002', 'cmd'), 'other_station'],
    [st1, T('st-001', 'telemetry'), 'leaf_not_allowed'],
    [st1, '$SYS/#', 'reserved_topic'],
    [server, 'yizhan/v1/stations/+/telemetry', 'ok'],
    [server, 'yizhan/v1/stations/#', 'ok'],
    [server, T('st-001', 'status'), 'ok'],
    [server, 'yizhan/v1/stations/st-001/#', 'ok'],
    [server, '#', 'wildcard_not_allowed'],
    [server, '+/#', 'wildcard_not_allowed'],
    [server, 'yizhan/#', 'wildcard_not_allowed'],
    [server, 'yizhan/v1/+/st-001/status', 'wildcard_not_allowed'],
    [server, 'yizhan/v2/stations/#', 'outside_tree'],
    [server, 'yizhan/v1/stations/NOT_AN_ID/status', 'outside_tree'],
    [server, '$SYS/#', 'reserved_topic'],
    [operator, 'yizhan/v1/stations/+/events', 'ok'],
    [operator, '#', 'wildcard_not_allowed'],
  ];
  it.each(rows.map(([who, ...rest]) => [who.username, ...rest, who] as const))('%s subscribes %s → %s', (_name, filter, expected, who) => {
    const d = checkSubscribe(who, filter);
    expect(d.ok ? 'ok' : d.reason).toBe(expected);
  });
});

describe('will rules', () => {
  const rows: [Principal, string, 'ok' | DenyReason][] = [
    [st1, stationTopic('st-001', TopicLeaf.status), 'ok'],
    [st1, stationTopic('st-002', TopicLeaf.status), 'will_not_allowed'],
    [st1, stationTopic('st-001', TopicLeaf.telemetry), 'will_not_allowed'],
    [st1, '$SYS/x', 'reserved_topic'],
    [server, stationTopic('st-001', TopicLeaf.status), 'will_not_allowed'],
    [operator, stationTopic('st-001', TopicLeaf.cmd), 'will_not_allowed'],
  ];
  it.each(rows.map(([who, ...rest]) => [who.username, ...rest, who] as const))('%s leaves a will on %s → %s', (_name, topic, expected, who) => {
    const d = checkWill(who, { topic, retain: true });
    expect(d.ok ? 'ok' : d.reason).toBe(expected);
  });
});

describe('retain only where the protocol keeps state', () => {
  it.each(['telemetry', 'events', 'health', 'cmd/result'])('a station publishing %s with retain: allowed, flag stripped', (leaf) => {
    expect(checkPublish(st1, T('st-001', leaf), true)).toEqual({ ok: true, stripRetain: true });
    expect(checkPublish(st1, T('st-001', leaf), false)).toEqual({ ok: true });
  });
  it.each(['status', 'config/reported'])('a station publishing %s with retain: kept', (leaf) => {
    expect(checkPublish(st1, T('st-001', leaf), true)).toEqual({ ok: true });
  });
});

describe('client ids belong to one account', () => {
  const accounts = new Set(['server', 'ops', 'yizhan', 'yizhan-server', 'st-001']);
  const owner = (id: string) => clientIdOwner(id, (u) => accounts.has(u));
  it.each([
    ['server', 'server'],
    ['server-main', 'server'],
    ['server-main-2', 'server'],
    ['ops-laptop', 'ops'],
    ['yizhan-server', 'yizhan-server'],
    ['yizhan-server-2', 'yizhan-server'],
    ['yizhan-ops', 'yizhan'],
    ['st-001', 'st-001'],
    ['st-002', undefined],
    ['laptop', undefined],
    ['-server', undefined],
    ['serverx', undefined],
  ])('%s → %s', (id, expected) => {
    expect(owner(id)).toBe(expected);
  });
});
