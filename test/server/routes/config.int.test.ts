/**
 * Remote config round trip: server API (PUT with a personal API token, or the deprecated shared
 * token) → retained config/desired → edge
 * agent → CONFIG_SET frames → simulated controller (ACK/NAK) → config/reported → server live state
 * → GET shows desired vs reported. Real broker, real influxd, real agent; the controller is the
 * simulator on an in-memory serial pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@yizhan/edge/agent';
import { mockPathFor, PairedMockBinding } from '../../../edge/src/serial/mock-pair.js';
import { StationSimulator } from '@yizhan/edge/simulator';
import type { StationConfig } from '@yizhan/station-config/schema';
import pino from 'pino';
import { startStack, type Stack } from '../helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';
import { addTestUser, tokenHeaders } from '../auth-helpers.js';

/** The deprecated shared YIZHAN_API_TOKEN: still accepted for config writes. */
const TOKEN = 'test-token-3f9c';
/** A crew lead of the station's township (城关镇), with a personal token for reads and writes. */
let lead: Record<string, string>;
// The server and the agent know a sensor on channel 4 that the controller does not have: the
// controller refuses to switch it (NAK), which is how a real controller answers a wrong channel.
const station: StationConfig = stationFixture('st-041');
station.sensors.push({ channel: 4, id: 'ambient-2', kind: 'ambient_temp' });
const controllerConfig = stationFixture('st-041');

let stack: Stack;
let server: Stack['server'];
let agent: Agent;
let sim: StationSimulator;
let pub: Stack['pub'];

interface View {
  desired: { version: number; config: Record<string, unknown> } | null;
  reported: {
    version: number;
    status: string;
    reason: string | null;
    applied: Record<string, unknown>;
  } | null;
  inSync: boolean | null;
}

beforeAll(async () => {
  stack = await startStack({ stations: [station], apiToken: TOKEN });
  ({ server, pub } = stack);
  const user = await addTestUser(server.app, [{ role: 'crew_lead', scope: '城关镇' }]);
  lead = await tokenHeaders(server.app, user, ['station:read', 'config:write']);
  const path = mockPathFor(station.id);
  sim = new StationSimulator(controllerConfig, { speed: 10, seed: 2, tickMs: 50 });
  await sim.attachToPath(path, { binding: PairedMockBinding });
  sim.start();
  agent = await startAgent({
    station,
    mqttUrl: stack.broker.url,
    password: 'x',
    serialPath: path,
    binding: PairedMockBinding,
    logger: pino({ level: 'silent' }),
    healthIntervalMs: 60_000,
  });
  await waitFor('config API ready', async () => {
    const r = await put({ readingIntervalS: 10 }, 'Bearer nope');
    return r.status === 401;
  });
}, 60_000);

afterAll(async () => {
  await agent.stop();
  await sim.stop();
  await stack.close();
});

/** `auth` '' sends no Authorization header. */
function put(body: unknown, auth = `Bearer ${TOKEN}`): Promise<Response> {
  return fetch(`${server.url}/api/v1/stations/${station.id}/config?lang=en`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
}
async function view(): Promise<View> {
  const r = await fetch(`${server.url}/api/v1/stations/${station.id}/config`, { headers: lead });
  return (await r.json()) as View;
}

describe('config API', () => {
  it.each([
    { auth: '', what: 'no token' },
    { auth: 'Bearer wrong', what: 'a wrong token' },
    { auth: `Basic ${TOKEN}`, what: 'not a bearer token' },
  ])('refuses a write with $what (401 login_required) and changes nothing', async ({ auth }) => {
    const r = await put({ readingIntervalS: 5 }, auth);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('login_required');
    expect((await view()).desired).toBeNull();
    // Never sent a config: nothing to be in sync with (not "out of sync").
    expect((await view()).inSync).toBeNull();
  });

  it('applied: desired published, controller ACKs, reported applied, desired = reported', async () => {
    // 503 config_not_ready until the retained desired configs have been read: a client retries.
    const r = await waitFor('PUT accepted', async () => {
      const x = await put({ readingIntervalS: 2, sensorsEnabled: { 'socket-2': false } });
      return x.status === 503 ? undefined : x;
    });
    expect(r.status).toBe(202);
    const v0 = (await r.json()) as View;
    expect(v0.desired?.version).toBe(1);
    const v = await waitFor('reported applied', async () => {
      const x = await view();
      return x.inSync ? x : undefined;
    });
    expect(v.reported).toMatchObject({ version: 1, status: 'applied', reason: null });
    expect(v.reported?.applied).toEqual({ readingIntervalS: 2, sensorsEnabled: { 'socket-2': false } });
    const s = sim.snapshot().settings;
    expect(s.readingIntervalS).toBe(2);
    expect([...s.disabled]).toEqual([11]);
    expect(agent.health().config.version).toBe(1);
  });

  it.each([
    { body: { readingIntervalS: 0 }, detail: /readingIntervalS/ },
    { body: { readingIntervalS: 'fast' }, detail: /readingIntervalS/ },
    { body: { sensorsEnabled: { 'socket-99': false } }, detail: /socket-99/ },
    { body: { colour: 'red' }, detail: /colour/ },
  ])('rejected by the API (400) with the reason: $body', async ({ body, detail }) => {
    const r = await put(body);
    expect(r.status).toBe(400);
    const e = ((await r.json()) as { error: { code: string; message: string } }).error;
    expect(e.code).toBe('invalid_config');
    expect(e.message).toMatch(detail);
    expect((await view()).desired?.version).toBe(1);
  });

  it('rejected by the agent (invalid desired on the broker): reported with reason, previous config stays', async () => {
    await pub.pub(
      station.id,
      'config/desired',
      { v: 1, version: 7, ts: Date.now(), config: { doorStuckS: 1 } },
      { retain: true },
    );
    const v = await waitFor('reported rejected', async () => {
      const x = await view();
      return x.reported?.status === 'rejected' ? x : undefined;
    });
    expect(v.reported?.version).toBe(7);
    expect(v.reported?.reason).toMatch(/^invalid: .*doorStuckS/);
    expect(v.reported?.applied).toEqual({ readingIntervalS: 2, sensorsEnabled: { 'socket-2': false } });
    expect(sim.snapshot().settings.doorStuckS).toBe(180);
  });

  it('rejected by the controller (NAK): reported with the key and reason, earlier keys of the round rolled back', async () => {
    const r = await put({ doorStuckS: 60, sensorsEnabled: { 'ambient-2': false } });
    expect(r.status).toBe(202);
    const version = ((await r.json()) as View).desired?.version ?? 0;
    expect(version).toBeGreaterThan(7);
    const v = await waitFor('reported rejected by NAK', async () => {
      const x = await view();
      return x.reported?.version === version ? x : undefined;
    });
    expect(v.reported?.status).toBe('rejected');
    expect(v.reported?.reason).toBe(
      `controller refused sensorsEnabled.ambient-2=${4 << 8}: value_out_of_range`,
    );
    expect(v.inSync).toBe(false);
    // door_stuck_s was set to 60 (ACK) before the NAK, then put back.
    await waitFor('door_stuck_s restored', () => sim.snapshot().settings.doorStuckS === 180);
    expect(v.reported?.applied).toEqual({ readingIntervalS: 2, sensorsEnabled: { 'socket-2': false } });
  });

  it('controller reboot (new HELLO): the agent applies the saved config again', async () => {
    await sim.stop();
    sim = new StationSimulator(controllerConfig, { speed: 10, seed: 3, tickMs: 50 });
    await sim.attachToPath(mockPathFor(station.id), { binding: PairedMockBinding });
    expect(sim.snapshot().settings.readingIntervalS).toBe(10);
    sim.start();
    await waitFor(
      'settings back on the rebooted controller',
      () => sim.snapshot().settings.readingIntervalS === 2,
    );
    expect(sim.snapshot().settings.disabled.has(11)).toBe(true);
  });
});

describe('config API with personal tokens', () => {
  it('a crew lead of the township writes with a token; the write is audited with before and after', async () => {
    const before = (await view()).desired;
    const r = await fetch(`${server.url}/api/v1/stations/${station.id}/config`, {
      method: 'PUT',
      headers: { ...lead, 'content-type': 'application/json' },
      body: JSON.stringify({ readingIntervalS: 3 }),
    });
    expect(r.status).toBe(202);
    const after = ((await r.json()) as View).desired;
    const rows = await server.app.ops.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'config.put')
      .orderBy('id', 'desc')
      .execute();
    expect(rows[0]).toMatchObject({ target: `station:${station.id}`, township: '城关镇' });
    expect(JSON.parse(rows[0]?.before_json ?? 'null')).toEqual({
      version: before?.version,
      config: before?.config,
    });
    expect(JSON.parse(rows[0]?.after_json ?? 'null')).toEqual({
      version: after?.version,
      config: { readingIntervalS: 3 },
    });
    // Every accepted PUT of this file has its entry (the shared token's ones have no user).
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    {
      who: 'a crew lead of another township',
      grant: 'xintang',
      scopes: ['station:read', 'config:write'],
      code: 'forbidden_township',
    },
    { who: 'a token without config:write', grant: '城关镇', scopes: ['station:read'], code: 'forbidden' },
  ] as const)('refuses $who (403 $code) and publishes nothing', async ({ grant, scopes, code }) => {
    const version = (await view()).desired?.version;
    const u = await addTestUser(server.app, [{ role: 'crew_lead', scope: grant }]);
    const h = await tokenHeaders(server.app, u, scopes);
    const r = await fetch(`${server.url}/api/v1/stations/${station.id}/config`, {
      method: 'PUT',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ readingIntervalS: 4 }),
    });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe(code);
    expect((await view()).desired?.version).toBe(version);
  });

  it('reads need a login too (401 without one)', async () => {
    expect((await fetch(`${server.url}/api/v1/stations/${station.id}/config`)).status).toBe(401);
  });
});
