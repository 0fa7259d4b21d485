/**
 * The Ingestor's dedupe waits for the group commit of its line log: a message is a duplicate only
 * once its lines were made durable (the resend through a broker and InfluxDB: redelivery.int.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../server/src/metrics.js';
import type { LineLog } from '../../../server/src/ingest/redelivery.js';
import { FakeStation, ingestorFor, metric } from '../helpers.js';

const TOPIC = 'yizhan/v1/stations/st-001/telemetry';


/** A log whose group commits the test decides. */
class FakeLog implements LineLog {
  end = 0;
  refusedLines = 0;
  private listeners: ((offset: number, ok: boolean) => void)[] = [];
  writes: string[][] = [];
  write = (lines: readonly string[]): void => {
    this.writes.push([...lines]);
    this.end += 100;
  };
  flush = async (): Promise<void> => {};
  close = async (): Promise<void> => {};
  onDurable(l: (offset: number, ok: boolean) => void): void {
    this.listeners.push(l);
  }
  /** A group commit up to `offset` (default: everything written). */
  commit(ok: boolean, offset = this.end): void {
    for (const l of this.listeners) l(offset, ok);
  }
}

describe('Ingestor dedupe waits for the group commit', () => {
  function setup() {
    const metrics = createMetrics({ defaultMetrics: false });
    const fake = new FakeLog();
    let observed = 0;
    const ingestor = ingestorFor(fake, metrics, () => observed++);
    const payload = Buffer.from(
      JSON.stringify(
        new FakeStation('st-001').telemetry([{ sensor: 'ambient', kind: 'ambient_temp', value: 21.5 }]),
      ),
    );
    const duplicates = async () => metric(await metrics.registry.metrics(), 'yizhan_ingest_duplicates_total');
    return { ingestor, fake, payload, duplicates, observed: () => observed };
  }

  it('a failed sync: the resend is written again; once a sync succeeded, the next copy is a duplicate', async () => {
    const { ingestor, fake, payload, duplicates } = setup();
    ingestor.handle(TOPIC, payload);
    fake.commit(false);
    ingestor.handle(TOPIC, payload);
    expect(fake.writes).toHaveLength(2);
    fake.commit(true);
    ingestor.handle(TOPIC, payload);
    expect(fake.writes).toHaveLength(2);
    expect(await duplicates()).toBe(1);
  });

  it('a copy that arrives before the sync is known: a duplicate for live state, but its lines are written again (its own PUBACK waits for them)', async () => {
    const { ingestor, fake, payload, duplicates, observed } = setup();
    ingestor.handle(TOPIC, payload);
    ingestor.handle(TOPIC, payload);
    expect(fake.writes).toHaveLength(2);
    expect(observed()).toBe(1);
    expect(await duplicates()).toBe(1);
    // The first copy's sync fails; the second copy's lines are in a later one that succeeds.
    fake.commit(false, 100);
    ingestor.handle(TOPIC, payload);
    expect(fake.writes).toHaveLength(3); // still unsettled: written again
    fake.commit(true);
    ingestor.handle(TOPIC, payload);
    expect(fake.writes).toHaveLength(3);
    expect(observed()).toBe(1);
    expect(await duplicates()).toBe(3);
  });
});
