/**
 * A station's QoS 1 PUBACK leaves only once the broker has stored its message.
 *
 * aedes 1.2 writes the PUBACK of a QoS 1 PUBLISH first and publishes the message after
 * (lib/handlers/publish.js), so a station may let a message go that the broker has not yet queued
 * for the server's session, or never will: a crash in between, or a failed journal write
 * (broker/src/disk-state.ts), and the message is lost although acknowledged. The gate holds that
 * PUBACK, and every later write to the same connection (to keep their order), until aedes' publish
 * of the message has completed: the message is queued for every persistent session and, with the
 * disk journal, fsynced (with Redis: written to Redis). When the publish fails, the PUBACK is never sent; aedes closes the
 * connection and the station sends the message again on its next connection.
 *
 * How: `authorizePublish` is the last step before aedes writes the PUBACK, synchronously, in the
 * same call; the connection's writes made during that call are the PUBACK's. They are held under a
 * ticket that `publish`'s callback settles.
 */
import type { Aedes, Client } from 'aedes';
import { corkUntilNextTurn } from '@yizhan/common/cork';

interface Ticket {
  settled: boolean;
  failed: boolean;
}

type WriteArgs = Parameters<NodeJS.WritableStream['write']>;
interface Conn {
  write(...args: WriteArgs): boolean;
  cork?(): void;
  uncork?(): void;
  destroyed?: boolean;
}

class ConnGate {
  /** The ticket of the PUBACK being written now. */
  armed: Ticket | undefined;
  private readonly held: { args: WriteArgs; ticket?: Ticket }[] = [];
  private readonly write: (...args: WriteArgs) => boolean;

  constructor(private readonly conn: Conn) {
    this.write = conn.write.bind(conn);
    conn.write = (...args: WriteArgs) => {
      if (this.armed) this.held.push({ args, ticket: this.armed });
      else if (this.held.length) this.held.push({ args });
      else return this.write(...args);
      return true;
    };
  }

  settle(t: Ticket, failed: boolean): void {
    t.settled = true;
    t.failed = failed;
    const held = this.held;
    const ready = (): boolean => held.length > 0 && (held[0]?.ticket?.settled ?? true);
    if (!ready()) return;
    // what is released during one loop turn leaves in one write (aedes' own writes are corked
    // for a tick; released one by one, each PUBACK cost a syscall)
    corkUntilNextTurn(this.conn);
    while (ready()) {
      const h = held.shift();
      if (h && !h.ticket?.failed && !this.conn.destroyed) this.write(...h.args);
    }
  }
}

interface PublishPacket {
  cmd?: string;
  qos?: number;
  messageId?: number;
}
type Done = (err?: Error | null) => void;

/** Install the gate on this broker (after its hooks are set). */
export function holdAcksUntilStored(aedes: Aedes): void {
  const a = aedes as unknown as {
    authorizePublish: (this: unknown, client: Client | null, packet: PublishPacket, done: Done) => void;
    publish: (this: unknown, packet: PublishPacket, client: Client | Done | null, done?: Done) => void;
  };
  const gates = new WeakMap<Client, ConnGate>();
  const tickets = new WeakMap<PublishPacket, Ticket>();
  const gateOf = (client: Client): ConnGate => {
    let g = gates.get(client);
    if (!g) gates.set(client, (g = new ConnGate((client as unknown as { conn: Conn }).conn)));
    return g;
  };
  const authorize = a.authorizePublish;
  a.authorizePublish = function (client, packet, done) {
    authorize.call(this, client, packet, (err) => {
      if (err || !client || packet.qos !== 1 || packet.cmd !== 'publish' || typeof packet.messageId !== 'number') return done(err);
      const gate = gateOf(client);
      const ticket: Ticket = { settled: false, failed: false };
      tickets.set(packet, ticket);
      gate.armed = ticket;
      try {
        done(null);
      } finally {
        gate.armed = undefined;
      }
    });
  };
  const publish = a.publish;
  a.publish = function (packet, client, done) {
    const ticket = tickets.get(packet);
    if (!ticket || typeof client === 'function' || !client) return publish.call(this, packet, client, done);
    tickets.delete(packet);
    const gate = gateOf(client);
    publish.call(this, packet, client, (err) => {
      gate.settle(ticket, !!err);
      done?.(err);
    });
  };
}
