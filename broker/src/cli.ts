/**
 * Account management of the broker's credential store.
 *
 * ```
 * npx tsx broker/src/cli.ts station add <id>        create a station account, print its secret once
 * npx tsx broker/src/cli.ts station rotate <id>     new secret (the old one stops working on reload)
 * npx tsx broker/src/cli.ts station revoke <id>     remove (its connections are closed on reload)
 * npx tsx broker/src/cli.ts station list
 * npx tsx broker/src/cli.ts account add <name> --role server|operator
 * npx tsx broker/src/cli.ts account rotate|revoke <name>
 * npx tsx broker/src/cli.ts account list [--role station|server|operator]
 *   --file <path>   the store (default $YIZHAN_CREDENTIALS_FILE or <YIZHAN_DATA_DIR or .data>/credentials.json)
 * ```
 *
 * A new secret goes alone to stdout (so `SECRET=$(… station add st-001)` works); explanations go
 * to stderr. Exit codes: 0 done, 1 refused (exists, not found, broken file…), 2 bad usage.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AccountError,
  CredentialsFileError,
  addAccount,
  defaultCredentialsFile,
  listAccounts,
  revokeAccount,
  rotateAccount,
  ROLES,
  type Role,
} from './credentials.js';
import { isStationId } from '@yizhan/protocol';
import { say } from './i18n.js';

class UsageError extends Error {}

const USAGE_ZH = `用法：
  station add <编号> | station rotate <编号> | station revoke <编号> | station list
  account add <名称> --role server|operator | account rotate <名称> | account revoke <名称> | account list [--role 角色]
  --file <路径>  凭据文件（默认 <YIZHAN_DATA_DIR 或 .data>/credentials.json）`;
const USAGE_EN = `usage:
  station add <id> | station rotate <id> | station revoke <id> | station list
  account add <name> --role server|operator | account rotate <name> | account revoke <name> | account list [--role role]
  --file <path>  credentials file (default <YIZHAN_DATA_DIR or .data>/credentials.json)`;

const err = (zh: string, en: string): void => void process.stderr.write(say(zh, en) + '\n');

function roleZh(role: Role): string {
  return { station: '驿站', server: '服务端', operator: '运维' }[role];
}

function printSecret(secret: string): void {
  err('密钥只显示这一次，请妥善保存（配置到驿站或服务端）：', 'the secret is shown only this once; store it where the station or server reads it:');
  process.stdout.write(secret + '\n');
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { file: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    err(USAGE_ZH, USAGE_EN);
    return;
  }
  const file = values.file ? resolve(values.file) : process.env.YIZHAN_CREDENTIALS_FILE ? resolve(process.env.YIZHAN_CREDENTIALS_FILE) : defaultCredentialsFile();
  const [group, action, name, ...extra] = positionals;
  if (group !== 'station' && group !== 'account') throw new UsageError(`unknown command "${group ?? ''}"`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (values.role !== undefined && !(ROLES as readonly string[]).includes(values.role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const roleOpt = values.role as Role | undefined;

  if (action === 'list') {
    if (name !== undefined) throw new UsageError(`list takes no name`);
    const role = group === 'station' ? 'station' : roleOpt;
    const rows = await listAccounts(file, role);
    if (rows.length === 0) {
      err(`${file} 中没有账户`, `no accounts in ${file}`);
      return;
    }
    const head = say('用户名', 'username').padEnd(24) + say('角色', 'role').padEnd(16) + say('创建时间', 'created').padEnd(28) + say('轮换时间', 'rotated');
    process.stdout.write(head + '\n');
    for (const r of rows) process.stdout.write(`${r.username.padEnd(24)}${r.role.padEnd(16)}${r.createdAt.padEnd(28)}${r.rotatedAt ?? '-'}\n`);
    return;
  }
  if (action !== 'add' && action !== 'rotate' && action !== 'revoke') throw new UsageError(`unknown action "${action ?? ''}"`);
  if (name === undefined) throw new UsageError(`${group} ${action} needs a name`);

  let role: Role | undefined;
  if (group === 'station') {
    if (values.role !== undefined) throw new UsageError('station commands take no --role');
    if (!isStationId(name)) {
      err(
        `"${name}" 不是有效的驿站编号（小写字母开头，3–32 个字符，只含 a-z 0-9 -，例如 st-001）`,
        `"${name}" is not a valid station id (a lower-case letter first, 3-32 characters of a-z 0-9 -, e.g. st-001)`,
      );
      process.exitCode = 1;
      return;
    }
    role = 'station';
  } else if (action === 'add') {
    if (roleOpt !== 'server' && roleOpt !== 'operator') throw new UsageError('account add needs --role server or --role operator (stations: station add)');
    role = roleOpt;
  } else role = roleOpt;

  switch (action) {
    case 'add': {
      const secret = await addAccount(file, { username: name, role: role ?? 'station' });
      const r = role ?? 'station';
      err(`已创建${roleZh(r)}账户 ${name}（${file}）`, `created ${r} account ${name} in ${file}`);
      printSecret(secret);
      return;
    }
    case 'rotate': {
      const secret = await rotateAccount(file, name, { expectRole: role });
      err(
        `已为 ${name} 生成新密钥；MQTT 服务重新加载凭据文件后（约 1 秒）旧密钥失效，使用旧密钥的连接会被断开`,
        `new secret for ${name}; once the broker reloads the file (about 1 s) the old secret is refused and connections using it are closed`,
      );
      printSecret(secret);
      return;
    }
    case 'revoke': {
      const info = await revokeAccount(file, name, { expectRole: role });
      err(`已撤销${roleZh(info.role)}账户 ${name}；其连接将被断开`, `revoked ${info.role} account ${name}; its connections will be closed`);
      return;
    }
  }
}

try {
  await run(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    err(`参数错误：${(e as Error).message}`, `bad usage: ${(e as Error).message}`);
    err(USAGE_ZH, USAGE_EN);
    process.exitCode = 2;
  } else if (e instanceof AccountError) {
    const n = e.username;
    switch (e.code) {
      case 'exists':
        err(`账户 ${n} 已存在；要更换密钥请用 rotate`, `account ${n} exists already; use rotate to replace its secret`);
        break;
      case 'not_found':
        err(`没有账户 ${n}`, `no account ${n}`);
        break;
      case 'invalid_username':
        err(`"${n}" 不是有效的账户名（小写字母开头，3–64 个字符，只含 a-z 0-9 _ . -）`, e.message);
        break;
      case 'invalid_role':
      case 'role_conflict':
        err(`账户 ${n} 的角色不符`, e.message);
        break;
    }
    process.exitCode = 1;
  } else if (e instanceof CredentialsFileError) {
    err(`凭据文件 ${e.file} 无法使用：${e.detail}`, `credentials file ${e.file} cannot be used: ${e.detail}`);
    process.exitCode = 1;
  } else throw e;
}
