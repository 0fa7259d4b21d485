/**
 * The stations of bench:screens: one mqtt.js connection per sample station (its own account, as
 * the edge agent connects), each publishing a telemetry message with a reading of every sensor in
 * its station file once per period, the stations spread evenly over the period (real agents are
 * not synchronised). The payload's `ts` is the publish time: the clients time each update from it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { StationConfig } from '@yizhan/station-config/schema';
import { newBoot } from './loadgen-wire.js';

/** A plausible value of each kind, inside the server's limits (server/src/ingest/limits.ts). */
function value(kind: string, seq: number): number {
  switch (kind) {
    case 'occupancy':
      return seq % 5; // changes, as people come and go
    case 'ambient_temp':
      return 18;
    case 'water_temp':
      return 95;
    case 'water_level':
      return 80;
    case 'socket_power':
      return 0;
    default:
      return 0; // door closed, socket idle, heater off
  }
}

export class ScreensStations {
  private readonly clients: MqttClient[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** Publish times (payload ts) per station id. */
  readonly published = new Map<string, number[]>();
  publishErrors = 0;

  constructor(
    private readonly url: string,
    private readonly stations: readonly StationConfig[],
    private readonly secrets: Map<string, string>,
    private readonly periodMs: number,
  ) {}

  async start(): Promise<void> {
    for (const s of this.stations)
      this.clients.push(
        await mqtt.connectAsync(this.url, {
          clientId: s.id,
          username: s.id,
          password: this.secrets.get(s.id),
          protocolVersion: 4,
        }),
      );
    this.stations.forEach((s, i) => {
      const client = this.clients[i]!;
      const boot = newBoot();
      const times: number[] = [];
      this.published.set(s.id, times);
      let seq = 0;
      const send = (): void => {
        const ts = Date.now();
        const readings = s.sensors.map((x) => ({ sensor: x.id, kind: x.kind, value: value(x.kind, seq) }));
        const payload = JSON.stringify({ v: 1, stationId: s.id, bootId: boot, seq: seq++, ts, readings });
        times.push(ts);
        client.publish(`yizhan/v1/stations/${s.id}/telemetry`, payload, { qos: 1 }, (e) => {
          if (e) this.publishErrors++;
        });
      };
      const offset = (i * this.periodMs) / this.stations.length;
      this.timers.push(
        setTimeout(() => {
          send();
          this.timers.push(setInterval(send, this.periodMs));
        }, offset),
      );
    });
  }

  /** Readings published with from ≤ ts < to, per station. */
  publishedBetween(from: number, to: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, times] of this.published) out.set(id, times.filter((t) => t >= from && t < to).length);
    return out;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
