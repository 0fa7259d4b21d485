/**
 * The board's copy of the server's nearby answer: only answers the page can read are kept, with
 * the time the board got them; before the first one there is none (the page says it has no data).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { NearbyCopy, isNearbyAnswer } from '../../../edge/src/screen/nearby-copy.js';
import { waitFor } from '../../helpers/wait.js';

const station = {
  id: 'st-002',
  name: '测试002号驿站',
  nameEn: null,
  distanceM: 1200,
  direction: 'NE',
  has: true,
  sockets: { total: 4, free: 2 },
};

describe('isNearbyAnswer', () => {
  it('takes the server answer and refuses what the page could not read', () => {
    expect(isNearbyAnswer({ generatedAt: 1, stations: [station] })).toBe(true);
    expect(isNearbyAnswer({ generatedAt: 1, stations: [] })).toBe(true);
    for (const bad of [
      null,
      'x',
      { stations: [station] },
      { generatedAt: '1', stations: [station] },
      { generatedAt: 1, stations: {} },
      { generatedAt: 1, stations: [{ ...station, has: 'yes' }] },
      { generatedAt: 1, stations: [{ ...station, sockets: { free: '2' } }] },
      { generatedAt: 1, stations: [{ ...station, sockets: null }] },
      { generatedAt: 1, stations: [{ ...station, distanceM: Infinity }] },
    ])
      expect(isNearbyAnswer(bad), JSON.stringify(bad)).toBe(false);
  });
});

describe('NearbyCopy', () => {
  let copy: NearbyCopy | undefined;
  afterEach(() => {
    copy?.stop();
    vi.unstubAllGlobals();
  });

  it("asks the screen's request, keeps a good answer with the board's time and ignores a bad one", async () => {
    const asked: string[] = [];
    let body: unknown = { generatedAt: 5, stations: [station] };
    vi.stubGlobal('fetch', (url: URL) => {
      asked.push(url.href);
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    });
    copy = new NearbyCopy({
      from: 'https://yizhan.example.cn',
      stationId: 'st-001',
      staleMs: 4000,
      logger: pino({ level: 'silent' }),
    });
    expect(copy.current()).toBeNull();
    const before = Date.now();
    copy.start();
    await waitFor('the first answer', () => copy!.current() !== null);
    expect(asked[0]).toBe(
      'https://yizhan.example.cn/api/v1/public/stations/nearby?near=st-001&need=socket&limit=3&lang=zh-CN',
    );
    const got = copy.current()!;
    expect(got.stations).toEqual([station]);
    expect(got.receivedAt).toBeGreaterThanOrEqual(before);
    body = { error: 'not an answer' };
    // Asked every staleMs / 4 = 1 s: the bad answer comes and the good one stays.
    await waitFor('two more asks', () => asked.length >= 3, 15_000);
    expect(copy.current()).toBe(got);
  });
});
