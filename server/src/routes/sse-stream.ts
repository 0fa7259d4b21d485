/**
 * One client's Server-Sent Events stream: the response headers, a bounded send buffer, and cleanup
 * that runs once however the stream ends (client gone, error, too slow, server closing).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { SseSink } from './sse-hub.js';

/** Tells EventSource how long to wait before reconnecting, ms. */
export const SSE_RETRY_MS = 2000;

export interface SseStreamOptions {
  res: ServerResponse;
  log: FastifyBaseLogger;
  /** Unsent bytes above which a primed client is disconnected. */
  maxBufferBytes: number;
  /** Called once when a client is disconnected for reading too slowly. */
  onTooSlow: () => void;
  /** Called once when the stream has ended, for whatever reason. */
  onEnd: (sink: SseSink) => void;
}

export interface SseStream {
  sink: SseSink;
  /** From now on the buffer limit applies (the first snapshot may exceed it). */
  prime(): void;
}

export function openSseStream(o: SseStreamOptions): SseStream {
  const { res } = o;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  let primed = false;
  const sink: SseSink = {
    send(chunk) {
      if (closed) return;
      if (primed && res.writableLength > o.maxBufferBytes) {
        o.onTooSlow();
        o.log.warn(
          { unsent: res.writableLength, limit: o.maxBufferBytes },
          'SSE client too slow; disconnected',
        );
        cleanup();
        return;
      }
      res.write(chunk);
    },
  };
  function cleanup(): void {
    if (closed) return;
    closed = true;
    o.onEnd(sink);
    // The client went away: release the socket too (a half-closed one would hold close() up).
    if (!res.destroyed) res.destroy();
  }
  res.on('close', cleanup);
  res.on('error', cleanup);
  res.write(`retry: ${SSE_RETRY_MS}\n\n`);
  return { sink, prime: () => (primed = true) };
}
