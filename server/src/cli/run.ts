/**
 * The accounts CLI's commands (server/src/cli.ts runs them). Secrets (generated passwords, new
 * tokens) go alone to stdout, so `PW=$(… user reset-password wang)` works; explanations go to
 * stderr. Exit codes: 0 done, 1 refused (exists, not found, bad grant, store problem), 2 bad usage.
 * Every write is audited with no user and the address "cli".
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StationConfigError } from '@yizhan/station-config/load';
import { AccountError, addUser, getUser, listUsers, resetPassword, updateUser } from '../auth/accounts.js';
import { TokenError, addToken, revokeToken } from '../auth/tokens.js';
import { KdfBusyError } from '../auth/passwords.js';
import { ROLES, PERMISSIONS } from '../auth/roles.js';
import { authError } from '../routes/auth/errors.js';
import { openCliStore, SettingsProblem, type CliStore } from './store.js';
import { runPlanningCli } from './planning.js';

export const USAGE = `用法 / usage: npx tsx server/src/cli.ts <command>
  user add LOGIN --name NAME --role ROLE --scope SCOPE[,SCOPE] [--password-file FILE] [--mobile NUMBER]
                                  新用户；未给密码文件时生成密码并只显示这一次 / add a user; prints a generated password once
  user list                       列出用户 / list users
  user disable LOGIN              停用（结束其会话，令牌失效）/ disable (ends sessions, stops tokens)
  user enable LOGIN               恢复 / enable again
  user reset-password LOGIN       生成新密码并只显示这一次 / new generated password, shown once
  user set-mobile LOGIN NUMBER    设置手机号（企业微信/钉钉 @ 提醒用），none 清除 / set the mobile robots @-mention; none clears
  token add LOGIN --name NAME --scopes PERM[,PERM]
                                  个人 API 令牌，只显示这一次 / personal API token, shown once
  token revoke ID                 撤销令牌 / revoke a token
  planning resync --from DATE [--to DATE]
                                  排名数据表重新读取这些天（--help 详见）/ the ranking store reads these days again (see its --help)
  --help                          本说明 / this text
ROLE: ${ROLES.join(', ')}
SCOPE: county 或镇街代码 / or a township code
PERM: ${PERMISSIONS.join(', ')}
设置与服务器相同 / settings as the server's: YIZHAN_DATA_DIR, YIZHAN_DB_URL, YIZHAN_STATIONS_DIR`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const both = (zh: string, en: string) => `${zh} / ${en}`;

function list(v: string | undefined, flag: string): string[] {
  if (!v) throw new UsageError(`${flag} is required`);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

type Values = {
  name?: string;
  role?: string;
  scope?: string;
  scopes?: string;
  'password-file'?: string;
  mobile?: string;
};

/** `user set-mobile LOGIN NUMBER` (`none` clears); audited with the number masked. */
async function setMobile(cli: CliStore, io: Io, login: string, number: string | undefined) {
  if (!number) throw new UsageError('user set-mobile needs LOGIN and NUMBER (or none)');
  const u = await getUser(cli.ctx, { login });
  const mobile = number === 'none' ? null : number;
  await updateUser(cli.ctx, u.id, { mobile });
  io.err(
    mobile === null
      ? both(`已清除 ${login} 的手机号`, `mobile of ${login} cleared`)
      : both(`已设置 ${login} 的手机号`, `mobile of ${login} set`),
  );
}

async function userCommand(
  cli: CliStore,
  io: Io,
  action: string | undefined,
  login: string | undefined,
  v: Values,
  extra?: string,
) {
  const { ctx } = cli;
  if (action === 'set-mobile' && login) return setMobile(cli, io, login, extra);
  if (action === 'list') {
    const users = await listUsers(ctx);
    io.out(['login', 'name', 'grants', 'disabled', 'last login'].join('\t'));
    for (const u of users)
      io.out(
        [
          u.login,
          u.displayName,
          u.grants.map((g) => `${g.role}@${g.scope}`).join(',') || '-',
          u.disabled ? 'yes' : 'no',
          u.lastLoginAt === null ? '-' : new Date(u.lastLoginAt).toISOString(),
        ].join('\t'),
      );
    return;
  }
  if (!login) throw new UsageError(`user ${action ?? ''} needs a LOGIN`);
  switch (action) {
    case 'add': {
      if (!v.name) throw new UsageError('--name is required');
      if (!v.role) throw new UsageError('--role is required');
      const grants = list(v.scope, '--scope').map((scope) => ({ role: v.role ?? '', scope }));
      const file = v['password-file'];
      const given = file === undefined ? undefined : readFileSync(file, 'utf8').trim();
      const { password } = await addUser(ctx, {
        login,
        displayName: v.name,
        grants,
        password: given,
        mobile: v.mobile,
      });
      io.err(both(`已创建用户 ${login}`, `user ${login} added`));
      if (given === undefined) {
        io.err(both('密码只显示这一次：', 'the password is shown only this once:'));
        io.out(password);
      }
      return;
    }
    case 'disable':
    case 'enable': {
      const u = await getUser(ctx, { login });
      await updateUser(ctx, u.id, { disabled: action === 'disable' });
      io.err(
        action === 'disable'
          ? both(`已停用 ${login}，其会话已结束`, `${login} disabled; their sessions ended`)
          : both(`已恢复 ${login}`, `${login} enabled`),
      );
      return;
    }
    case 'reset-password': {
      const password = await resetPassword(ctx, { login });
      io.err(
        both(
          `${login} 的新密码（只显示这一次；其会话已结束）：`,
          `new password of ${login} (shown once; their sessions ended):`,
        ),
      );
      io.out(password);
      return;
    }
    case undefined:
    default:
      throw new UsageError(`unknown action "user ${action ?? ''}"`);
  }
}

async function tokenCommand(
  cli: CliStore,
  io: Io,
  action: string | undefined,
  arg: string | undefined,
  v: Values,
) {
  if (!arg) throw new UsageError(`token ${action ?? ''} needs an argument`);
  if (action === 'add') {
    if (!v.name) throw new UsageError('--name is required');
    const u = await getUser(cli.ctx, { login: arg });
    const t = await addToken(cli.ctx, { id: u.id, login: u.login }, v.name, list(v.scopes, '--scopes'));
    io.err(both(`令牌 ${t.id} 已创建，只显示这一次：`, `token ${t.id} made; shown only this once:`));
    io.out(t.token);
    return;
  }
  if (action === 'revoke') {
    if (!/^[0-9]{1,15}$/.test(arg))
      throw new UsageError(`token revoke takes a token id (a number), got "${arg}"`);
    await revokeToken(cli.ctx, Number(arg));
    io.err(both(`令牌 ${arg} 已撤销`, `token ${arg} revoked`));
    return;
  }
  throw new UsageError(`unknown action "token ${action ?? ''}"`);
}

async function dispatch(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      scope: { type: 'string' },
      scopes: { type: 'string' },
      'password-file': { type: 'string' },
      mobile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.err(USAGE);
    return;
  }
  const [group, action, arg, ...extra] = positionals;
  if (group !== 'user' && group !== 'token') throw new UsageError(`unknown command "${group ?? ''}"`);
  // Only `user set-mobile LOGIN NUMBER` takes a second argument.
  const second = group === 'user' && action === 'set-mobile' ? extra.shift() : undefined;
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const cli = await openCliStore(env);
  try {
    if (group === 'user') await userCommand(cli, io, action, arg, values, second);
    else await tokenCommand(cli, io, action, arg, values);
  } finally {
    await cli.store.close();
  }
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'planning') return runPlanningCli(argv.slice(1), io, env);
  try {
    await dispatch(argv, io, env);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(both(`参数错误：${(e as Error).message}`, `bad usage: ${(e as Error).message}`));
      io.err(USAGE);
      return 2;
    }
    if (e instanceof AccountError || e instanceof TokenError) {
      const zh = authError(e.code, 'zh-CN', e.params).error.message;
      io.err(both(zh, authError(e.code, 'en', e.params).error.message));
      return 1;
    }
    if (e instanceof SettingsProblem || e instanceof StationConfigError || e instanceof KdfBusyError) {
      io.err(e.message);
      return 1;
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(both(`找不到文件：${(e as Error).message}`, `file not found: ${(e as Error).message}`));
      return 1;
    }
    throw e;
  }
}
