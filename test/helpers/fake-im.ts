/**
 * Fake WeCom, DingTalk and Feishu robots: real HTTP servers on free ports that check what the
 * vendors document and answer with their real error codes, and record every request.
 *
 * | vendor   | URL                                   | signature                                                   | rate limit |
 * |----------|---------------------------------------|-------------------------------------------------------------|------------|
 * | wecom    | /cgi-bin/webhook/send?key=TOKEN       | none (93000 for a wrong key)                                | 45009      |
 * | dingtalk | /robot/send?access_token=TOKEN&timestamp=MS&sign=… | Base64(HMAC-SHA256(secret, `${ms}\n${secret}`)), ±1 h, else 310000 | 130101, then throttled 10 min |
 * | feishu   | /open-apis/bot/v2/hook/TOKEN          | body timestamp (s), sign = Base64(HMAC-SHA256(`${s}\n${secret}`, '')), ±1 h, else 19021 | 11232 |
 *
 * The signature is recomputed here from the secret, independently of the channels' code.
 * A keyword, when set, must appear in the message (DingTalk 310000, Feishu 19024).
 * `mode` makes the server misbehave: `hang` never answers, `html502` answers a proxy's HTML 502,
 * `garbage` answers 200 with a body that is not JSON. `delayMs` makes it a slow robot.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeVendor = 'wecom' | 'dingtalk' | 'feishu';

export interface FakeImOptions {
  vendor: FakeVendor;
  /** DingTalk/Feishu signing secret; unset: no signature is checked. */
  secret?: string;
  keyword?: string;
  /** Messages accepted per minute before the rate-limit code (all three document 20/min or more). */
  perMinute?: number;
  /** Server clock, ms. */
  now?: () => number;
}

export interface Received {
  /** The vendor's answer code: 0 delivered. */
  code: number;
  msg: string;
  body: unknown;
  /** What the group would see as text (content, markdown text, card markdown). */
  text: string;
  /** Who the vendor would notify: mobiles, and 'all' for everyone. */
  mentions: string[];
}

export interface FakeIm {
  /** The webhook URL to give the channel (token included). */
  url: string;
  received: Received[];
  mode: 'ok' | 'hang' | 'html502' | 'garbage';
  /**
   * Answer this many ms after a request arrives (a slow robot). A request whose client went away
   * meanwhile is not posted to the group (as if the vendor gave up on it) and only counted here.
   */
  delayMs: number;
  abandoned: number;
  /** Requests arrived and not yet answered (only while delayMs holds them). */
  inFlight: number;
  close(): Promise<void>;
}

const TOKEN = 'fake-token-0123';
const HOUR_MS = 3_600_000;
const THROTTLE_MS = 600_000;

type Answer = { code: number; msg: string; text?: string; mentions?: string[] };
type Json = Record<string, unknown>;

const hmac = (key: string, msg: string): string => createHmac('sha256', key).update(msg).digest('base64');
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

function wecom(url: URL, body: Json): Answer {
  if (url.pathname !== '/cgi-bin/webhook/send' || url.searchParams.get('key') !== TOKEN)
    return { code: 93000, msg: 'invalid webhook url' };
  if (body.msgtype === 'markdown') {
    const content = str(obj(body.markdown).content);
    if (!content) return { code: 40008, msg: 'markdown.content empty' };
    if (Buffer.byteLength(content) > 4096)
      return { code: 40058, msg: 'markdown.content exceed max length 4096' };
    return { code: 0, msg: 'ok', text: content, mentions: [] };
  }
  if (body.msgtype === 'text') {
    const text = obj(body.text);
    const content = str(text.content);
    const mobiles = text.mentioned_mobile_list === undefined ? [] : strings(text.mentioned_mobile_list);
    if (!content || !mobiles) return { code: 40008, msg: 'invalid text message' };
    if (Buffer.byteLength(content) > 2048) return { code: 40058, msg: 'text.content exceed max length 2048' };
    return { code: 0, msg: 'ok', text: content, mentions: mobiles.map((m) => (m === '@all' ? 'all' : m)) };
  }
  return { code: 40008, msg: 'invalid message type' };
}

function dingtalk(url: URL, body: Json, o: FakeImOptions, now: number): Answer {
  if (url.pathname !== '/robot/send' || url.searchParams.get('access_token') !== TOKEN)
    return { code: 300005, msg: 'token is not exist' };
  if (o.secret) {
    const ts = Number(url.searchParams.get('timestamp'));
    if (!Number.isFinite(ts) || Math.abs(now - ts) > HOUR_MS)
      return { code: 310000, msg: 'invalid timestamp' };
    // URLSearchParams has already url-decoded the sign, as DingTalk does before comparing.
    if (url.searchParams.get('sign') !== hmac(o.secret, `${ts}\n${o.secret}`))
      return { code: 310000, msg: 'sign not match' };
  }
  if (body.msgtype !== 'markdown') return { code: 40035, msg: '缺少参数 msgtype markdown' };
  const md = obj(body.markdown);
  const text = str(md.text);
  if (!str(md.title) || !text) return { code: 40035, msg: '缺少参数 markdown.title/text' };
  if (o.keyword && !text.includes(o.keyword) && !str(md.title).includes(o.keyword))
    return { code: 310000, msg: 'keywords not in content' };
  const at = obj(body.at);
  const mobiles = strings(at.atMobiles ?? []) ?? [];
  // A mobile in atMobiles is only highlighted and notified when the text also holds "@mobile".
  const mentions = [
    ...mobiles.filter((m) => text.includes(`@${m}`)),
    ...(at.isAtAll === true ? ['all'] : []),
  ];
  return { code: 0, msg: 'ok', text, mentions };
}

function feishu(url: URL, body: Json, o: FakeImOptions, now: number): Answer {
  if (url.pathname !== `/open-apis/bot/v2/hook/${TOKEN}`)
    return { code: 19001, msg: 'param invalid: incoming webhook access token invalid' };
  if (o.secret) {
    const ts = Number(body.timestamp);
    const sign = hmac(`${str(body.timestamp)}\n${o.secret}`, '');
    if (!Number.isFinite(ts) || Math.abs(now / 1000 - ts) > HOUR_MS / 1000 || body.sign !== sign)
      return { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' };
  }
  if (body.msg_type !== 'interactive') return { code: 9499, msg: 'Bad Request' };
  const card = obj(body.card);
  const title = str(obj(obj(card.header).title).content);
  const elements = Array.isArray(card.elements) ? card.elements.map(obj) : [];
  const text = elements
    .filter((e) => e.tag === 'markdown')
    .map((e) => str(e.content))
    .join('\n');
  if (!title || !text) return { code: 9499, msg: 'Bad Request: card without header title or markdown' };
  if (o.keyword && !`${title}\n${text}`.includes(o.keyword))
    return { code: 19024, msg: 'Key Words Not Found' };
  return { code: 0, msg: 'success', text, mentions: text.includes('<at id=all></at>') ? ['all'] : [] };
}

const RATE: Record<FakeVendor, Answer> = {
  wecom: { code: 45009, msg: 'api freq out of limit' },
  dingtalk: { code: 130101, msg: 'send too fast, exceed 20 times per minute' },
  feishu: { code: 11232, msg: 'frequency limited psm' },
};

export async function startFakeIm(o: FakeImOptions): Promise<FakeIm> {
  const clock = o.now ?? Date.now;
  const perMinute = o.perMinute ?? 20;
  const sent: number[] = [];
  let throttledUntil = 0;

  const judge = (url: URL, raw: string): Answer => {
    let body: Json;
    try {
      body = obj(JSON.parse(raw));
    } catch {
      return o.vendor === 'feishu'
        ? { code: 9499, msg: 'Bad Request' }
        : { code: 40035, msg: 'invalid json' };
    }
    const now = clock();
    while (sent.length && (sent[0] ?? 0) <= now - 60_000) sent.shift();
    if (now < throttledUntil || sent.length >= perMinute) {
      // DingTalk keeps a robot throttled for 10 minutes once it went over.
      if (o.vendor === 'dingtalk' && now >= throttledUntil) throttledUntil = now + THROTTLE_MS;
      return RATE[o.vendor];
    }
    const a =
      o.vendor === 'wecom'
        ? wecom(url, body)
        : o.vendor === 'dingtalk'
          ? dingtalk(url, body, o, now)
          : feishu(url, body, o, now);
    if (a.code === 0) sent.push(now);
    return a;
  };

  const fake: FakeIm = { url: '', received: [], mode: 'ok', delayMs: 0, abandoned: 0, inFlight: 0, close: async () => {} };
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    if (fake.mode === 'hang') return;
    if (res.destroyed || req.socket.destroyed) {
      fake.abandoned++;
      return;
    }
    if (fake.mode === 'html502') {
      res
        .writeHead(502, { 'content-type': 'text/html' })
        .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    if (fake.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok?');
      return;
    }
    const a = judge(new URL(req.url ?? '/', 'http://fake'), raw);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    fake.received.push({ code: a.code, msg: a.msg, body, text: a.text ?? '', mentions: a.mentions ?? [] });
    const answer =
      o.vendor === 'feishu' ? { code: a.code, msg: a.msg, data: {} } : { errcode: a.code, errmsg: a.msg };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (fake.delayMs <= 0) return handle(req, res, body);
      fake.inFlight++;
      setTimeout(() => {
        fake.inFlight--;
        handle(req, res, body);
      }, fake.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url =
    o.vendor === 'wecom'
      ? `${base}/cgi-bin/webhook/send?key=${TOKEN}`
      : o.vendor === 'dingtalk'
        ? `${base}/robot/send?access_token=${TOKEN}`
        : `${base}/open-apis/bot/v2/hook/${TOKEN}`;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    });
  return fake;
}
