/**
 * Live changes for the crew pages from the server's Server-Sent Events (/api/v1/events, with the
 * session cookie): `alert` (fire and resolve), `alert-changed` (acknowledged, assigned, commented,
 * closed…) and `work-order`. A page passes what to do on a change (usually: fetch its lists
 * again, at most once per `settleMs`, so a storm of events is one refetch); `live` says whether
 * the stream is open, for the "live / reconnecting" indicator. EventSource reconnects by itself.
 */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export const LIVE_EVENTS = ['alert', 'alert-changed', 'work-order'] as const;
export type LiveEvent = (typeof LIVE_EVENTS)[number];

export interface Live {
  /** null: not connected yet; true: open; false: lost, reconnecting. */
  live: Ref<boolean | null>;
}

/** How long after a refused stream (EventSource gives up on a non-200 answer) to open a new one. */
const REOPEN_MS = 5000;

export function useLiveEvents(
  onChange: (batch: { kind: LiveEvent; data: unknown }[]) => void,
  settleMs = 300,
): Live {
  const live = ref<boolean | null>(null);
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let reopen: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const pending: { kind: LiveEvent; data: unknown }[] = [];

  function flush() {
    timer = null;
    onChange(pending.splice(0));
  }

  function received(kind: LiveEvent, ev: MessageEvent<string>) {
    let data: unknown = null;
    try {
      data = JSON.parse(ev.data);
    } catch {
      // A frame that is no JSON still says something changed: the page refetches.
    }
    pending.push({ kind, data });
    timer ??= setTimeout(flush, settleMs);
  }

  function open() {
    reopen = null;
    if (stopped) return;
    const s = new EventSource('/api/v1/events', { withCredentials: true });
    source = s;
    // Reopened after a loss: what changed meanwhile was missed, so the page refetches.
    s.onopen = () => {
      if (live.value === false) received('alert-changed', new MessageEvent('open', { data: 'null' }));
      live.value = true;
    };
    s.onerror = () => {
      live.value = false;
      if (s.readyState === EventSource.CLOSED) reopen ??= setTimeout(open, REOPEN_MS);
    };
    for (const kind of LIVE_EVENTS)
      s.addEventListener(kind, (ev) => received(kind, ev as MessageEvent<string>));
  }

  onMounted(open);
  onBeforeUnmount(() => {
    stopped = true;
    source?.close();
    if (timer) clearTimeout(timer);
    if (reopen) clearTimeout(reopen);
  });
  return { live };
}
