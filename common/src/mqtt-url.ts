/**
 * A broker URL (`mqtt://host:1883`, `mqtts://…`, `ws://host:8080/mqtt`, `wss://…`) as the address
 * options mqtt.js takes. mqtt.js would parse a URL string with Node's legacy `url.parse()`, which
 * Node 24 deprecates at run time (DEP0169): every process would print a security warning at its
 * first connect, on the board into the journal the crews read. Passing the address as options
 * keeps mqtt.js away from `url.parse()`.
 */

/** mqtt.js' names; `tls://` is taken as `mqtts` (the same transport). */
export type BrokerProtocol = 'mqtt' | 'mqtts' | 'tcp' | 'ws' | 'wss';
const PROTOCOLS: readonly string[] = ['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'tls'];

/** What a broker-URL setting accepts: exactly the schemes brokerAddress() parses. */
export const BROKER_URL_PATTERN = `^(${PROTOCOLS.join('|')})://`;
const SHOWN = PROTOCOLS.map((p) => `${p}://`);
export const BROKER_URL_EXPECTED = `a broker URL (${SHOWN.slice(0, -1).join(', ')} or ${SHOWN.at(-1)})`;

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

/** Parses `url` with the WHATWG URL parser; throws an Error naming the URL and what is wrong. */
export function brokerAddress(url: string): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`broker URL "${url}" is not a URL (expected e.g. mqtt://127.0.0.1:1883)`);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (!PROTOCOLS.includes(protocol))
    throw new Error(`broker URL "${url}": protocol "${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
  // IPv6 literals come bracketed ("[::1]"); the socket wants the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error(`broker URL "${url}" has no host`);
  const a: BrokerAddress = { protocol: (protocol === 'tls' ? 'mqtts' : protocol) as BrokerProtocol, host };
  if (u.port) a.port = Number(u.port);
  if (protocol.startsWith('ws')) a.path = `${u.pathname}${u.search}` || '/';
  if (u.username) a.username = decodeURIComponent(u.username);
  if (u.password) a.password = decodeURIComponent(u.password);
  return a;
}
