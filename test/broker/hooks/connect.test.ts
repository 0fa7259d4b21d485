/**
 * The CONNECT hooks (broker/src/hooks/connect.ts) in process, against a stand-in credential
 * store: the CONNACK code a client gets (MQTT 3.1.1 §3.2.2.3) and what counts as a strike.
 */
import type { Client, ConnectPacket } from 'aedes';
import { describe, expect, it } from 'vitest';
import type { CredentialStore, VerifyResult } from '../../../broker/src/credential-store.js';
import { connectHooks } from '../../../broker/src/hooks/connect.js';
import { counter, hookContext } from './helpers.js';

const accounts = new Map([
  ['st-001', { username: 'st-001', role: 'station' as const, hash: 'h1' }],
  ['server', { username: 'server', role: 'server' as const, hash: 'h2' }],
]);
const store = {
  get: (name: string) => accounts.get(name),
  verify: (name: string, password: Buffer): Promise<VerifyResult> => {
    const account = accounts.get(name);
    if (!account) return Promise.resolve({ ok: false, reason: 'unknown_user' });
    if (password.toString() !== 'secret') return Promise.resolve({ ok: false, reason: 'bad_password' });
    return Promise.resolve({ ok: true, account, cached: false } as VerifyResult);
  },
} as unknown as CredentialStore;

function setup() {
  const { ctx, report } = hookContext({ keepaliveMinS: 5, keepaliveMaxS: 600 });
  ctx.store = store;
  const strikes: Client[] = [];
  ctx.guard = { loginFailed: (c) => strikes.push(c), addressOf: () => '10.0.0.7' };
  const hooks = connectHooks(ctx, report);
  const connect = (clientId: string, username: string | undefined, password: string | undefined, extra: Partial<ConnectPacket> = {}) => {
    const client = { id: clientId, conn: {} } as unknown as Client;
    const packet = { cmd: 'connect', clientId, keepalive: 60, ...extra } as ConnectPacket;
    return new Promise<{ client: Client; code: number | undefined; ok: boolean | null }>((resolve) =>
      hooks.preConnect(client, packet, () =>
        hooks.authenticate(client, username, password === undefined ? undefined : Buffer.from(password), (err, ok) =>
          resolve({ client, code: err?.returnCode, ok }),
        ),
      ),
    );
  };
  return { ctx, strikes, connect };
}

describe('authenticate', () => {
  it('accepts a station under its own client id and remembers its session', async () => {
    const { ctx, connect } = setup();
    const r = await connect('st-001', 'st-001', 'secret');
    expect(r).toMatchObject({ code: undefined, ok: true });
    expect(ctx.sessions.get(r.client)?.principal).toEqual({ username: 'st-001', role: 'station', clientId: 'st-001' });
  });

  it('answers each refusal with its CONNACK code, counting a strike only for wrong credentials', async () => {
    const { ctx, strikes, connect } = setup();
    expect((await connect('', 'st-001', 'secret')).code).toBe(2); // MQTT-3.1.3-8
    expect((await connect('st-001', 'st-001', 'secret', { keepalive: 0 })).code).toBe(2);
    expect(strikes).toHaveLength(0);
    expect((await connect('st-001', undefined, undefined)).code).toBe(4);
    expect((await connect('st-001', 'st-001', 'wrong')).code).toBe(4);
    expect((await connect('st-009', 'st-009', 'secret')).code).toBe(4); // same answer as a bad password
    expect(strikes).toHaveLength(3);
    expect((await connect('server-main', 'st-001', 'secret')).code).toBe(5); // a station is its own id
    expect((await connect('st-001', 'server', 'secret')).code).toBe(5); // MQTT-3.1.4-2: st-001's session
    expect((await connect('st-001', 'st-001', 'secret', { will: { topic: 'yizhan/v1/stations/st-002/status', payload: Buffer.from('x'), qos: 1, retain: true } })).code).toBe(5);
    expect(await counter(ctx, 'authFailures')).toBe(8);
    expect(await counter(ctx, 'authFailures', { reason: 'client_id_reserved' })).toBe(1);
  });
});
