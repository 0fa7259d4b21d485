/**
 * Language choice and the texts people see in errors. Simplified Chinese by default; English
 * with `?lang=en` or an `Accept-Language` starting with `en`.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';

export type Lang = 'zh-CN' | 'en';

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

/** Texts on the station screen and the index page. */
export const SCREEN_TEXT = {
  'zh-CN': {
    title: '暖新驿站',
    freeSeats: '空闲座位',
    freeSockets: '空闲充电口',
    water: '热水',
    door: '门',
    open: '开',
    closed: '关',
    online: '在线',
    offline: '离线',
    unknown: '未知',
    ready: '可用',
    heating: '加热中',
    fault: '故障',
    tripped: '跳闸',
    since: '自',
    lastUpdate: '最后更新',
    connecting: '连接中…',
    live: '实时',
    of: '共',
    stations: '驿站列表',
    township: '乡镇',
    seats: '座位',
    sockets: '充电口',
    status: '状态',
    otherLang: 'English',
    staffLogin: '管理登录',
    notFound: '未找到该驿站',
    connLost: '连接中断 · 数据可能过时',
    connLostShort: '连接中断',
    silentFor: '已 {0}无响应',
    stationOffline: '驿站离线',
    serialDown: '传感器连接中断',
    noData: '等待驿站数据',
    dataFrom: '数据停在 {0}',
    lastKnown: '最后已知',
    ago: '{0}前',
    closedNow: '已闭站',
    opensAt: '{0} 开放',
    opensTomorrow: '明天 {0} 开放',
    hours: '开放时间',
    dispenserFault: '热水器故障',
    waterTemp: '水温',
    faults: { heater_failure: '加热故障', over_temperature: '水温过高', water_empty: '缺水' },
    units: { s: ' 秒', min: ' 分钟', h: ' 小时', d: ' 天' },
  },
  en: {
    title: 'Warm rest station',
    freeSeats: 'Free seats',
    freeSockets: 'Free sockets',
    water: 'Hot water',
    door: 'Door',
    open: 'Open',
    closed: 'Closed',
    online: 'Online',
    offline: 'Offline',
    unknown: 'Unknown',
    ready: 'Ready',
    heating: 'Heating',
    fault: 'Fault',
    tripped: 'Tripped',
    since: 'since',
    lastUpdate: 'Last update',
    connecting: 'Connecting…',
    live: 'Live',
    of: 'of',
    stations: 'Stations',
    township: 'Township',
    seats: 'Seats',
    sockets: 'Sockets',
    status: 'Status',
    otherLang: '中文',
    staffLogin: 'Staff login',
    notFound: 'No such station',
    connLost: 'Connection lost · data may be out of date',
    connLostShort: 'Connection lost',
    silentFor: 'silent for {0}',
    stationOffline: 'Station offline',
    serialDown: 'Sensors disconnected',
    noData: 'Waiting for station data',
    dataFrom: 'data from {0}',
    lastKnown: 'Last known',
    ago: '{0} ago',
    closedNow: 'Station closed',
    opensAt: 'Opens at {0}',
    opensTomorrow: 'Opens tomorrow at {0}',
    hours: 'Opening hours',
    dispenserFault: 'Out of order',
    waterTemp: 'Water',
    faults: { heater_failure: 'heater failure', over_temperature: 'too hot', water_empty: 'out of water' },
    units: { s: ' s', min: ' min', h: ' h', d: ' d' },
  },
} as const;
export type ScreenText = (typeof SCREEN_TEXT)[Lang];
