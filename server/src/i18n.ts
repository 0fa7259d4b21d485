/**
 * Language choice and the texts people see in errors. Simplified Chinese by default; English
 * with `?lang=en` or an `Accept-Language` starting with `en`.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';

import type { Lang } from '@yizhan/screen/text';

export type { Lang };

export function parseLang(v: string | undefined): Lang | undefined {
  if (!v) return undefined;
  const s = v.trim().toLowerCase();
  if (s.startsWith('en')) return 'en';
  if (s.startsWith('zh')) return 'zh-CN';
  return undefined;
}

/**
 * `?lang=` wins, then (for the API) the first Accept-Language tag, then the server default.
 * Pages pass `useAcceptLanguage: false`: a kiosk browser installed with an English locale must
 * still show the station screen in Chinese unless the URL says `?lang=en`.
 */
export function pickLang(req: FastifyRequest, dflt: Lang, opts: { useAcceptLanguage?: boolean } = {}): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  const fromQuery = parseLang(typeof q === 'string' ? q : undefined);
  if (fromQuery) return fromQuery;
  if (opts.useAcceptLanguage === false) return dflt;
  const al = req.headers['accept-language'];
  const first = typeof al === 'string' ? al.split(',')[0] : undefined;
  return parseLang(first) ?? dflt;
}

type Params = Record<string, string | number>;
const MESSAGES = {
  station_not_found: {
    'zh-CN': (p: Params) => `未找到驿站 "${p.id}"`,
    en: (p: Params) => `No station with id "${p.id}"`,
  },
  alert_not_found: {
    'zh-CN': (p: Params) => `没有编号为 ${p.id} 的告警`,
    en: (p: Params) => `No alert with id ${p.id}`,
  },
  alert_still_firing: {
    'zh-CN': (p: Params) => `告警 ${p.id} 仍在触发：只能关闭已恢复或抖动（待人工复核）的告警`,
    en: (p: Params) => `Alert ${p.id} is still firing: only a resolved or flapping (awaiting review) alert can be closed`,
  },
  invalid_assignee: {
    'zh-CN': (p: Params) => `不能指派给用户 ${p.id}：${p.reasonZh}`,
    en: (p: Params) => `Cannot assign to user ${p.id}: ${p.reasonEn}`,
  },
  bad_cursor: {
    'zh-CN': (p: Params) => `before：没有编号为 ${p.id} 的告警（请用上一页答复中的 next）`,
    en: (p: Params) => `before: no alert with id ${p.id} (use the next of the previous page)`,
  },
  invalid_body: {
    'zh-CN': (p: Params) => `请求体无效：${p.detail}`,
    en: (p: Params) => `Invalid body: ${p.detail}`,
  },
  not_found: {
    'zh-CN': (p: Params) => `未找到 ${p.method} ${p.url}`,
    en: (p: Params) => `Not found: ${p.method} ${p.url}`,
  },
  bad_request: {
    'zh-CN': (p: Params) => `请求无效：${p.detail}`,
    en: (p: Params) => `Bad request: ${p.detail}`,
  },
  body_too_large: {
    'zh-CN': (p: Params) => `请求体太大：此接口最多接受 ${p.limit}`,
    en: (p: Params) => `Request body too large: this endpoint takes at most ${p.limit}`,
  },
  too_many_streams: {
    'zh-CN': (p: Params) => `此地址打开的实时数据流过多（最多 ${p.limit} 个），请关闭一些页面后重试`,
    en: (p: Params) =>
      `Too many live streams from this address (at most ${p.limit}); close some pages and retry`,
  },
  bad_url: {
    'zh-CN': () => '请求地址无效：路径中有不能解码的字符',
    en: () => 'Invalid URL: the path has characters that cannot be decoded',
  },
  param_too_long: {
    'zh-CN': (p: Params) => `请求地址无效：路径中的编号超过 ${p.limit} 个字符`,
    en: (p: Params) => `Invalid URL: an id in the path is longer than ${p.limit} characters`,
  },
  login_required: {
    'zh-CN': () => '请先登录（或提供有效的 API 令牌）',
    en: () => 'Log in first (or send a valid API token)',
  },
  forbidden: {
    'zh-CN': (p: Params) => `无权限：需要 ${p.permission}`,
    en: (p: Params) => `Not allowed: needs ${p.permission}`,
  },
  forbidden_township: {
    'zh-CN': (p: Params) => `无权限：${p.permission} 不包括镇街 ${p.township}`,
    en: (p: Params) => `Not allowed: your ${p.permission} does not cover township ${p.township}`,
  },
  township_not_found: {
    'zh-CN': (p: Params) => `没有代码为 "${p.code}" 的镇街`,
    en: (p: Params) => `No township with code "${p.code}"`,
  },
  session_required: {
    'zh-CN': () => '只能在登录的浏览器会话中修改密码，API 令牌不行',
    en: () => 'The password can only be changed from a logged-in browser session, not with an API token',
  },
  csrf_failed: {
    'zh-CN': () => '缺少或错误的 x-csrf-token 请求头（请刷新页面后重试）',
    en: () => 'Missing or wrong x-csrf-token header (reload the page and retry)',
  },
  internal: {
    'zh-CN': () => '服务器内部错误，请稍后再试',
    en: () => 'Internal server error, please try again later',
  },
} as const;
export type ErrorCode = keyof typeof MESSAGES;

export function message(code: ErrorCode, lang: Lang, params: Params = {}): string {
  return MESSAGES[code][lang](params);
}

const UNITS = {
  'zh-CN': { d: ' 天', h: ' 小时', min: ' 分钟', minShort: ' 分', s: ' 秒', sep: ' ' },
  en: { d: ' d', h: ' h', min: ' min', minShort: ' min', s: ' s', sep: ' ' },
} as const;

/**
 * A duration for people, at most two units, rounded down: `45 秒` / `45 s`, `1 分 30 秒` /
 * `1 min 30 s` (below 10 minutes), `12 分钟` / `12 min`, `2 小时 5 分钟` / `2 h 5 min`,
 * `3 天 4 小时` / `3 d 4 h`. Negative values count as 0.
 */
export function formatDuration(ms: number, lang: Lang): string {
  const u = UNITS[lang];
  const totalS = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(totalS / 86_400);
  const h = Math.floor((totalS % 86_400) / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const sec = totalS % 60;
  const two = (a: number, ua: string, b: number, ub: string) =>
    b ? `${a}${ua}${u.sep}${b}${ub}` : `${a}${ua}`;
  if (d) return two(d, u.d, h, u.h);
  if (h) return two(h, u.h, m, u.min);
  if (m >= 10) return `${m}${u.min}`;
  if (m) return sec ? `${m}${u.minShort}${u.sep}${sec}${u.s}` : `${m}${u.min}`;
  return `${sec}${u.s}`;
}

/** Every error body: `{ error: { code, message } }`. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable code, e.g. station_not_found' }),
        message: Type.String({ description: 'For people, in the requested language' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/**
 * Error answers from a route group's own table of templates ("{name}" replaced from params):
 * `const err = errorTable(TEXT); err('station_not_found', lang, { id })`.
 */
export function errorTable<C extends string>(table: Record<C, Record<Lang, string>>) {
  return (code: C, lang: Lang, params: Record<string, string> = {}) => ({
    error: { code, message: table[code][lang].replace(/\{(\w+)\}/g, (_m, k: string) => params[k] ?? '') },
  });
}

export function errorBody(code: ErrorCode, lang: Lang, params: Params = {}) {
  return { error: { code, message: message(code, lang, params) } };
}

export { SCREEN_TEXT, type ScreenText } from '@yizhan/screen/text';
