/**
 * The per-connection parser of aedes (mqtt-packet's, the private `client._parser`), watched
 * before it reads anything: the guard (broker/src/guard.ts) sees every chunk first, to enforce the
 * packet size on the header and the CONNECT-first rule, and topic filters of SUBSCRIBE and
 * UNSUBSCRIBE are checked for well-formed UTF-8 (MQTT-1.5.3-1, MQTT-1.5.3-2: a server MUST close
 * the connection). Installed by the guard on every new client, after `aedes.handle` created it.
 */
import type { Client } from 'aedes';
import { isUtf8 } from 'node:buffer';

interface ParserLike {
  parse(buf: Buffer): number;
}

/** mqtt-packet's parser, as far as the filter check reads it. */
interface ParserInternals {
  _list: { length: number; readUInt16BE(at: number): number; slice(from: number, to: number): Buffer };
  _pos: number;
  error?: Error;
  _parseString: (this: ParserInternals) => string | null;
  _parseSubscribe: (this: ParserInternals) => void;
  _parseUnsubscribe: (this: ParserInternals) => void;
  _emitError: (this: ParserInternals, err: Error) => void;
}

export interface ParserWatch<R extends string> {
  /** Sees each chunk before the parser; a reason cuts the stream (nothing more is parsed). */
  check(buf: Buffer): R | undefined;
  /** The stream was cut for this reason; the caller closes the connection. */
  onCut(reason: R): void;
  /** A topic filter broke MQTT-1.5.3-1/-2; the parser then emits an error, which closes the connection. */
  onBadFilter: () => void;
}

/** Whether aedes has sent this client its CONNACK (private `connackSent`). */
export const connackSent = (client: Client): boolean => (client as Client & { connackSent?: boolean }).connackSent === true;

/**
 * Watch this client's parser. `parse`: false when there is no parser of the expected shape
 * (nothing installed: the caller must refuse the connection); `filters`: false when the filter
 * check could not be installed (the size check still is).
 */
export function watchParser<R extends string>(client: Client, w: ParserWatch<R>): { parse: boolean; filters: boolean } {
  const parser = (client as Client & { _parser?: ParserLike })._parser;
  if (!parser || typeof parser.parse !== 'function') return { parse: false, filters: false };
  const filters = strictFilters(parser as ParserLike & ParserInternals, w.onBadFilter);
  const parse = parser.parse.bind(parser);
  let cut = false;
  parser.parse = (buf: Buffer): number => {
    if (cut) return 0;
    const bad = w.check(buf);
    if (bad === undefined) return parse(buf);
    cut = true;
    w.onCut(bad);
    return 0;
  };
  return { parse: true, filters };
}

/**
 * MQTT-1.5.3-1 (well-formed UTF-8, no surrogates) and MQTT-1.5.3-2 (no U+0000): a topic filter
 * that breaks either MUST close the connection. mqtt-packet decodes strings leniently (bad bytes
 * become U+FFFD), so the bytes are checked before decoding, for SUBSCRIBE and UNSUBSCRIBE only
 * (no cost on PUBLISH). False when the parser is not the expected shape.
 */
function strictFilters(parser: ParserInternals, onBad: () => void): boolean {
  const proto = Object.getPrototypeOf(parser) as ParserInternals;
  if ([proto._parseString, proto._parseSubscribe, proto._parseUnsubscribe, proto._emitError].some((f) => typeof f !== 'function')) return false;
  let bad = false;
  const checked = function (this: ParserInternals): string | null {
    const list = this._list;
    const at = this._pos;
    if (list.length - at >= 2) {
      const end = at + 2 + list.readUInt16BE(at);
      if (end <= list.length) {
        const bytes = list.slice(at + 2, end);
        if (!isUtf8(bytes) || bytes.includes(0)) bad = true;
      }
    }
    return proto._parseString.call(this);
  };
  const strict = (parse: (this: ParserInternals) => void) =>
    function (this: ParserInternals): void {
      bad = false;
      this._parseString = checked;
      try {
        parse.call(this);
      } finally {
        delete (this as Partial<ParserInternals>)._parseString;
      }
      if (bad && !this.error) {
        onBad();
        this._emitError(new Error('topic filter is not well-formed UTF-8 or contains U+0000 (MQTT-1.5.3-1/-2)'));
      }
    };
  parser._parseSubscribe = strict(proto._parseSubscribe);
  parser._parseUnsubscribe = strict(proto._parseUnsubscribe);
  return true;
}
