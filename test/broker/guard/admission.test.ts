/**
 * Admission at accept (broker/src/guard/admission.ts), on sockets that stand in for accepted TCP
 * sockets: which connections are closed, with which reason counted, and when the pre-auth budget
 * frees a place.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission } from '../../../broker/src/guard/admission.js';
import { DropReport } from '../../../broker/src/guard/drops.js';
import { Strikes } from '../../../broker/src/guard/strikes.js';
import { resolveLimits, type LimitsInput } from '../../../broker/src/limits.js';
import { valueOf } from '../../helpers/prom.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string | undefined) {
    super();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

function admission(input: LimitsInput = {}) {
  const limits = resolveLimits({ connectRate: { perSecond: 1_000, burst: 1_000 }, ...input });
  const registry = new Registry();
  const log = pino({ level: 'silent' });
  const report = new DropReport(log, registry, limits.logIntervalMs);
  const strikes = new Strikes(limits, log, registry);
  const a = new Admission(limits, strikes, report, log, registry);
  const admit = (address: string | undefined) => {
    const s = new FakeSocket(address);
    return { s, ok: a.admit(s as unknown as Socket, 'tls') };
  };
  const text = () => registry.metrics();
  const drops = async (reason: string) =>
    valueOf(await text(), 'yizhan_broker_guard_drops_total', { listener: 'tls', reason }) ?? 0;
  const preauth = async () => valueOf(await text(), 'yizhan_broker_preauth_connections');
  return { a, admit, strikes, drops, preauth };
}

afterEach(() => vi.useRealTimers());

describe('Admission', () => {
  it('closes connects beyond the per-address rate, and counts them', async () => {
    const { admit, drops } = admission({ connectRate: { perSecond: 1, burst: 2 } });
    expect(admit('192.0.2.1').ok).toBe(true);
    expect(admit('::ffff:192.0.2.1').ok).toBe(true); // the same address, IPv4-mapped
    const third = admit('192.0.2.1');
    expect(third.ok).toBe(false);
    expect(third.s.destroyed).toBe(true);
    expect(admit('192.0.2.2').ok).toBe(true);
    expect(await drops('connect_rate')).toBe(1);
  });

  it('remembers a connect-rate bucket until it has refilled', () => {
    const { a, admit } = admission({ connectRate: { perSecond: 1, burst: 1 } });
    expect(admit('192.0.2.1').ok).toBe(true);
    a.sweep(Date.now());
    expect(admit('192.0.2.1').ok).toBe(false);
    a.sweep(Date.now() + 1_000);
    expect(admit('192.0.2.1').ok).toBe(true);
  });

  it('closes connections from a banned address and lets trusted addresses through', async () => {
    const { admit, strikes, drops } = admission({
      maxStrikes: 2,
      trustedAddresses: ['10.0.0.1'],
      connectRate: { perSecond: 1, burst: 1 },
    });
    strikes.strike('192.0.2.1', 'failed login');
    strikes.strike('192.0.2.1', 'failed login');
    expect(admit('192.0.2.1').ok).toBe(false);
    expect(await drops('banned')).toBe(1);
    for (let i = 0; i < 5; i++) expect(admit('10.0.0.1').ok).toBe(true);
  });

  it('holds at most maxPreAuthPerAddress unfinished connections per address; a closed one frees its place', async () => {
    const { admit, drops, preauth } = admission({ maxPreAuthPerAddress: 2 });
    const first = admit('192.0.2.1');
    admit('192.0.2.1');
    expect(admit('192.0.2.1').ok).toBe(false);
    expect(await drops('preauth_per_address')).toBe(1);
    expect(await preauth()).toBe(2);
    first.s.destroy();
    expect(await preauth()).toBe(1);
    expect(admit('192.0.2.1').ok).toBe(true);
  });

  it('when the budget is full, closes the oldest of the address holding most to admit another address', async () => {
    const { admit, drops } = admission({ maxPreAuth: 2 });
    const oldest = admit('192.0.2.1');
    const newer = admit('192.0.2.1');
    expect(admit('192.0.2.2').ok).toBe(true);
    expect(oldest.s.destroyed).toBe(true);
    expect(newer.s.destroyed).toBe(false);
    expect(await drops('preauth_evicted')).toBe(1);
  });

  it('closes a connection without a complete CONNECT after the connect timeout, not one settled in time', async () => {
    vi.useFakeTimers();
    const { a, admit, drops, preauth } = admission({ connectTimeoutMs: 1_000 });
    const silent = admit('192.0.2.1');
    const done = admit('192.0.2.2');
    const ticket = a.ticketOf(done.s as unknown as Socket);
    expect(ticket?.address).toBe('192.0.2.2');
    if (ticket) a.settle(ticket);
    vi.advanceTimersByTime(999);
    expect(silent.s.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(silent.s.destroyed).toBe(true);
    expect(done.s.destroyed).toBe(false);
    expect(await drops('connect_timeout')).toBe(1);
    expect(await preauth()).toBe(0);
  });

  it('drops a socket already gone without counting it', async () => {
    const { admit, preauth } = admission();
    const gone = admit(undefined);
    expect(gone.ok).toBe(false);
    expect(gone.s.destroyed).toBe(true);
    expect(await preauth()).toBe(0);
  });
});
