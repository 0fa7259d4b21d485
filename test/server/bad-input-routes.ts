/**
 * The routes bad-input.test.ts feeds bad input to: every write route with a body it accepts, its
 * checked and free-text fields and a wrong-typed value, the list routes' query parameters, and the
 * path tricks for ids.
 */
import { OWN } from './full-app.js';
import { noticeBody } from './routes/notices/helpers.js';

export const SQL = [`' OR 1=1 --`, `"; DROP TABLE users; --`];
export const MB = 'x'.repeat(1024 * 1024);

export interface WriteRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `:id` is replaced by a real id (or a trick). */
  url: string;
  /** A body the route accepts (undefined: the route takes none). */
  body?: () => Record<string, unknown>;
  /** String fields checked against a pattern or a list: SQL metacharacters there are a 400. */
  strict?: string[];
  /** Free-text string fields: stored as sent. */
  free?: string[];
  /** A field and a value of the wrong type. */
  wrongType: [string, unknown][];
}

let n = 0;
export const ROUTES: WriteRoute[] = [
  {
    method: 'PUT',
    url: '/api/v1/stations/:station/config',
    body: () => ({ readingIntervalS: 5 }),
    wrongType: [
      ['readingIntervalS', 'fast'],
      ['sensorsEnabled', 'all'],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/auth/login',
    body: () => ({ login: 'nobody', password: 'not-the-password-1' }),
    wrongType: [
      ['login', 42],
      ['password', ['a']],
    ],
  },
  {
    method: 'PATCH',
    url: '/api/v1/auth/me',
    body: () => ({ mobile: null }),
    strict: ['mobile'],
    wrongType: [['mobile', 13812341234]],
  },
  {
    method: 'POST',
    url: '/api/v1/auth/password',
    body: () => ({ current: 'not-the-password-1', next: 'a-new-password-2026' }),
    wrongType: [['next', 12345678901]],
  },
  {
    method: 'POST',
    url: '/api/v1/users',
    body: () => ({
      login: `bad${++n}`,
      displayName: '新用户',
      grants: [{ role: 'viewer', scope: OWN.code }],
    }),
    strict: ['login', 'mobile'],
    free: ['displayName'],
    wrongType: [
      ['grants', 'viewer'],
      ['displayName', { zh: 'x' }],
      ['mobile', 13812341234],
    ],
  },
  {
    method: 'PATCH',
    url: '/api/v1/users/:user',
    body: () => ({ displayName: '改名' }),
    strict: ['mobile'],
    free: ['displayName'],
    wrongType: [
      ['disabled', 'yes please'],
      ['grants', 7],
      ['mobile', 13812341234],
    ],
  },
  { method: 'POST', url: '/api/v1/users/:user/reset-password', wrongType: [] },
  {
    method: 'POST',
    url: '/api/v1/tokens',
    body: () => ({ name: '脚本', scopes: ['station:read'] }),
    free: ['name'],
    wrongType: [['scopes', 'station:read']],
  },
  { method: 'DELETE', url: '/api/v1/tokens/:token', wrongType: [] },
  { method: 'POST', url: '/api/v1/alerts/:alert/ack', wrongType: [] },
  { method: 'POST', url: '/api/v1/alerts/:alert/unack', wrongType: [] },
  {
    method: 'POST',
    url: '/api/v1/alerts/:alert/comments',
    body: () => ({ text: '已到场' }),
    free: ['text'],
    wrongType: [['text', { a: 1 }]],
  },
  {
    method: 'POST',
    url: '/api/v1/alerts/:alert/assign',
    body: () => ({ userId: null }),
    wrongType: [
      ['userId', 'crew'],
      ['userId', 0],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/alerts/:alert/close',
    // The alert fires, so an accepted body is a 409: the checks below all stop at the body.
    body: () => ({ note: '已修好' }),
    wrongType: [['note', 5]],
  },
  {
    method: 'POST',
    url: '/api/v1/silences',
    body: () => ({ matchers: { township: OWN.code }, endsAt: Date.now() + 3_600_000, reason: '检修' }),
    free: ['reason'],
    wrongType: [
      ['endsAt', 'tomorrow'],
      ['matchers', 'all'],
      ['window', { days: 'weekdays', from: '02:00', to: '03:00' }],
    ],
  },
  { method: 'DELETE', url: '/api/v1/silences/:silence', wrongType: [] },
  {
    method: 'POST',
    url: '/api/v1/notices',
    body: () => noticeBody({ township: OWN.code }),
    wrongType: [
      ['endsAt', 'tomorrow'],
      ['scope', 'everywhere'],
      ['title', '暴雨预警'],
    ],
  },
  {
    method: 'PATCH',
    url: '/api/v1/notices/:notice',
    body: () => ({ severity: 'critical' }),
    wrongType: [
      ['startsAt', 'now'],
      ['severity', 3],
    ],
  },
  { method: 'POST', url: '/api/v1/notices/:notice/withdraw', wrongType: [] },
  { method: 'POST', url: '/api/v1/alert-rules/reload', wrongType: [] },
  { method: 'POST', url: '/api/v1/notifications/:notification/retry', wrongType: [] },
  {
    method: 'POST',
    url: '/api/v1/work-orders',
    body: () => ({ stationId: OWN.station, title: '换灯管', severity: 'info' }),
    strict: ['stationId'],
    free: ['title', 'description'],
    wrongType: [
      ['severity', 'urgent'],
      ['assigneeId', 'me'],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/work-orders/:order/assign',
    body: () => ({ userId: null }),
    wrongType: [['userId', 'me']],
  },
  ...['start', 'fixed', 'close'].map((verb): WriteRoute => ({
    method: 'POST',
    url: `/api/v1/work-orders/:order/${verb}`,
    body: () => ({}),
    wrongType: [['note', { a: 1 }]],
  })),
  {
    method: 'POST',
    url: '/api/v1/work-orders/:order/comments',
    body: () => ({ text: '到场' }),
    free: ['text'],
    wrongType: [['text', 7]],
  },
  {
    method: 'POST',
    url: '/api/v1/public/reports',
    body: () => ({ category: 'station_fault', text: '热水器坏了', stationId: OWN.station }),
    strict: ['category', 'stationId'],
    wrongType: [
      ['text', { zh: '坏了' }],
      ['location', '城关镇'],
      ['photoCount', 'many'],
      ['contact', '138 0013 8000'],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/rider-reports/:report/triage',
    body: () => ({ decision: 'not_valid', reason: '描述不清' }),
    strict: ['decision', 'duplicateOf'],
    wrongType: [
      ['decision', 1],
      ['reason', { zh: '重复' }],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/rider-reports/:report/assign',
    body: () => ({ department: '县城管局' }),
    wrongType: [
      ['userId', 'me'],
      ['department', ['县城管局', '县市监局']],
    ],
  },
  {
    method: 'POST',
    url: '/api/v1/rider-reports/:report/resolve',
    body: () => ({ note: '已处理' }),
    wrongType: [['note', { a: 1 }]],
  },
];

/**
 * Query strings of the list routes: a value of the wrong kind for each parameter (a 4xx naming
 * it), and free-text filters (`free`: SQL metacharacters match nothing, so an empty list).
 */
// Every filter is checked (a pattern, or a known township code), so SQL text is refused by name.
export const LISTS: { url: string; params: Record<string, string> }[] = [
  { url: '/api/v1/events', params: { station: 'st-999' } },
  {
    url: '/api/v1/alerts',
    params: {
      state: 'burning',
      limit: 'many',
      acked: 'perhaps',
      before: `' OR 1=1 --`,
      township: `' OR 1=1 --`,
      station: `st-001' OR '1'='1`,
      rule: `"; DROP TABLE alerts; --`,
      assignee: `' OR 1=1 --`,
    },
  },
  { url: '/api/v1/people', params: { township: `' OR 1=1 --` } },
  { url: '/api/v1/silences', params: { active: `' OR 1=1 --` } },
  { url: '/api/v1/notices', params: { state: `' OR 1=1 --` } },
  {
    url: '/api/v1/rider-reports',
    params: {
      status: 'burning',
      category: `' OR 1=1 --`,
      township: `' OR 1=1 --`,
      station: `st-001' OR '1'='1`,
      from: 'yesterday',
      limit: 'many',
      before: `"; DROP TABLE rider_reports; --`,
    },
  },
  { url: '/api/v1/rider-reports/figures', params: { from: 'yesterday', to: '2026-02-30x', township: `' OR 1=1 --` } },
  {
    url: '/api/v1/notifications',
    params: { state: 'lost', channel: 'x'.repeat(65), limit: 'many', before: `' OR 1=1 --` },
  },
  { url: '/api/v1/fleet', params: { township: `' OR 1=1 --` } },
  {
    url: '/api/v1/work-orders',
    params: {
      state: 'burning',
      limit: 'many',
      before: `' OR 1=1 --`,
      township: `' OR 1=1 --`,
      station: `st-001' OR '1'='1`,
      assignee: `"; DROP TABLE work_orders; --`,
    },
  },
  {
    url: '/api/v1/reports/response',
    params: { from: 'yesterday', to: '2026-02-30x', township: `' OR 1=1 --` },
  },
  // month is required: its township goes through the same check as the response report's.
  { url: '/api/v1/reports/monthly.csv', params: { month: '2026-13' } },
  {
    url: '/api/v1/audit',
    params: {
      from: 'yesterday',
      limit: '-1',
      before: `x' --`,
      user: `x' OR '1'='1`,
      action: `"; DROP TABLE audit_log; --`,
      township: `' OR 1=1 --`,
    },
  },
];

export const PATH_TRICKS = [
  '..%2f..%2fetc%2fpasswd',
  'st-001%00',
  'x'.repeat(600),
  encodeURIComponent('ｓｔ－００１'),
  'st-001%E2%80%8B',
  '%E2%80%AEst-001',
];
