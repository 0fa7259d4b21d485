/**
 * MQTT v1 contracts: every payload schema through decodePayloadFor (valid examples pass
 * unchanged; each kind of bad input is refused with a stable reason and a message that names
 * the offending path), the examples printed in docs/protocol/mqtt-v1.md, and the topic tree.
 */
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allStationsFilter,
  decodePayloadFor,
  MAX_PAYLOAD_BYTES,
  parseStationTopic,
  STATION_PUBLISH_LEAVES,
  STATION_SUBSCRIBE_LEAVES,
  stationTopic,
  TopicLeaf,
  type PayloadError,
  type TopicLeafValue,
} from '@yizhan/protocol';
import { baseFor, VALID_PAYLOADS } from './fixtures/mqtt-examples.js';

const LEAVES = Object.values(TopicLeaf);
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

function refused(leaf: TopicLeafValue, raw: Buffer): PayloadError {
  const r = decodePayloadFor(leaf, raw);
  if (r.ok) throw new Error(`${leaf}: payload was accepted: ${raw.toString('utf8').slice(0, 200)}`);
  return r.error;
}

/** Set (or with `undefined`, delete) the value at a JSON-pointer path like "/readings/0/kind". */
function withValue(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('/').slice(1);
  const last = keys.pop();
  if (last === undefined) throw new Error(`bad path ${path}`);
  let node = obj;
  for (const k of keys) node = node[k] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return obj;
}

describe('valid payloads', () => {
  const cases = LEAVES.flatMap((leaf) => VALID_PAYLOADS[leaf].map((c) => ({ leaf, ...c })));
  it.each(cases)('$leaf: $name is accepted unchanged', ({ leaf, payload }) => {
    expect(decodePayloadFor(leaf, json(payload))).toStrictEqual({ ok: true, value: payload });
  });
});

describe.each(LEAVES)('bad input on %s', (leaf) => {
  it('not JSON → not_json', () => {
    const e = refused(leaf, json(baseFor(leaf)).subarray(0, 20));
    expect(e.reason).toBe('not_json');
    expect(e.message).toMatch(/^payload is not JSON: /);
  });

  it('not UTF-8 → not_utf8', () => {
    const raw = json(baseFor(leaf));
    raw[raw.indexOf('"', 2) + 1] = 0xff; // inside the first string
    expect(refused(leaf, raw)).toStrictEqual({ reason: 'not_utf8', message: 'payload is not valid UTF-8' });
  });

  it(`larger than ${MAX_PAYLOAD_BYTES} bytes → too_large, before any parsing`, () => {
    const raw = Buffer.concat([Buffer.from('['), Buffer.alloc(MAX_PAYLOAD_BYTES, 0x20), Buffer.from(']')]);
    expect(refused(leaf, raw)).toStrictEqual({
      reason: 'too_large',
      message: `payload of ${MAX_PAYLOAD_BYTES + 2} bytes > ${MAX_PAYLOAD_BYTES}`,
    });
  });

  it.each([
    ['a JSON array', [1, 2], '/: Expected object'],
    ['JSON null', null, '/: Expected object'],
    ['a JSON string', 'online', '/: Expected object'],
  ])('%s → schema at the root', (_what, value, message) => {
    expect(refused(leaf, json(value))).toStrictEqual({ reason: 'schema', message });
  });

  it.each([
    ['missing v', undefined, '/v: Expected required property'],
    ['v = 2', 2, '/v: Expected 1'],
    ['v = "1"', '1', '/v: Expected 1'],
  ])('%s → schema naming /v', (_what, v, message) => {
    const e = refused(leaf, json(withValue(baseFor(leaf), '/v', v)));
    expect(e.reason).toBe('schema');
    expect(e.message).toContain(message);
  });

  it('an unknown key → schema naming that key', () => {
    const e = refused(leaf, json({ ...baseFor(leaf), colour: 'red' }));
    expect(e).toStrictEqual({ reason: 'schema', message: '/colour: Unexpected property' });
  });

  it('a negative ts → schema naming /ts', () => {
    const e = refused(leaf, json(withValue(baseFor(leaf), '/ts', -1)));
    expect(e.reason).toBe('schema');
    expect(e.message).toContain('/ts: Expected integer to be greater or equal to 0');
  });
});

/** [leaf, what is wrong, JSON-pointer path to change, new value (undefined = remove), path the message must name] */
type Case = [TopicLeafValue, string, string, unknown, string?];
const hello = {
  type: 'hello',
  firmware: '1.2.3',
  boardId: 'YZC-0001',
  sensors: [{ channel: 256, kind: 'door' }],
};
const SCHEMA_CASES: Case[] = [
  ['telemetry', 'upper-case station id', '/stationId', 'ST-001'],
  ['telemetry', 'station id with "_"', '/stationId', 'st_001'],
  ['telemetry', 'station id too short', '/stationId', 'st'],
  ['telemetry', 'station id with a trailing newline', '/stationId', 'st-001\n'],
  ['telemetry', 'bootId too short', '/bootId', 'abc'],
  ['telemetry', 'negative seq', '/seq', -1],
  ['telemetry', 'fractional seq', '/seq', 1.5],
  ['telemetry', 'seq beyond 2^53', '/seq', 2 ** 53],
  ['telemetry', 'ts as a date string', '/ts', '2024-11-28T08:00:00Z'],
  ['telemetry', 'no readings', '/readings', []],
  [
    'telemetry',
    '201 readings',
    '/readings',
    Array.from({ length: 201 }, () => ({ sensor: 'door', kind: 'door', value: 0 })),
  ],
  ['telemetry', 'unknown sensor kind', '/readings/0/kind', 'dor'],
  ['telemetry', 'upper-case sensor id', '/readings/0/sensor', 'Door'],
  ['telemetry', 'value as a string', '/readings/0/value', '1'],
  ['telemetry', 'a reading with a unit', '/readings/0/unit', 'W'],
  ['telemetry', 'missing readings', '/readings', undefined],
  ['telemetry', 'historical as a string', '/historical', 'yes'],
  ['status', 'unknown state', '/state', 'gone'],
  ['status', 'agentVersion of 33 characters', '/agentVersion', 'x'.repeat(33)],
  ['status', 'a seq (status has none)', '/seq', 1],
  ['events', 'unknown event type', '/event/type', 'alarm'],
  [
    'events',
    'unknown fault name',
    '/event',
    { type: 'fault', sensor: 'heater', fault: 'on_fire', active: true },
    '/event/fault',
  ],
  [
    'events',
    'fault active as 1',
    '/event',
    { type: 'fault', sensor: 'heater', fault: 'heater_failure', active: 1 },
    '/event/active',
  ],
  ['events', 'hello firmware "1.2"', '/event', { ...hello, firmware: '1.2', sensors: [] }, '/event/firmware'],
  ['events', 'hello channel 256', '/event', hello, '/event/sensors/0/channel'],
  ['events', 'state event without value', '/event/value', undefined],
  ['events', 'missing event', '/event', undefined],
  ['health', 'unknown serial state', '/serial/state', 'sideways'],
  ['health', 'negative drop counter', '/serial/framesBad/bad_crc', -2],
  ['health', 'negative lastFrameAgeMs', '/serial/lastFrameAgeMs', -1],
  ['health', 'fractional rssBytes', '/rssBytes', 1.5],
  ['health', 'missing serial', '/serial', undefined],
  ['health', 'unknown spool field', '/spool/size', 1],
  ['config/desired', 'water setpoint 120 °C', '/config/waterSetpointC', 120],
  ['config/desired', 'reading interval 0 s', '/config/readingIntervalS', 0],
  ['config/desired', 'door stuck after 5 s', '/config/doorStuckS', 5],
  ['config/desired', 'version 0', '/version', 0],
  ['config/desired', 'unknown setting', '/config/fanSpeed', 3],
  ['config/desired', 'sensorsEnabled key that is no sensor id', '/config/sensorsEnabled/Socket 3', false],
  ['config/desired', 'sensorsEnabled value "no"', '/config/sensorsEnabled/socket-3', 'no'],
  ['config/desired', 'a station id (the topic carries it)', '/stationId', 'st-001'],
  ['config/reported', 'unknown status', '/status', 'done'],
  ['config/reported', 'negative version', '/version', -1],
  ['config/reported', 'missing applied', '/applied', undefined],
  ['config/reported', 'reason of 257 characters', '/reason', 'x'.repeat(257)],
  ['cmd', 'unknown command', '/name', 'format_disk'],
  ['cmd', 'id with a space', '/id', 'c 1'],
  ['cmd', 'empty id', '/id', ''],
  ['cmd/result', 'missing ok', '/ok', undefined],
  ['cmd/result', 'error of 257 characters', '/error', 'x'.repeat(257)],
];

describe('schema violations name the path', () => {
  it.each(SCHEMA_CASES)('%s: %s', (leaf, _what, path, value, named = path) => {
    const e = refused(leaf, json(withValue(baseFor(leaf), path, value)));
    expect(e.reason).toBe('schema');
    expect(e.message).toContain(`${named}: `);
    expect(e.message).not.toMatch(/union value/);
  });

  it('a union of literals lists the allowed values', () => {
    const e = refused('telemetry', json(withValue(baseFor('telemetry'), '/readings/0/kind', 'dor')));
    expect(e.message).toBe(
      '/readings/0/kind: expected one of "door", "occupancy", "socket_state", "socket_power", "water_temp", "heater", "water_level", "ambient_temp", got "dor"',
    );
  });

  it('an unknown event type lists the event types', () => {
    const e = refused('events', json(withValue(baseFor('events'), '/event/type', 'alarm')));
    expect(e.message).toBe('/event/type: expected one of "state", "fault", "hello", got "alarm"');
  });

  it('a "__proto__" key is refused, not merged', () => {
    const raw = Buffer.from(JSON.stringify(baseFor('cmd')).replace('{', '{"__proto__":{"v":1},'));
    expect(refused('cmd', raw)).toStrictEqual({
      reason: 'schema',
      message: '/__proto__: Unexpected property',
    });
  });

  it('a value that overflows to Infinity is refused', () => {
    const raw = Buffer.from(JSON.stringify(baseFor('telemetry')).replace('"value":0', '"value":1e400'));
    expect(refused('telemetry', raw).message).toContain('/readings/0/value: Expected number');
  });

  it('reports at most 10 problems', () => {
    const e = refused('health', json({ colour: 1, size: 2 }));
    expect(e.message.split('; ').length).toBeLessThanOrEqual(10);
  });
});

describe('examples in docs/protocol/mqtt-v1.md', () => {
  const file = new URL('../../docs/protocol/mqtt-v1.md', import.meta.url);
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const examples = [...doc.matchAll(/<!-- example: ([a-z/]+) -->\s*```json\n([\s\S]*?)```/g)].map((m) => ({
    leaf: m[1] as TopicLeafValue,
    text: m[2] ?? '',
  }));

  it('show at least one example per topic leaf', () => {
    expect(new Set(examples.map((e) => e.leaf))).toStrictEqual(new Set(LEAVES));
  });
  it.each(examples)('the $leaf example is a valid payload', ({ leaf, text }) => {
    const r = decodePayloadFor(leaf, Buffer.from(text));
    expect(r.ok ? 'ok' : r.error.message).toBe('ok');
  });
});

describe('topics', () => {
  it.each(LEAVES)('stationTopic and parseStationTopic agree on %s', (leaf) => {
    const topic = stationTopic('st-001', leaf);
    expect(topic).toBe(`yizhan/v1/stations/st-001/${leaf}`);
    expect(parseStationTopic(topic)).toStrictEqual({ stationId: 'st-001', leaf });
  });

  it('any valid station id and leaf round-trips', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{2,31}$/), fc.constantFrom(...LEAVES), (id, leaf) => {
        expect(parseStationTopic(stationTopic(id, leaf))).toStrictEqual({ stationId: id, leaf });
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['empty', ''],
    ['the root only', 'yizhan/v1/stations'],
    ['no leaf', 'yizhan/v1/stations/st-001'],
    ['empty leaf', 'yizhan/v1/stations/st-001/'],
    ['unknown leaf', 'yizhan/v1/stations/st-001/metrics'],
    ['leaf with a trailing slash', 'yizhan/v1/stations/st-001/status/'],
    ['extra level', 'yizhan/v1/stations/st-001/telemetry/extra'],
    ['half of a two-level leaf', 'yizhan/v1/stations/st-001/config'],
    ['another version', 'yizhan/v2/stations/st-001/status'],
    ['another root', 'other/v1/stations/st-001/status'],
    ['leading slash', '/yizhan/v1/stations/st-001/status'],
    ['upper-case id', 'yizhan/v1/stations/ST-001/status'],
    ['id starting with a digit', 'yizhan/v1/stations/1st/status'],
    ['id too short', 'yizhan/v1/stations/st/status'],
    ['id of 33 characters', `yizhan/v1/stations/s${'t'.repeat(32)}/status`],
    ['empty id', 'yizhan/v1/stations//status'],
    ['single-level wildcard', 'yizhan/v1/stations/+/status'],
    ['multi-level wildcard', 'yizhan/v1/stations/#'],
    ['upper-case leaf', 'yizhan/v1/stations/st-001/STATUS'],
  ])('%s is not a station topic', (_what, topic) => {
    expect(parseStationTopic(topic)).toBeUndefined();
  });

  it('allStationsFilter uses a single-level wildcard for the station id', () => {
    expect(allStationsFilter(TopicLeaf.telemetry)).toBe('yizhan/v1/stations/+/telemetry');
    expect(allStationsFilter(TopicLeaf.cmdResult)).toBe('yizhan/v1/stations/+/cmd/result');
  });

  it('station ACL: publishes what the edge sends, subscribes to what the server sends, nothing in both', () => {
    expect([...STATION_PUBLISH_LEAVES].sort()).toStrictEqual([
      'cmd/result',
      'config/reported',
      'events',
      'health',
      'status',
      'telemetry',
    ]);
    expect([...STATION_SUBSCRIBE_LEAVES].sort()).toStrictEqual(['cmd', 'config/desired']);
    expect([...STATION_PUBLISH_LEAVES, ...STATION_SUBSCRIBE_LEAVES].sort()).toStrictEqual([...LEAVES].sort());
  });
});
