/**
 * A broker URL (`mqtt://host:1883`, `mqtts://…`, `ws://host:8080/mqtt`, `wss://…`) as the address
 * options mqtt.js takes. mqtt.js would parse a URL string with Node's legacy `url.parse()`, which
 * Node 24 deprecates at run time (DEP0169): every process would print a security warning at its
 * first connect, on the board into the journal the crews read. Passing the address as options
 * keeps mqtt.js away from `url.parse()`. A setting may list several URLs (a cluster's nodes):
 * `BrokerRotation` moves the client to the next one on each reconnect.
 */

/** mqtt.js' names; `tls://` is taken as `mqtts` (the same transport). */
export type BrokerProtocol = 'mqtt' | 'mqtts' | 'tcp' | 'ws' | 'wss';
const PROTOCOLS: readonly string[] = ['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'tls'];

export interface BrokerAddress {
  protocol: BrokerProtocol;
  host: string;
  /** Absent: the protocol's default port (mqtt.js: 1883, 8883, 80, 443). */
  port?: number;
  /** WebSocket path (`/mqtt`); only for ws and wss. */
  path?: string;
  username?: string;
  password?: string;
}

/** `url` with any `user:password@` masked, for messages. */
const masked = (url: string): string => url.replace(/\/\/[^/@]*@/, '//***@');

/** Parses `url` with the WHATWG URL parser; throws an Error naming the URL (credentials masked) and what is wrong. */
export function brokerAddress(url: string): BrokerAddress {
  const shown = masked(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`broker URL "${shown}" is not a URL (expected e.g. mqtt://127.0.0.1:1883)`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (!PROTOCOLS.includes(protocol))
    throw new Error(`broker URL "${shown}": protocol "${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
  // IPv6 literals come bracketed ("[::1]"); the socket wants the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error(`broker URL "${shown}" has no host`);
  const a: BrokerAddress = { protocol: (protocol === 'tls' ? 'mqtts' : protocol) as BrokerProtocol, host };
  if (u.port) a.port = Number(u.port);
  if (protocol.startsWith('ws')) a.path = `${u.pathname}${u.search}` || '/';
  if (u.username) a.username = decodeURIComponent(u.username);
  if (u.password) a.password = decodeURIComponent(u.password);
  return a;
}

/**
 * A broker-URL setting's value: one URL, or several separated by commas (`mqtt://a:1883,mqtt://b:1883`),
 * the nodes of one broker cluster in the order they are tried. Throws an Error naming the entry
 * (`entry 2 "mqtt//b:1883" is not a URL`) when one is wrong or empty.
 */
export function brokerAddresses(list: string): BrokerAddress[] {
  const entries = list.split(',').map((e) => e.trim());
  return entries.map((entry, i) => {
    const which = entries.length > 1 ? `entry ${i + 1} ` : '';
    if (entry === '') throw new Error(`${which}is empty (expected e.g. mqtt://a:1883,mqtt://b:1883)`);
    try {
      return brokerAddress(entry);
    } catch (e) {
      throw new Error(`${which}${(e as Error).message.replace(/^broker URL /, '')}`);
    }
  });
}

/** The problem with a broker-URL list, or undefined when every entry is right (settings use it). */
export function brokerListProblem(list: string): string | undefined {
  try {
    brokerAddresses(list);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** An address as a URL without its credentials, for logs and health reports. */
export function shownAddress(a: BrokerAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.protocol}://${host}${a.port === undefined ? '' : `:${a.port}`}${a.path ?? ''}`;
}

/** A broker-URL list as URLs without credentials, for logs (the list as written when it is wrong). */
export function shownBrokers(list: string): string {
  try {
    return brokerAddresses(list).map(shownAddress).join(',');
  } catch {
    return masked(list);
  }
}

/** What the rotation needs of an mqtt.js client (its live options and its `reconnect` event). */
export interface RotatingClient {
  options: object;
  on(event: 'reconnect', listener: () => void): unknown;
}

/**
 * Several broker URLs for one mqtt.js client: the first connection goes to the first, and every
 * reconnect (mqtt.js' own timer or `client.reconnect()`) to the next one, round the list. So a
 * client whose node died tries another node on its next attempt instead of the dead one.
 *
 * mqtt.js' own `servers` option rotates the same way but carries state over between entries: the
 * TLS transport sets `servername` from the first host and never again (a second node would be
 * checked against the first node's name), and a WebSocket path would reach a TCP entry as a Unix
 * socket path. Here each attempt gets exactly its entry's protocol, host, port and path; the rest
 * of the options (credentials, TLS files, keepalive) apply to every entry.
 */
export class BrokerRotation {
  readonly addresses: readonly BrokerAddress[];
  private i = 0;

  /** Throws as {@link brokerAddresses} does. */
  constructor(list: string) {
    this.addresses = brokerAddresses(list);
  }

  /** The broker tried now (or connected to), as a URL without credentials. */
  get current(): string {
    return shownAddress(this.at(this.i));
  }

  /** mqtt.js options of the first connection (the first entry, its credentials if it has any). */
  first(): BrokerAddress {
    return { ...this.at(0) };
  }

  /** Move `client` to the next entry before each reconnect (nothing to do with a single URL). */
  install(client: RotatingClient): void {
    if (this.addresses.length < 2) return;
    const servername = (client.options as { servername?: unknown }).servername;
    client.on('reconnect', () => {
      this.i = (this.i + 1) % this.addresses.length;
      const a = this.at(this.i);
      const o = client.options as Record<string, unknown>;
      Object.assign(o, { protocol: a.protocol, host: a.host, hostname: a.host, port: a.port, path: a.path });
      if (a.path === undefined) delete o.path;
      if (a.port === undefined) delete o.port;
      if (servername === undefined) delete o.servername;
      else o.servername = servername;
    });
  }

  private at(i: number): BrokerAddress {
    const a = this.addresses[i];
    if (a === undefined) throw new Error(`no broker address ${i}`);
    return a;
  }
}
