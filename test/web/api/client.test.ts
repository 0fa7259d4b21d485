/**
 * The web app's API client (web/src/api/client.ts) against a recording fetch: the CSRF header on
 * every write, the chosen language, the server's message on errors, and the way back to the login
 * page on a 401 (but not for a wrong password).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createClient, queryString } from '../../../web/src/api/client.js';
import type { Lang } from '../../../web/src/api/types.js';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

function rig(answer: (s: Sent) => Response | Promise<Response>, lang: Lang = 'zh-CN') {
  const sent: Sent[] = [];
  const unauthorized: string[] = [];
  const api = createClient(
    { lang: () => lang, csrf: () => 'csrf-123', onUnauthorized: (e) => unauthorized.push(e.message) },
    async (input, init) => {
      const s: Sent = {
        method: init?.method ?? 'GET',
        url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
      };
      sent.push(s);
      return answer(s);
    },
  );
  return { api, sent, unauthorized };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const noContent = () => new Response(null, { status: 204 });

describe('web API client', () => {
  it('sends x-csrf-token on every write and never on a read', async () => {
    const { api, sent } = rig((s) => (s.method === 'DELETE' ? noContent() : json(200, {})));
    await api.users();
    await api.patchUser(7, { disabled: true });
    await api.revokeToken(3);
    await api.ack('a/1');
    expect(sent.map((s) => [s.method, s.url, s.headers['x-csrf-token']])).toEqual([
      ['GET', '/api/v1/users', undefined],
      ['PATCH', '/api/v1/users/7', 'csrf-123'],
      ['DELETE', '/api/v1/tokens/3', 'csrf-123'],
      ['POST', '/api/v1/alerts/a%2F1/ack', 'csrf-123'],
    ]);
    expect(sent[1]!.body).toEqual({ disabled: true });
    expect(sent[1]!.headers['content-type']).toBe('application/json');
  });

  it('asks for answers in the chosen language', async () => {
    const { api, sent } = rig(() => json(200, { townships: [] }), 'en');
    await api.townships();
    expect(sent[0]!.headers['accept-language']).toBe('en');
  });

  it("shows the server's message and returns to the login page on a 401", async () => {
    const { api, unauthorized } = rig(() =>
      json(401, { error: { code: 'login_required', message: '请先登录（或提供有效的 API 令牌）' } }),
    );
    const err = await api.alerts({ state: 'firing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 401,
      code: 'login_required',
      message: '请先登录（或提供有效的 API 令牌）',
    });
    expect(unauthorized).toEqual(['请先登录（或提供有效的 API 令牌）']);
  });

  it('keeps a wrong password on the login page (no session ended)', async () => {
    const { api, unauthorized } = rig(() =>
      json(401, { error: { code: 'bad_credentials', message: '账号或密码错误' } }),
    );
    await expect(api.login({ login: 'wang', password: 'x' })).rejects.toMatchObject({
      message: '账号或密码错误',
    });
    expect(unauthorized).toEqual([]);
  });

  it('names the status when the answer is no error body, and the network when there is no answer', async () => {
    const { api } = rig(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    await expect(api.fleet()).rejects.toMatchObject({ status: 502, message: '服务器返回 502' });
    const down = rig(() => Promise.reject(new TypeError('fetch failed')), 'en');
    await expect(down.api.fleet()).rejects.toMatchObject({
      status: 0,
      code: 'network',
      message: /Cannot reach/,
    });
  });

  it('builds queries from the filters that are set', () => {
    expect(queryString({ state: 'firing', township: undefined, station: '', acked: false, limit: 50 })).toBe(
      '?state=firing&acked=false&limit=50',
    );
    expect(queryString({})).toBe('');
  });

  it("sends the crews' writes with their JSON bodies, and a photo as the raw image body", async () => {
    const { api, sent } = rig(() => json(200, {}));
    await api.assign('a1', 7);
    await api.assign('a1', null);
    await api.closeAlert('a1', '  ');
    await api.fixedWorkOrder(3, ' 换了加热管 ');
    const photo = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    await api.addPhoto(3, photo);
    await api.workOrders({ assignee: 'me', state: 'active', limit: 200 });
    expect(sent.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/api/v1/alerts/a1/assign', { userId: 7 }],
      ['POST', '/api/v1/alerts/a1/assign', { userId: null }],
      ['POST', '/api/v1/alerts/a1/close', {}],
      ['POST', '/api/v1/work-orders/3/fixed', { note: '换了加热管' }],
      ['POST', '/api/v1/work-orders/3/photos', photo],
      ['GET', '/api/v1/work-orders?assignee=me&state=active&limit=200', undefined],
    ]);
    expect(sent[4]!.headers['content-type']).toBe('image/jpeg');
    expect(sent[4]!.headers['x-csrf-token']).toBe('csrf-123');
    expect(api.monthlyCsvUrl('2026-11', 'chengguan')).toBe(
      '/api/v1/reports/monthly.csv?month=2026-11&township=chengguan',
    );
  });
});
