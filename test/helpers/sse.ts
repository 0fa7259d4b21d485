/** A minimal Server-Sent Events reader over fetch, recording events and comment lines. */
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
