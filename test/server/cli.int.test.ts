/**
 * The accounts CLI run as an admin runs it (`node --import tsx server/src/cli.ts …`) against a
 * temporary data dir, and the server's routes on the same store: what it prints, its exit codes,
 * and that what it made works at the login page.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { tempDir } from '../broker/helpers.js';
import { runTs } from '../helpers/processes.js';
import { peopleApp } from './routes/auth/app.js';

let dir: string;
let cleanup: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('yizhan-cli-'));
  app = await peopleApp({ dataDir: dir });
});
afterAll(async () => {
  await app.close();
  await cleanup();
});

const cli = (...args: string[]) =>
  runTs('server/src/cli.ts', args, { env: { YIZHAN_DATA_DIR: dir, YIZHAN_DB_URL: '' } });
const login = (l: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: l, password } });

/** The secret is the only line on stdout. */
function onlyLine(stdout: string): string {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

describe('server/src/cli.ts', () => {
  it('user add prints a generated password once, and it logs in', async () => {
    const r = await cli(
      'user',
      'add',
      'wang.lei',
      '--name',
      '王磊',
      '--role',
      'county_admin',
      '--scope',
      'county',
    );
    expect(r.code).toBe(0);
    const password = onlyLine(r.stdout);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(r.stderr).toContain('已创建用户 wang.lei');
    expect(r.stderr).not.toContain(password);
    const ok = await login('wang.lei', password);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      user: { displayName: '王磊', grants: [{ role: 'county_admin', scope: 'county' }] },
    });
    const again = await cli(
      'user',
      'add',
      'wang.lei',
      '--name',
      'x',
      '--role',
      'viewer',
      '--scope',
      'county',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('已存在');
  });

  it('user add --password-file uses that password and prints none', async () => {
    const file = join(dir, 'pw.txt');
    await writeFile(file, 'a long enough password\n');
    const r = await cli(
      'user',
      'add',
      'li.na',
      '--name',
      '李娜',
      '--role',
      'viewer',
      '--scope',
      'county',
      '--password-file',
      file,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect((await login('li.na', 'a long enough password')).statusCode).toBe(200);
  });

  it('reset-password replaces the password; disable locks the user out; list shows it', async () => {
    const reset = await cli('user', 'reset-password', 'li.na');
    expect(reset.code).toBe(0);
    const pw = onlyLine(reset.stdout);
    expect((await login('li.na', 'a long enough password')).statusCode).toBe(401);
    expect((await login('li.na', pw)).statusCode).toBe(200);
    expect((await cli('user', 'disable', 'li.na')).code).toBe(0);
    expect((await login('li.na', pw)).json()).toMatchObject({ error: { code: 'account_disabled' } });
    const list = await cli('user', 'list');
    expect(list.stdout).toMatch(/li\.na\t李娜\tviewer@county\tyes\t\d{4}-/);
    expect((await cli('user', 'enable', 'li.na')).code).toBe(0);
    expect((await login('li.na', pw)).statusCode).toBe(200);
  });

  it('token add prints a working token once; token revoke ends it', async () => {
    const r = await cli('token', 'add', 'wang.lei', '--name', 'ci', '--scopes', 'station:read,metrics:read');
    expect(r.code).toBe(0);
    const token = onlyLine(r.stdout);
    const me = () => app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).json()).toMatchObject({
      login: 'wang.lei',
      permissions: ['station:read', 'metrics:read'],
    });
    const id = /令牌 (\d+)/.exec(r.stderr)?.[1] ?? '';
    expect((await cli('token', 'revoke', id)).code).toBe(0);
    expect((await me()).statusCode).toBe(401);
    const tooMuch = await cli('token', 'add', 'li.na', '--name', 'x', '--scopes', 'user:admin');
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stderr).toContain('user:admin');
  });

  it('audits every write with no user and the address cli', async () => {
    const rows = await app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'user_id', 'address'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.action)).toEqual([
      'user.add',
      'user.add',
      'user.reset_password',
      'user.disable',
      'user.enable',
      'token.add',
      'token.revoke',
    ]);
    expect(new Set(rows.map((r) => `${r.user_id}@${r.address}`))).toEqual(new Set(['null@cli']));
  });

  it('user add --mobile and user set-mobile set the number robots @-mention; a bad one is refused', async () => {
    const mobileOf = async (l: string) =>
      (await app.ops.db.selectFrom('users').select('mobile').where('login', '=', l).executeTakeFirst())
        ?.mobile;
    const add = await cli(
      'user',
      'add',
      'he.ping',
      '--name',
      '何平',
      '--role',
      'crew_member',
      '--scope',
      'county',
      '--mobile',
      '13912345678',
    );
    expect(add.code, add.stderr).toBe(0);
    expect(await mobileOf('he.ping')).toBe('13912345678');
    const bad = await cli('user', 'set-mobile', 'he.ping', '12345');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('不是中国大陆手机号');
    expect(await mobileOf('he.ping')).toBe('13912345678');
    expect((await cli('user', 'set-mobile', 'he.ping', '13800001111')).code).toBe(0);
    expect(await mobileOf('he.ping')).toBe('13800001111');
    expect((await cli('user', 'set-mobile', 'he.ping', 'none')).code).toBe(0);
    expect(await mobileOf('he.ping')).toBeNull();
    const audited = await app.ops.db
      .selectFrom('audit_log')
      .select(['after_json'])
      .where('target', 'like', 'user:%')
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(audited.map((r) => r.after_json).join()).toContain('138****1111');
    expect(audited.map((r) => r.after_json).join()).not.toContain('13800001111');
  });

  it.each([
    [['frob'], 2, 'unknown command'],
    [['user', 'add', 'zhao'], 2, '--name'],
    [['user', 'add', 'zhao', '--name', 'z', '--role', 'viewer', '--scope', 'nowhere'], 1, 'nowhere'],
    [['user', 'disable', 'nobody'], 1, 'nobody'],
    [['token', 'revoke', 'x1'], 2, 'token id'],
    [['user', 'list', '--bogus'], 2, 'bogus'],
  ])('%j exits %i and says why', async (args, code, says) => {
    const r = await cli(...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(says);
  });

  it('--help lists the commands', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('user reset-password LOGIN');
  });
});
