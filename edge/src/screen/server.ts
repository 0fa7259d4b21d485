/**
 * The station screen served by the board (`--screen-port`, off by default): the server's screen
 * page (@yizhan/screen/page) for this station at `http://localhost:<port>/`, fed by the agent's
 * own messages (board-state.ts) over the same event stream the page reads from the server
 * (`/api/v1/events`: `station` snapshots and `heartbeat`s), so the screen in the station keeps
 * working while the county link is down. With a server URL (`noticesFrom`) it also shows the
 * union's notices and nearby stations with free sockets from it (notices-copy.ts, nearby-copy.ts),
 * and the QR code to the phone page (`publicUrl`). node:http only (no framework on the board).
 *
 *   GET /                  the screen (?lang=en for English)
 *   GET /api/v1/events     SSE: `station` on connect and on every change, `heartbeat` (board time)
 *   GET /api/v1/public/stations/nearby   the latest nearby answer fetched from the server (nearby-copy.ts), 503 before one
 *   GET /assets/fonts/…    the subset web font (content-hashed, immutable)
 *   GET /sw.js             the service worker keeping the page shell (@yizhan/screen/service-worker)
 *
 * Bound to 127.0.0.1 by default: the kiosk browser runs on the board, and a service worker needs
 * a secure context, which `http://localhost` is and `http://<LAN IP>` is not (docs/deploy-edge.md).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { StationConfig } from '@yizhan/station-config/schema';
import { renderScreen } from '@yizhan/screen/page';
import { FONT_DIR, FONT_URL_PREFIX, loadPageFonts, type PageFonts } from '@yizhan/screen/font';
import type { StationLive } from '@yizhan/screen/schema';
import { serviceWorkerJs } from '@yizhan/screen/service-worker';
import { SCREEN_TEXT, type Lang } from '@yizhan/screen/text';
import { BoardState } from './board-state.js';
import { NoticesCopy } from './notices-copy.js';
import { NearbyCopy } from './nearby-copy.js';
import { DEFAULT_NEARBY_STALE_MS, NEARBY_PATH, nearbyPath, nearbyPollMs } from '@yizhan/screen/nearby';
import { phonePageUrl } from '@yizhan/screen/qr';

/** Like the server's SSE heartbeat: the page calls the link lost after 2.5 of them without an event. */
export const DEFAULT_SCREEN_HEARTBEAT_MS = 15_000;
const SW_PATH = '/sw.js';

export interface BoardScreenOptions {
  station: StationConfig;
  port: number;
  /** Address to listen on: `--screen-host`, 127.0.0.1 by default (edge/src/settings.ts). */
  host: string;
  heartbeatMs?: number;
  /** Server base URL to fetch the union's notices and nearby stations from; none: neither. */
  noticesFrom?: string;
  /** Nearby answers older than this show greyed with their age (default 2 min). */
  nearbyStaleMs?: number;
  /** The server's public address for the QR code (default `noticesFrom`); neither: no QR code. */
  publicUrl?: string;
  /** File keeping the last notices answer across restarts (in the agent's state folder). */
  noticesFile?: string;
  /** Folder of the web font; default the screen package's, else `fonts/` beside the bundle. */
  fontDir?: string;
  logger: Logger;
}

export interface BoardScreen {
  /** The agent's `onMessage`: every station message it builds. */
  observe(leaf: string, payload: Readonly<Record<string, unknown>>): void;
  /** The bound port (the given one, or the one the OS chose for 0). */
  readonly port: number;
  /** Open event streams. */
  readonly clients: number;
  close(): Promise<void>;
}

/** In the deployed bundle the screen package's folder is not there: `npm run build:edge` puts the font beside the bundle. */
function defaultFontDir(): string {
  return existsSync(FONT_DIR) ? FONT_DIR : fileURLToPath(new URL('./fonts/', import.meta.url));
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

interface Routes {
  page: (lang: Lang) => string;
  live: () => StationLive;
  /** The `notice` event's data: `{stationId, notices}` as the server sends it. */
  notices: () => unknown;
  /** The latest nearby answer with `receivedAt`, or null before the first. */
  nearby: () => unknown;
  sw: string;
  fonts: PageFonts;
  /** Open event streams; a stream leaves when its client goes. */
  streams: Set<ServerResponse>;
}

/** The routes of the board's screen (the list at the top of this file). */
function handler(r: Routes): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://board');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    if (url.pathname === '/') {
      const lang: Lang = url.searchParams.get('lang')?.startsWith('en') ? 'en' : 'zh-CN';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      return void res.end(r.page(lang));
    }
    if (url.pathname === '/api/v1/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(frame('station', r.live()));
      res.write(frame('notice', r.notices()));
      r.streams.add(res);
      res.on('close', () => r.streams.delete(res));
      return;
    }
    if (url.pathname === NEARBY_PATH) {
      const body = r.nearby();
      res.writeHead(body ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify(body ?? { error: 'no nearby answer from the server yet' }));
    }
    if (url.pathname === SW_PATH) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      return void res.end(r.sw);
    }
    const font = url.pathname.startsWith(FONT_URL_PREFIX)
      ? r.fonts.byName.get(url.pathname.slice(FONT_URL_PREFIX.length))
      : undefined;
    if (font) {
      res.writeHead(200, {
        'content-type': 'font/woff2',
        'cache-control': 'public, max-age=31536000, immutable',
      });
      return void res.end(font.data);
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  };
}

/** The web font and the service worker that keeps it and the page shell. */
function pageAssets(fontDir: string | undefined, log: Logger): { fonts: PageFonts; sw: string } {
  const fonts = loadPageFonts(
    (path, err) => log.warn({ path, err }, 'web font missing: the screen uses system fonts'),
    fontDir ?? defaultFontDir(),
  );
  const fontUrls = fonts.fonts.map((f) => FONT_URL_PREFIX + f.name);
  // A new font (a new agent version) is a new cache: the old shell is dropped on activation.
  const sw = serviceWorkerJs(fonts.fonts.map((f) => f.name.split('.')[1]).join('-') || 'nofont', fontUrls);
  return { fonts, sw };
}

export async function startBoardScreen(o: BoardScreenOptions): Promise<BoardScreen> {
  const log = o.logger.child({ part: 'screen' });
  const heartbeatMs = o.heartbeatMs ?? DEFAULT_SCREEN_HEARTBEAT_MS;
  const state = new BoardState(o.station, Date.now());
  const { fonts, sw } = pageAssets(o.fontDir, log);
  const streams = new Set<ServerResponse>();
  const noticeEvent = () => ({ stationId: o.station.id, notices: notices?.current() ?? [] });
  const notices = o.noticesFrom
    ? new NoticesCopy({
        from: o.noticesFrom,
        stationId: o.station.id,
        file: o.noticesFile,
        logger: log,
        onChange: () => broadcast(frame('notice', noticeEvent())),
      })
    : undefined;
  const nearbyStaleMs = o.nearbyStaleMs ?? DEFAULT_NEARBY_STALE_MS;
  const nearby = o.noticesFrom
    ? new NearbyCopy({ from: o.noticesFrom, stationId: o.station.id, staleMs: nearbyStaleMs, logger: log })
    : undefined;
  const publicUrl = o.publicUrl ?? o.noticesFrom;

  const page = (lang: Lang): string =>
    renderScreen(state.live(), lang, SCREEN_TEXT[lang], {
      heartbeatMs,
      fontCss: fonts.css,
      now: Date.now(),
      notices: notices?.current() ?? [],
      board: { serviceWorker: SW_PATH },
      nearby: nearby && {
        url: nearbyPath(o.station.id, lang),
        staleMs: nearbyStaleMs,
        pollMs: nearbyPollMs(nearbyStaleMs),
      },
      qrUrl: publicUrl === undefined ? undefined : phonePageUrl(publicUrl, o.station.id),
    });

  const handle = handler({
    page,
    live: () => state.live(),
    notices: noticeEvent,
    nearby: () => nearby?.current() ?? null,
    sw,
    fonts,
    streams,
  });
  function broadcast(text: string): void {
    for (const s of streams) s.write(text);
  }
  const server = createServer(handle);
  const heartbeat = setInterval(() => broadcast(frame('heartbeat', Date.now())), heartbeatMs);
  heartbeat.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  notices?.start();
  nearby?.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  log.info({ url: `http://localhost:${port}/`, host: o.host }, 'station screen served');

  return {
    port,
    get clients() {
      return streams.size;
    },
    observe(leaf, payload) {
      // Derived and sent only when a page watches: a board without a kiosk pays nothing per frame.
      if (state.observe(leaf, payload) && streams.size > 0) broadcast(frame('station', state.live()));
    },
    close() {
      clearInterval(heartbeat);
      notices?.stop();
      nearby?.stop();
      for (const s of streams) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
