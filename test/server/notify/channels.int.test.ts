/**
 * The IM channels against fake vendor robots (test/helpers/fake-im.ts) that check signatures and
 * body formats as WeCom, DingTalk and Feishu document them and answer with their real codes; and
 * the generic webhook channel against a plain HTTP receiver.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel, OutboundMessage } from '../../../server/src/notify/channel.js';
import { DingtalkChannel } from '../../../server/src/notify/channels/dingtalk.js';
import { FeishuChannel } from '../../../server/src/notify/channels/feishu.js';
import { WebhookChannel } from '../../../server/src/notify/channels/webhook.js';
import { WecomChannel } from '../../../server/src/notify/channels/wecom.js';
import { Cleanups } from '../../helpers/cleanups.js';
import { startFakeIm } from '../../helpers/fake-im.js';
import type { FakeIm, FakeImOptions, FakeVendor } from '../../helpers/fake-im.js';

const SECRET = 'SECf00dbabe-城关镇';
const LINK = 'https://yizhan.example.cn/alerts/42';
const MOBILE = '13800138000';

const message: OutboundMessage = {
  title: '城关镇 1 号驿站：热水器故障',
  markdown: '**城关镇 1 号驿站**（人民路 8 号）\n> 热水器 40 分钟未加热，自 08:15 起',
  text: '城关镇 1 号驿站（人民路 8 号）\n热水器 40 分钟未加热，自 08:15 起',
  link: LINK,
};

interface Case {
  vendor: FakeVendor;
  channel(url: string, o?: { secret?: string; now?: () => number; timeoutMs?: number }): Channel;
  /** Who the group is told about for a message mentioning MOBILE and everyone. */
  mentions: string[];
  /** The vendor's answer to a request it cannot authenticate (wrong secret, wrong key). */
  authError: string;
  rateLimit: string;
  /** The vendor's answer when the keyword is missing; undefined: the vendor has no keywords. */
  keywordError?: string;
}

const cases: Case[] = [
  {
    vendor: 'wecom',
    // WeCom has no signature: the key in the URL is the secret.
    channel: (url, o) =>
      new WecomChannel('维修群', {
        url: o?.secret === 'wrong' ? url.replace(/key=[^&]+/, 'key=wrong') : url,
        ...o,
      }),
    mentions: [MOBILE, 'all'],
    authError: '93000',
    rateLimit: '45009',
  },
  {
    vendor: 'dingtalk',
    channel: (url, o) => new DingtalkChannel('维修群', { url, secret: SECRET, ...o }),
    mentions: [MOBILE, 'all'],
    authError: '310000',
    rateLimit: '130101',
    keywordError: '310000',
  },
  {
    vendor: 'feishu',
    // A Feishu custom bot cannot mention by mobile: only everyone is notified.
    channel: (url, o) => new FeishuChannel('维修群', { url, secret: SECRET, ...o }),
    mentions: ['all'],
    authError: '19021',
    rateLimit: '11232',
    keywordError: '19024',
  },
];

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function fake(o: FakeImOptions): Promise<FakeIm> {
  const f = await startFakeIm({ secret: o.vendor === 'wecom' ? undefined : SECRET, ...o });
  cleanups.add(`fake ${o.vendor}`, () => f.close());
  return f;
}

describe.each(cases)('$vendor channel', (c) => {
  it('delivers the Chinese text, the link and the @-mentions', async () => {
    const f = await fake({ vendor: c.vendor });
    const r = await c.channel(f.url).send({ ...message, mentionMobiles: [MOBILE], mentionAll: true });
    expect(r).toMatchObject({ ok: true, code: '0' });
    expect(f.received).toHaveLength(1);
    const got = f.received[0];
    expect(got?.code).toBe(0);
    expect(got?.text).toContain('热水器 40 分钟未加热，自 08:15 起');
    expect(JSON.stringify(got?.body)).toContain(LINK);
    expect(got?.mentions).toEqual(c.mentions);
    if (c.vendor === 'feishu') expect(got?.text).toContain(`@${MOBILE}`);
  });

  it('without mentions sends Markdown', async () => {
    const f = await fake({ vendor: c.vendor });
    expect((await c.channel(f.url).send(message)).ok).toBe(true);
    expect(f.received[0]?.text).toContain('**城关镇 1 号驿站**');
    expect(f.received[0]?.mentions).toEqual([]);
  });

  it("a wrong secret gets the vendor's error in a 200 and is not retried", async () => {
    const f = await fake({ vendor: c.vendor });
    const r = await c.channel(f.url, { secret: 'wrong' }).send(message);
    expect(r).toMatchObject({ ok: false, retryable: false, code: c.authError });
    expect(r.detail).toContain(c.authError);
    expect(f.received.filter((x) => x.code === 0)).toHaveLength(0);
  });

  it.skipIf(c.vendor === 'wecom')('a timestamp more than an hour off is refused', async () => {
    const f = await fake({ vendor: c.vendor });
    const r = await c.channel(f.url, { now: () => Date.now() - 61 * 60_000 }).send(message);
    expect(r).toMatchObject({ ok: false, retryable: false, code: c.authError });
    // Within the hour is fine: the vendors allow for clock skew.
    expect((await c.channel(f.url, { now: () => Date.now() - 50 * 60_000 }).send(message)).ok).toBe(true);
  });

  it.skipIf(!c.keywordError)("a message without the robot's keyword is refused, not retried", async () => {
    const f = await fake({ vendor: c.vendor, keyword: '驿站告警' });
    const r = await c.channel(f.url).send(message);
    expect(r).toMatchObject({ ok: false, retryable: false, code: c.keywordError });
    const withKeyword = {
      ...message,
      title: `驿站告警 ${message.title}`,
      markdown: `驿站告警\n${message.markdown}`,
    };
    expect((await c.channel(f.url).send(withKeyword)).ok).toBe(true);
  });

  it("beyond the rate limit the vendor's code is retryable, with a wait", async () => {
    const f = await fake({ vendor: c.vendor, perMinute: 3 });
    const ch = c.channel(f.url);
    for (let i = 0; i < 3; i++) expect((await ch.send(message)).ok).toBe(true);
    const r = await ch.send(message);
    expect(r).toMatchObject({ ok: false, retryable: true, code: c.rateLimit });
    expect(r.retryAfterMs).toBeGreaterThanOrEqual(60_000);
  });

  it('a robot that does not answer times out, retryable', async () => {
    const f = await fake({ vendor: c.vendor });
    f.mode = 'hang';
    const r = await c.channel(f.url, { timeoutMs: 200 }).send(message);
    expect(r).toEqual({ ok: false, retryable: true, code: 'timeout', detail: 'timeout after 200 ms' });
  });

  it('garbage answers fail with what came back, without a crash', async () => {
    const f = await fake({ vendor: c.vendor });
    f.mode = 'html502';
    const proxy = await c.channel(f.url).send(message);
    expect(proxy).toMatchObject({ ok: false, retryable: true, code: 'http_502' });
    expect(proxy.detail).toContain('502 Bad Gateway');
    f.mode = 'garbage';
    // A 200 that is not JSON may have been delivered: not retried, so not sent twice.
    const garbage = await c.channel(f.url).send(message);
    expect(garbage).toMatchObject({ ok: false, retryable: false, code: 'bad_answer' });
    expect(garbage.detail).toContain('ok?');
  });
});

describe('vendor specifics', () => {
  it("WeCom: a long message is cut to the vendor's byte limit, the link kept, instead of refused", async () => {
    const f = await fake({ vendor: 'wecom' });
    const long = { ...message, text: '热水器故障。'.repeat(400), markdown: '**热水器故障**。'.repeat(400) };
    const ch = new WecomChannel('维修群', { url: f.url });
    expect((await ch.send({ ...long, mentionMobiles: [MOBILE] })).ok).toBe(true);
    expect((await ch.send(long)).ok).toBe(true);
    const [text, markdown] = f.received.map((r) => r.text);
    expect(Buffer.byteLength(text ?? '')).toBeLessThanOrEqual(2048);
    expect(text).toMatch(/…\nhttps:\/\/yizhan\.example\.cn\/alerts\/42$/);
    expect(Buffer.byteLength(markdown ?? '')).toBeLessThanOrEqual(4096);
    expect(markdown).toContain(`](${LINK})`);
  });

  it('DingTalk: a robot over its limit stays throttled for 10 minutes', async () => {
    let now = Date.now();
    const f = await fake({ vendor: 'dingtalk', perMinute: 2, now: () => now });
    const ch = new DingtalkChannel('维修群', { url: f.url, secret: SECRET });
    for (let i = 0; i < 2; i++) expect((await ch.send(message)).ok).toBe(true);
    const r = await ch.send(message);
    expect(r).toMatchObject({ ok: false, retryable: true, code: '130101', retryAfterMs: 600_000 });
    now += 2 * 60_000;
    expect((await ch.send(message)).code).toBe('130101');
    now += 9 * 60_000;
    expect((await ch.send(message)).ok).toBe(true);
  });
});

describe('transport failures', () => {
  it("a closed port is a retryable network error; a caller's abort is not retried", async () => {
    const f = await startFakeIm({ vendor: 'wecom' });
    await f.close();
    const ch = new WecomChannel('维修群', { url: f.url });
    expect(await ch.send(message)).toMatchObject({ ok: false, retryable: true, code: 'network' });
    const r = await ch.send(message, AbortSignal.abort());
    expect(r).toMatchObject({ ok: false, retryable: false, code: 'aborted' });
  });
});

describe('webhook channel', () => {
  async function receiver(status: number): Promise<{ url: string; bodies: unknown[] }> {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(status).end(status === 200 ? 'thanks' : 'no');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.add('webhook receiver', () => new Promise<void>((r) => server.close(() => r())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
  }

  it('posts the message as JSON; any 2xx is delivered', async () => {
    const rx = await receiver(200);
    const r = await new WebhookChannel('值班系统', { url: rx.url }).send({
      ...message,
      mentionMobiles: [MOBILE],
    });
    expect(r.ok).toBe(true);
    expect(rx.bodies).toEqual([
      { version: '1', receiver: 'yizhan', message: { ...message, mentionMobiles: [MOBILE] } },
    ]);
  });

  it.each([
    [503, true],
    [429, true],
    [400, false],
    [404, false],
  ])('HTTP %i: retryable %s', async (status, retryable) => {
    const rx = await receiver(status);
    const r = await new WebhookChannel('值班系统', { url: rx.url }).send(message);
    expect(r).toMatchObject({ ok: false, retryable, code: `http_${status}` });
  });
});
