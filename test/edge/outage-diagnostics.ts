/**
 * Diagnostics for the field tests: when InfluxDB lacks readings a station sent, say which frame is
 * missing and where it stopped — never published (a hole in the agent's seq at the broker), published
 * but not stored (no point at its ts), or overwritten (two messages of the station with one ts).
 */
import { parseStationTopic } from '@yizhan/protocol';

/** A station message as the broker accepted it (every publish, replays included). */
export interface BrokerMsg {
  station: string;
  leaf: string;
  bootId: string;
  seq: number;
  ts: number;
  /** Sensor points it becomes (telemetry readings, state events). */
  points: number;
  sensors: string[];
  historical: boolean;
  /** Wall time the broker accepted it. */
  at: number;
}

/** A frame a simulated controller sent: wall time, points it becomes, frame type. */
export interface SentFrame {
  at: number;
  n: number;
  type: string;
}

/** Records every station message the broker accepts; pass `onPublish` to the broker. */
export class BrokerLog {
  readonly msgs: BrokerMsg[] = [];
  readonly onPublish = (topic: string, payload: Buffer, _clientId: string): void => {
    const t = parseStationTopic(topic);
    if (!t) return;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof j.seq !== 'number' || typeof j.bootId !== 'string' || typeof j.ts !== 'number') return;
    const readings = Array.isArray(j.readings) ? (j.readings as { sensor?: string }[]) : [];
    const ev = j.event as { type?: string; sensor?: string } | undefined;
    const sensors =
      t.leaf === 'telemetry'
        ? readings.map((r) => String(r.sensor))
        : ev?.type === 'state'
          ? [String(ev.sensor)]
          : [];
    this.msgs.push({
      station: t.stationId,
      leaf: t.leaf,
      bootId: j.bootId,
      seq: j.seq,
      ts: j.ts,
      points: sensors.length,
      sensors,
      historical: j.historical === true,
      at: Date.now(),
    });
  };

  /**
   * Per leaf, messages the broker accepted (every publish) and distinct (station, bootId, seq): the
   * server should count the distinct ones in yizhan_ingest_messages_total{leaf} and the rest (that
   * reached it) in yizhan_ingest_duplicates_total.
   */
  totals(): Record<string, { publishes: number; distinct: number }> {
    const out: Record<string, { publishes: number; distinct: number }> = {};
    const seen = new Set<string>();
    for (const m of this.msgs) {
      const t = (out[m.leaf] ??= { publishes: 0, distinct: 0 });
      t.publishes++;
      const k = `${m.station}/${m.bootId}/${m.seq}`;
      if (!seen.has(k)) t.distinct++;
      seen.add(k);
    }
    return out;
  }

  /**
   * Why `station` is short: seq holes per bootId, messages sharing a ts, telemetry at the broker
   * without an occupancy point in InfluxDB, and the sent readings frame that has no message.
   */
  async explain(
    station: string,
    frames: readonly SentFrame[],
    influxUrl: string,
    t0: number,
    tEnd: number,
    phases: Record<string, number>,
  ): Promise<Record<string, unknown>> {
    const all = this.msgs.filter((m) => m.station === station);
    const first = new Map<string, BrokerMsg & { publishes: number }>();
    for (const m of all) {
      const k = `${m.bootId}/${m.seq}`;
      const f = first.get(k);
      if (f) f.publishes++;
      else first.set(k, { ...m, publishes: 1 });
    }
    const distinct = [...first.values()];
    const holes: Record<string, number[]> = {};
    for (const boot of new Set(distinct.map((m) => m.bootId))) {
      const seqs = new Set(distinct.filter((m) => m.bootId === boot).map((m) => m.seq));
      const max = Math.max(...seqs);
      const miss: number[] = [];
      for (let s = 0; s <= max && miss.length < 20; s++) if (!seqs.has(s)) miss.push(s);
      if (miss.length) holes[boot.slice(0, 8)] = miss;
    }
    const byTs = new Map<number, (typeof distinct)[number][]>();
    for (const m of distinct.filter((x) => x.points > 0)) byTs.set(m.ts, [...(byTs.get(m.ts) ?? []), m]);
    const sameTs = [...byTs.values()]
      .filter((l) => l.length > 1)
      .map((l) => l.map((m) => ({ leaf: m.leaf, boot: m.bootId.slice(0, 8), seq: m.seq, ts: m.ts })));
    const telemetry = distinct
      .filter((m) => m.leaf === 'telemetry' && m.ts >= t0 && m.ts <= tEnd)
      .sort((a, b) => a.ts - b.ts);
    const q = `SELECT "value" FROM "occupancy" WHERE "station"='${station}' AND time >= ${t0}ms AND time <= ${tEnd}ms`;
    const body = (await (
      await fetch(`${influxUrl}/query?db=yizhan&epoch=ms&q=${encodeURIComponent(q)}`)
    ).json()) as { results: { series?: { values: [number, number][] }[] }[] };
    const stored = new Set((body.results[0]?.series?.[0]?.values ?? []).map((v) => v[0]));
    const notStored = telemetry
      .filter((m) => m.sensors.includes('occupancy') && !stored.has(m.ts))
      .map((m) => ({
        boot: m.bootId.slice(0, 8),
        seq: m.seq,
        ts: m.ts,
        hist: m.historical,
        publishes: m.publishes,
        at: m.at,
      }));
    const sent = frames.filter((f) => f.type === 'readings' && f.n > 0).sort((a, b) => a.at - b.at);
    const missing = alignMissing(
      sent.map((f) => f.at),
      telemetry.map((m) => m.ts),
    );
    const around = (i: number) => ({
      sentAt: sent.slice(Math.max(0, i - 2), i + 3).map((f) => f.at),
      msgs: telemetry.slice(Math.max(0, i - 2), i + 2).map((m) => ({
        boot: m.bootId.slice(0, 8),
        seq: m.seq,
        ts: m.ts,
        hist: m.historical,
        publishes: m.publishes,
      })),
    });
    const phase = (t: number) =>
      Object.entries(phases)
        .filter(([, v]) => v <= t)
        .pop()?.[0];
    return {
      station,
      framesSent: sent.length,
      telemetryAtBroker: telemetry.length,
      occupancyStored: stored.size,
      seqHoles: holes,
      sameTs,
      notStored,
      missingFrame:
        missing === undefined
          ? null
          : { at: sent[missing]?.at, phase: phase(sent[missing]?.at ?? 0), ...around(missing) },
    };
  }
}

/**
 * With one message fewer than frames: the index of the frame without a message, the split that best
 * pairs frames before it with messages at the same index and frames after it with the previous one
 * (a message is never older than its frame).
 */
function alignMissing(sentAt: readonly number[], ts: readonly number[]): number | undefined {
  if (sentAt.length !== ts.length + 1) return undefined;
  let best: { k: number; cost: number } | undefined;
  for (let k = 0; k < sentAt.length; k++) {
    let cost = 0;
    for (let j = 0; j < ts.length; j++) {
      const d = (ts[j] ?? 0) - (sentAt[j < k ? j : j + 1] ?? 0);
      cost += d < 0 ? 1e6 : d;
    }
    if (!best || cost < best.cost) best = { k, cost };
  }
  return best?.k;
}
