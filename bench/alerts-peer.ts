/**
 * The peer of bench:alerts: the naive in-memory path. It listens to the same MQTT traffic as the
 * server (its own server account) and turns what the two rules of the bench fire on into one
 * WeCom POST per alert, straight to its own fake robot: a raised heater_failure fault at once
 * (dispenser_broken), a will after station_dark's `for` (1 min, the rule's default). No store, no
 * outbox, no merging, no retry.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { startFakeIm, type FakeIm } from '../test/helpers/fake-im.js';
import { benchStationName } from './alerts-lib.js';
import { stamped, type Arrival } from './alerts-stack.js';

const DARK_FOR_MS = 60_000;

export class NaivePeer {
  robot!: FakeIm;
  arrivals: Arrival[] = [];
  posts = 0;
  postErrors = 0;
  private client: MqttClient | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  async start(url: string, username: string, password: string): Promise<void> {
    this.robot = await startFakeIm({ vendor: 'wecom', perMinute: 1e9 });
    this.arrivals = stamped(this.robot);
    this.client = await mqtt.connectAsync(url, {
      clientId: username,
      username,
      password,
      protocolVersion: 4,
    });
    this.client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await this.client.subscribeAsync(['yizhan/v1/stations/+/events', 'yizhan/v1/stations/+/status'], {
      qos: 1,
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.client?.endAsync();
    await this.robot.close();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const id = topic.split('/')[3] ?? '';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    const name = benchStationName(Number(id.slice(3)) - 1);
    const event = body.event as Record<string, unknown> | undefined;
    if (topic.endsWith('/events') && event?.fault === 'heater_failure' && event.active === true)
      void this.post(`【严重】${name} 饮水机故障`);
    else if (topic.endsWith('/status') && body.state === 'offline') {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.post(`【严重】${name} 驿站失联`);
      }, DARK_FOR_MS);
      this.timers.add(t);
    }
  }

  private async post(content: string): Promise<void> {
    this.posts++;
    try {
      const r = await fetch(this.robot.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }),
      });
      await r.text();
    } catch {
      this.postErrors++;
    }
  }
}
