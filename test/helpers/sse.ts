/** Minimal Server-Sent Events readers: over fetch (a listening server), and over app.inject (in-process). */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export interface SseEvent {
  event: string;
  data: string;
  /** Wall-clock arrival time (Date.now()) of the chunk that completed this event. */
  at: number;
}
export interface SseClient {
  events: SseEvent[];
  comments: string[];
  closed: boolean;
  close(): void;
}

/** `headers`: e.g. a session cookie or a bearer token (alert events go only to a login). */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, {
    signal: abort.signal,
    headers: { accept: 'text/event-stream', ...headers },
  });
  if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: HTTP ${res.status}`);
  const client: SseClient = { events: [], comments: [], closed: false, close: () => abort.abort() };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const at = Date.now();
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length) client.events.push({ event, data: data.join('\n'), at });
        }
      }
    } catch {
      /* aborted */
    } finally {
      client.closed = true;
    }
  })();
  return client;
}

export interface InjectedStream {
  status: number;
  events: { event: string; data: string; at: number }[];
  /** The server ended the stream. */
  ended: boolean;
  close(): void;
}

/** An SSE stream read through app.inject (no socket): its events as they arrive, with arrival times. */
export async function injectSse(
  app: FastifyInstance,
  url: string,
  headers: Record<string, string> = {},
  remoteAddress = '192.0.2.1',
): Promise<InjectedStream> {
  const res = await app.inject({ url, headers, remoteAddress, payloadAsStream: true });
  const body: Readable = res.stream();
  // Destroying the server side's response is what a client going away does to it.
  const close = () => {
    body.destroy();
    res.raw.res.destroy();
  };
  const s: InjectedStream = { status: res.statusCode, events: [], ended: false, close };
  body.on('close', () => (s.ended = true));
  let buf = '';
  body.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) s.events.push({ event, data, at: Date.now() });
    }
  });
  return s;
}
