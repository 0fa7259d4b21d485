/**
 * The checks on what one accepted client sends, installed on aedes' parser
 * (aedes-patches/parser.ts): MQTT framing (frames.ts; the packet size limit is the smaller one
 * until aedes has sent CONNACK) and topic filters of SUBSCRIBE and UNSUBSCRIBE that are not
 * well-formed UTF-8 or contain U+0000 (MQTT-1.5.3-1, MQTT-1.5.3-2: the server MUST close). Each
 * cut is counted, logged and a strike for the address.
 */
import type { Client } from 'aedes';
import type { BrokerLimits } from '../limits.js';
import type { ListenerKind } from '../listeners.js';
import { connackSent, type ParserWatch } from '../aedes-patches/parser.js';
import type { DropReport } from './drops.js';
import { frameChecker, type FrameDrop } from './frames.js';
import type { Strikes } from './strikes.js';

export interface WireGuard {
  limits: Pick<BrokerLimits, 'maxPacketBytes' | 'maxConnectPacketBytes'>;
  report: DropReport;
  strikes: Strikes;
}

const CUT_DETAIL: Record<FrameDrop, string> = {
  oversized_packet: 'packet larger than the limit',
  not_connect_first: 'first packet is not CONNECT',
  malformed_length: 'malformed remaining length',
};

/** What watchParser() needs for `client`, which came in on `listener` from `remote`. */
export function wireWatch(
  client: Client,
  listener: ListenerKind,
  remote: string | undefined,
  g: WireGuard,
  connectComplete: () => void,
): ParserWatch<FrameDrop> {
  const { limits, report, strikes } = g;
  const maxBytes = (): number => (connackSent(client) ? limits.maxPacketBytes : limits.maxConnectPacketBytes);
  return {
    check: frameChecker(maxBytes, connectComplete),
    onCut(bad) {
      const detail = CUT_DETAIL[bad];
      report.drops.inc({ listener, reason: bad });
      strikes.strike(remote, bad);
      report.warn(
        `${bad}|${client.id ?? remote ?? ''}`,
        { listener, remote, clientId: client.id, reason: bad },
        `connection closed: ${detail}`,
      );
      client.emit('error', new Error(detail));
    },
    onBadFilter() {
      report.drops.inc({ listener, reason: 'invalid_filter' });
      strikes.strike(remote, 'invalid_filter');
      report.warn(
        `invalid_filter|${client.id ?? remote ?? ''}`,
        { listener, remote, clientId: client.id, reason: 'invalid_filter' },
        'connection closed: topic filter not well-formed UTF-8 or contains U+0000 (MQTT-1.5.3-1/-2)',
      );
    },
  };
}
