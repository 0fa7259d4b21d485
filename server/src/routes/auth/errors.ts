/**
 * Error answers of the auth, users and tokens routes: bilingual texts, the status of each code,
 * and the request-body check that names the offending field (fastify's ajv would strip unknown
 * keys silently: removeAdditional is on for the whole app).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describeValueError, withoutEchoes } from '@yizhan/common/schema-errors';
import { errorTable, pickLang } from '../../i18n.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../auth/passwords.js';
import { AccountError } from '../../auth/accounts.js';
import { TokenError } from '../../auth/tokens.js';
import { KdfBusyError } from '../../auth/passwords.js';

const TEXT = {
  invalid_body: { 'zh-CN': '请求内容无效：{field}：{detail}', en: 'Invalid request: {field}: {detail}' },
  bad_credentials: { 'zh-CN': '登录名或密码错误', en: 'Wrong login or password' },
  rate_limited: {
    'zh-CN': '登录尝试过于频繁，请 {seconds} 秒后再试',
    en: 'Too many login attempts; try again in {seconds} s',
  },
  account_locked: {
    'zh-CN': '连续多次密码错误，账号已临时锁定，请 {minutes} 分钟后再试或请管理员重置密码',
    en: 'Too many wrong passwords: the account is locked; try again in {minutes} min or ask an admin to reset the password',
  },
  account_disabled: { 'zh-CN': '账号已停用，请联系管理员', en: 'This account is disabled; ask an admin' },
  busy: { 'zh-CN': '服务器正忙，请稍后再试', en: 'The server is busy; try again shortly' },
  invalid_login: {
    'zh-CN': 'login：“{login}”无效：须以小写字母开头，只含 a-z 0-9 _ . -，3 到 64 个字符',
    en: 'login: "{login}" is not valid: a lower-case letter first, then a-z 0-9 _ . -, 3 to 64 characters',
  },
  login_taken: { 'zh-CN': 'login：登录名 “{login}” 已存在', en: 'login: "{login}" exists already' },
  user_not_found: {
    'zh-CN': '没有编号为 {user} 的用户（或无权管理）',
    en: 'No user {user} (or not yours to manage)',
  },
  invalid_grant: { 'zh-CN': '{at}：授权无效：{detail}', en: '{at}: invalid grant: {detail}' },
  forbidden_grant: {
    'zh-CN': 'grants：无权授予 {grant}（只能授予自己管理的镇街，不能授予全县或县总工会管理员）',
    en: 'grants: you may not grant {grant} (only townships you manage; never county scope or county_admin)',
  },
  last_county_admin: {
    'zh-CN': '{login} 是唯一启用的县总工会管理员，不能停用或撤销其授权（请先任命另一位）',
    en: '{login} is the only enabled county admin and cannot be disabled or lose that grant (appoint another first)',
  },
  cannot_disable_self: {
    'zh-CN': 'disabled：不能停用自己的账号',
    en: 'disabled: you cannot disable your own account',
  },
  bad_current_password: { 'zh-CN': 'current：当前密码错误', en: 'current: the current password is wrong' },
  invalid_mobile: {
    'zh-CN':
      'mobile：“{mobile}” 不是中国大陆手机号（11 位数字，以 13–19 开头，如 13812345678；清除请传 null）',
    en: 'mobile: "{mobile}" is not a mainland China mobile number (11 digits starting 13–19, e.g. 13812345678; null clears it)',
  },
  password_too_short: {
    'zh-CN': `{field}：密码太短，至少 ${PASSWORD_MIN} 个字符`,
    en: `{field}: password too short, at least ${PASSWORD_MIN} characters`,
  },
  password_too_long: {
    'zh-CN': `{field}：密码太长，最多 ${PASSWORD_MAX} 个字符`,
    en: `{field}: password too long, at most ${PASSWORD_MAX} characters`,
  },
  password_is_login: {
    'zh-CN': '{field}：密码不能与登录名（login）相同',
    en: '{field}: the password must not be the login',
  },
  token_not_found: { 'zh-CN': '没有编号为 {id} 的令牌', en: 'No token {id}' },
  scope_not_held: {
    'zh-CN': 'scopes：“{scope}” 不是你拥有的权限（你拥有：{held}）',
    en: 'scopes: "{scope}" is not a permission you hold (you hold: {held})',
  },
} as const;
export type AuthErrorCode = keyof typeof TEXT;

const STATUS: Record<AuthErrorCode, number> = {
  invalid_body: 400,
  bad_credentials: 401,
  rate_limited: 429,
  account_locked: 429,
  account_disabled: 403,
  busy: 503,
  invalid_login: 400,
  login_taken: 409,
  user_not_found: 404,
  invalid_grant: 400,
  forbidden_grant: 403,
  cannot_disable_self: 400,
  last_county_admin: 409,
  bad_current_password: 400,
  invalid_mobile: 400,
  password_too_short: 400,
  password_too_long: 400,
  password_is_login: 400,
  token_not_found: 404,
  scope_not_held: 403,
};

export const authError = errorTable(TEXT);

export function sendError(
  reply: FastifyReply,
  req: FastifyRequest,
  code: AuthErrorCode,
  params: Record<string, string> = {},
) {
  const lang = pickLang(req, req.server.defaultLang);
  return reply.code(STATUS[code]).send(authError(code, lang, params));
}

/**
 * Error handler of the people routes: refusals from auth/accounts.ts and auth/tokens.ts become
 * their answers; anything else is rethrown to the app's handler (plugins/core.ts).
 */
export function answerKnown(e: Error, req: FastifyRequest, reply: FastifyReply) {
  if (e instanceof AccountError || e instanceof TokenError) return sendError(reply, req, e.code, e.params);
  if (e instanceof KdfBusyError) return sendError(reply, req, 'busy');
  throw e;
}

/**
 * The body checked against `schema` (unknown keys refused, not stripped); on failure a 400 naming
 * the first offending field has been sent and undefined is returned.
 */
export function checkBody<S extends TSchema>(
  schema: S,
  req: FastifyRequest,
  reply: FastifyReply,
): Static<S> | undefined {
  const body: unknown = req.body ?? {};
  if (Value.Check(schema, body)) return body;
  const [e] = withoutEchoes([...Value.Errors(schema, body)]);
  const path = e?.path.replace(/^\//, '') ?? '';
  const last = path.split('/').at(-1) ?? '';
  const parentPath = path.split('/').slice(0, -1);
  let parent: unknown = body;
  for (const k of parentPath) parent = (parent as Record<string, unknown> | undefined)?.[k];
  const text = e ? describeValueError(e, { last, parent }) : { message: 'invalid' };
  void sendError(reply, req, 'invalid_body', { field: path || '(body)', detail: text.message });
  return undefined;
}
