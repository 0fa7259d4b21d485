/**
 * Strikes and bans per address (broker/src/guard/strikes.ts): how many strikes ban, for how long,
 * what the operator sees in the metrics, and that idle addresses are forgotten.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Strikes } from '../../../broker/src/guard/strikes.js';
import { valueOf } from '../../helpers/prom.js';

const limits = { maxStrikes: 3, strikeWindowMs: 1_000, banMs: 5_000, trustedAddresses: ['10.0.0.1'] };

function strikes() {
  const registry = new Registry();
  const s = new Strikes(limits, pino({ level: 'silent' }), registry);
  const metric = async (name: string) => valueOf(await registry.metrics(), name);
  return { s, metric };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

describe('Strikes', () => {
  it('bans an address after maxStrikes within the window, for banMs', async () => {
    const { s, metric } = strikes();
    s.strike('192.0.2.7', 'failed login');
    s.strike('192.0.2.7', 'failed login');
    expect(s.isBanned('192.0.2.7')).toBe(false);
    s.strike('192.0.2.7', 'connect rate');
    expect(s.isBanned('192.0.2.7')).toBe(true);
    expect(s.isBanned('192.0.2.8')).toBe(false);
    expect(await metric('yizhan_broker_bans_total')).toBe(1);
    expect(await metric('yizhan_broker_banned_addresses')).toBe(1);
    vi.setSystemTime(1_000_000 + 5_000);
    expect(s.isBanned('192.0.2.7')).toBe(false);
    expect(await metric('yizhan_broker_banned_addresses')).toBe(0);
  });

  it('does not count strikes older than the window', () => {
    const { s } = strikes();
    s.strike('192.0.2.7', 'x');
    s.strike('192.0.2.7', 'x');
    vi.setSystemTime(1_000_000 + 1_000);
    s.strike('192.0.2.7', 'x');
    expect(s.isBanned('192.0.2.7')).toBe(false);
  });

  it('never bans a trusted address, nor an unknown one', async () => {
    const { s, metric } = strikes();
    for (let i = 0; i < 10; i++) s.strike('10.0.0.1', 'x');
    s.strike(undefined, 'x');
    expect(s.trusted('10.0.0.1')).toBe(true);
    expect(s.isBanned('10.0.0.1')).toBe(false);
    expect(await metric('yizhan_broker_bans_total')).toBe(0);
    expect(s.size).toBe(0);
  });

  it('forgets addresses with no strike in the window and no ban', () => {
    const { s } = strikes();
    s.strike('192.0.2.1', 'x');
    for (let i = 0; i < 3; i++) s.strike('192.0.2.2', 'x');
    s.sweep(Date.now() + 999);
    expect(s.size).toBe(2);
    s.sweep(Date.now() + 1_000);
    expect(s.size).toBe(1); // the banned one stays until its ban ends
    s.sweep(Date.now() + 5_000);
    expect(s.size).toBe(0);
  });
});
