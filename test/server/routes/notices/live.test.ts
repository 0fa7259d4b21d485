/**
 * Screens follow notices on the public SSE stream: a `notice` event with the station's list on
 * connect, when a notice starts, when it is changed and when it ends, at those moments (short
 * spans here), only to the screens of stations it covers; a notice another process wrote reaches
 * the screens at the next reload; and after a restart the board reads the
 * store again and still announces a start it had scheduled before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Notice, StationNotices } from '../../../../server/src/routes/notices/schemas.js';
import { injectSse, type InjectedStream } from '../../../helpers/sse.js';
import { waitFor } from '../../../helpers/wait.js';
import { OTHER, OWN, startFullApp, userWithSession } from '../../full-app.js';
import { addTestNotice, noticeBody } from './helpers.js';

/** How late an event may come after its moment (timer, event-loop turn, a loaded CI machine). */
const LATE_MS = 400;

const noticeEvents = (s: InjectedStream) =>
  s.events.filter((e) => e.event === 'notice').map((e) => ({ at: e.at, ...(JSON.parse(e.data) as StationNotices) }));
const showing = (s: InjectedStream, id: number) => noticeEvents(s).filter((e) => e.notices.some((n) => n.id === id));

describe('notice events on /api/v1/events', () => {
  let app: FastifyInstance;
  let admin: Record<string, string>;
  beforeAll(async () => {
    app = await startFullApp();
    admin = (await userWithSession(app, [{ role: 'county_admin', scope: 'county' }])).headers;
  });
  afterAll(() => app?.close());

  it('a township notice appears on its stations’ screens when it starts, changes in place, and leaves when it ends', async () => {
    const own = await injectSse(app, `/api/v1/events?station=${OWN.station}`);
    const other = await injectSse(app, `/api/v1/events?station=${OTHER.station}`, {}, '192.0.2.2');
    await waitFor('the connect snapshot', () => noticeEvents(own).length === 1 && noticeEvents(other).length === 1);
    expect(noticeEvents(own)[0]!.notices).toEqual([]);

    const startsAt = Date.now() + 500;
    const endsAt = startsAt + 900;
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/notices',
      headers: admin,
      payload: noticeBody({ township: OWN.code }, { startsAt, endsAt }),
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json<{ notice: Notice }>().notice.id;
    expect(showing(own, id)).toEqual([]);

    const started = (await waitFor('the start', () => showing(own, id)[0]));
    expect(started.at).toBeGreaterThanOrEqual(startsAt);
    expect(started.at - startsAt).toBeLessThan(LATE_MS);
    expect(started.notices[0]!.title['zh-CN']).toBe('暴雨橙色预警');

    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/notices/${id}`,
      headers: admin,
      payload: { title: { 'zh-CN': '暴雨红色预警' } },
    });
    expect(patched.statusCode).toBe(200);
    await waitFor('the change', () => showing(own, id).some((e) => e.notices[0]!.title['zh-CN'] === '暴雨红色预警'));

    const countBefore = noticeEvents(own).length;
    const ended = (await waitFor('the end', () => noticeEvents(own).slice(countBefore).find((e) => e.notices.length === 0)));
    expect(ended.at).toBeGreaterThanOrEqual(endsAt);
    expect(ended.at - endsAt).toBeLessThan(LATE_MS);
    // The other township's screen heard nothing but its snapshot.
    expect(noticeEvents(other)).toHaveLength(1);
    own.close();
    other.close();
  });

  it('withdrawing a showing notice clears it from the screen at once', async () => {
    const s = await injectSse(app, `/api/v1/events?station=${OWN.station}`, {}, '192.0.2.3');
    const id = await addTestNotice(app, { stationId: OWN.station }, { title: '临时通知' });
    await waitFor('the snapshot with it', () => showing(s, id).length > 0);
    const w = await app.inject({ method: 'POST', url: `/api/v1/notices/${id}/withdraw`, headers: admin });
    expect(w.statusCode).toBe(200);
    await waitFor('the withdrawal', () => noticeEvents(s).at(-1)!.notices.every((n) => n.id !== id));
    s.close();
  });
});

describe('a notice written by another server process', () => {
  it('reaches this process’s screens at the next reload of the store', async () => {
    const app = await startFullApp({ notices: { reloadMs: 300 } });
    try {
      const s = await injectSse(app, `/api/v1/events?station=${OWN.station}`);
      await waitFor('the connect snapshot', () => noticeEvents(s).length === 1);
      // Straight into the store, as a second process on the same PostgreSQL store would write it.
      const now = Date.now();
      const { id } = await app.ops.db
        .insertInto('notices')
        .values({
          scope: 'county',
          township: null,
          station_id: null,
          kind: 'event',
          severity: 'info',
          title_zh: '别的进程发布',
          title_en: null,
          body_zh: '内容',
          body_en: null,
          starts_at: now - 1000,
          ends_at: now + 60_000,
          created_by: null,
          created_at: now,
          updated_at: now,
          withdrawn_at: null,
          withdrawn_by: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const seen = await waitFor('the reload', () => showing(s, Number(id))[0], 3000);
      expect(seen.at - now).toBeLessThan(300 + LATE_MS);
      s.close();
    } finally {
      await app.close();
    }
  });
});

describe('after a restart', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'yizhan-notices-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the board reads the store at start and announces a notice that starts later', async () => {
    const first = await startFullApp({ dataDir: dir });
    // Far enough ahead that the notice has not started by the time the second app has started,
    // even on a loaded machine (a close and a start there took over 1.5 s).
    const startsAt = Date.now() + 8000;
    const id = await addTestNotice(first, { county: true }, { title: '重启后开始', startsAt, endsAt: startsAt + 60_000 });
    await first.close();

    const second = await startFullApp({ dataDir: dir });
    try {
      expect(second.notices.board.nextChangeAt()).toBe(startsAt);
      const s = await injectSse(second, `/api/v1/events?station=${OTHER.station}`);
      const started = await waitFor('the start after the restart', () => showing(s, id)[0], 20_000);
      expect(started.at).toBeGreaterThanOrEqual(startsAt);
      s.close();
    } finally {
      await second.close();
    }
  });
});
