/**
 * The clock check of agent_health needs when the server received a health report: ingest stamps
 * every health observation with its receive time (`receivedAt`), next to the agent's own `ts`.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { stationTopic } from '@yizhan/protocol';
import { StationRegistry } from '../../../../server/src/registry.js';
import { StateStore } from '../../../../server/src/state/store.js';
import { createMetrics } from '../../../../server/src/metrics.js';
import { Ingestor } from '../../../../server/src/ingest/ingest.js';
import type { Observation } from '../../../../server/src/state/observation.js';
import { stationFixture } from '../../../helpers/station.js';
import { health } from '../../serial-link-fixtures.js';

describe('ingest → agent_health', () => {
  it('a health observation carries the server receive time beside the agent clock', () => {
    const registry = new StationRegistry([stationFixture('st-001')]);
    const seen: Observation[] = [];
    const ing = new Ingestor({
      registry,
      store: new StateStore(registry),
      metrics: createMetrics({ defaultMetrics: false }),
      log: pino({ level: 'silent' }),
      listener: { observe: (_id, obs) => seen.push(...obs) },
      sink: { write: () => {}, flush: async () => {}, close: async () => {} },
    });
    const before = Date.now();
    const agentTs = before - 5 * 60_000; // the agent's clock 5 min behind
    const report = { ...health(0, 'up', {}, 1), ts: agentTs };
    ing.handle(stationTopic('st-001', 'health'), Buffer.from(JSON.stringify(report)));
    const after = Date.now();
    const h = seen.find((o) => o.type === 'health');
    expect(h).toMatchObject({ type: 'health', ts: agentTs });
    const receivedAt = h?.type === 'health' ? h.receivedAt : undefined;
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeLessThanOrEqual(after);
  });
});
