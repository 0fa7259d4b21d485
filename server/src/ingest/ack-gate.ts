/**
 * PUBACKs held until the message's lines are durable (the write-ahead spool's group commit).
 *
 * Why not mqtt.js's own hooks: `customHandleAcks` and `handleMessage` both hold the parser: mqtt.js
 * handles one QoS 1 message at a time and reads the next only after the previous PUBACK was sent
 * (mqtt/build/lib/handlers/publish.js). Waiting there for an fsync would allow one message per
 * fsync (a few hundred a second), far below the 5,000 messages/s the server takes. So mqtt.js
 * handles each message at once, as before, and only the PUBACK packet itself waits here: the gate
 * wraps the client's `_sendPacket` (mqtt.js 5.x; checked at install, and covered by the SIGKILL
 * test) and releases the held PUBACKs in arrival order once the group commit covering each
 * message's lines has finished (MQTT 3.1.1 [MQTT-4.6.0-2]: PUBACKs leave in the order the
 * PUBLISH packets arrived). One group commit releases every message of the last ~10 ms in one
 * socket write.
 *
 * A message whose lines could not be put in the spool (disk full, I/O error) or whose group
 * commit failed is never acknowledged (`yizhan_mqtt_acks_withheld_total{reason="not_durable"}`):
 * the broker keeps it and sends it again on the next connection. PUBACKs still held when the
 * connection closes are dropped (`reason="disconnected"`): the broker resends those messages on
 * reconnect [MQTT-4.4.0-1], and the server recognises the copies it already has (ingest dedupe).
 */
import type { MqttClient } from 'mqtt';
import { corkUntilNextTurn } from '@yizhan/common/cork';
import type { Metrics } from '../metrics.js';

/** What the gate needs from the writer: a ticket per message, and the group commits. */
export interface DurableLog {
  /** The log offset that must be durable before the message just handled is acknowledged. */
  ackTicket(): { offset: number; ok: boolean };
  /** Log offset durable now. */
  readonly durable: number;
}

interface Held {
  packet: unknown;
  offset: number;
  ok: boolean;
  stream: unknown;
}

type SendPacket = (packet: { cmd?: string }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export class AckGate {
  private held: Held[] = [];
  private head = 0;
  private send: SendPacket | undefined;
  private client: MqttClient | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly log: DurableLog,
    private readonly metrics: Metrics,
  ) {}

  /** Hold this client's PUBACKs (call once, before it connects). */
  install(client: MqttClient): void {
    const c = client as unknown as { _sendPacket?: SendPacket };
    if (typeof c._sendPacket !== 'function')
      throw new Error('mqtt.js has no _sendPacket (version changed?): cannot hold PUBACKs until durable');
    const send = c._sendPacket.bind(client);
    this.send = send;
    this.client = client;
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
      const t = this.log.ackTicket();
      this.held.push({ packet, offset: t.offset, ok: t.ok, stream: client.stream });
      this.metrics.mqttAcksHeld.inc();
      // Let mqtt.js read the next packet now; the PUBACK leaves with its group commit.
      cb?.();
      this.release(this.log.durable);
    };
    client.on('close', () => this.dropHeld());
  }

  /** PUBACKs waiting now. */
  get size(): number {
    return this.held.length - this.head;
  }

  /** Send, in arrival order, every held PUBACK whose lines are durable up to `durable`. */
  release(durable: number, ok = true): void {
    const client = this.client;
    const send = this.send;
    if (!client || !send || this.size === 0) return;
    // Every PUBACK this commit releases leaves in one socket write.
    if (this.size > 1) corkUntilNextTurn(client.stream);
    let notDurable = 0;
    let gone = 0;
    let sent = 0;
    while (this.head < this.held.length) {
      const h = this.held[this.head] as Held;
      if (h.offset > durable) break;
      this.head++;
      if (!h.ok || !ok) notDurable++;
      else if (h.stream !== client.stream || !client.connected) gone++;
      else {
        send(h.packet as { cmd: string });
        sent++;
      }
    }
    if (notDurable) this.metrics.mqttAcksWithheld.inc({ reason: 'not_durable' }, notDurable);
    if (gone) this.metrics.mqttAcksWithheld.inc({ reason: 'disconnected' }, gone);
    this.metrics.mqttAcksHeld.dec(sent + notDurable + gone);
    this.compact();
  }

  /** Resolves once no PUBACK is held (or after `timeoutMs`). */
  async drained(timeoutMs: number): Promise<void> {
    if (this.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => this.drainWaiters.push(r)),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private dropHeld(): void {
    const n = this.size;
    if (n > 0) {
      this.metrics.mqttAcksWithheld.inc({ reason: 'disconnected' }, n);
      this.metrics.mqttAcksHeld.dec(n);
    }
    this.held = [];
    this.head = 0;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.held.length) {
      this.held = [];
      this.head = 0;
      for (const w of this.drainWaiters.splice(0)) w();
    } else if (this.head >= 1024 && this.head * 2 >= this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }
}
