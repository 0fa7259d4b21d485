/** When a station's numbers may be shown as current, by the fleet's dark threshold and the serial link. */
import { describe, expect, it } from 'vitest';
import { freshnessOf } from '../../../server/src/state/freshness.js';
import { DEFAULT_DARK_AFTER_MS } from '../../../server/src/org/fleet.js';
import type { FleetFacts } from '../../../server/src/state/store.js';

const NOW = 1_780_000_000_000;
const facts = (f: Partial<FleetFacts>): FleetFacts => ({
  online: true,
  offlineReason: null,
  heardAt: NOW,
  agentVersion: '1.0.0',
  serialUp: true,
  config: null,
  ...f,
});

describe('freshnessOf', () => {
  it('is live while the station is online, heard within the dark threshold, with its sensors up', () => {
    expect(freshnessOf(facts({ heardAt: NOW - DEFAULT_DARK_AFTER_MS }), NOW, DEFAULT_DARK_AFTER_MS)).toBe(
      'live',
    );
    expect(freshnessOf(facts({ serialUp: null }), NOW, DEFAULT_DARK_AFTER_MS)).toBe('live');
  });

  it('is offline when silent past the threshold, after goodbye or a will, and before any message', () => {
    expect(freshnessOf(facts({ heardAt: NOW - DEFAULT_DARK_AFTER_MS - 1 }), NOW, DEFAULT_DARK_AFTER_MS)).toBe(
      'offline',
    );
    expect(freshnessOf(facts({ online: false }), NOW, DEFAULT_DARK_AFTER_MS)).toBe('offline');
    expect(freshnessOf(facts({ online: false, offlineReason: 'will' }), NOW, DEFAULT_DARK_AFTER_MS)).toBe(
      'offline',
    );
    expect(freshnessOf(facts({ online: null, heardAt: null }), NOW, DEFAULT_DARK_AFTER_MS)).toBe('offline');
    expect(freshnessOf(undefined, NOW, DEFAULT_DARK_AFTER_MS)).toBe('offline');
  });

  it('is stale when the agent is heard but reports its serial link to the sensors down', () => {
    expect(freshnessOf(facts({ serialUp: false }), NOW, DEFAULT_DARK_AFTER_MS)).toBe('stale');
  });
});
