/** The account CLI, run as a user would (`node --import tsx broker/src/cli.ts …`), against a live broker. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerHandle } from '../../broker/src/broker.js';
import { captureLogger, closed, connect, connectRefused, tempDir } from './helpers.js';
import { run, runTs } from '../helpers/processes.js';

let dir: string;
let cleanup: () => Promise<void>;
let file: string;
let broker: BrokerHandle | undefined;
const printed: string[] = []; // every secret the CLI ever printed
const clients: MqttClient[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  file = join(dir, 'credentials.json');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.close();
  await cleanup();
});

const cli = (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runTs> =>
  runTs('broker/src/cli.ts', [...args, '--file', file], { env: { YIZHAN_LANG: '', ...env } });
const CJK = /[\u4e00-\u9fff]/;

/** The secret is the only stdout line of add/rotate. */
function secretOf(stdout: string): string {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const secret = lines[0] ?? '';
  expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
  printed.push(secret);
  return secret;
}

describe('broker CLI', () => {
  let st1Secret = '';

  it('station add prints the secret once, in Chinese with English, and the secret logs in', async () => {
    const r = await cli(['station', 'add', 'st-001']);
    expect(r.code).toBe(0);
    st1Secret = secretOf(r.stdout);
    expect(r.stderr).toContain('已创建驿站账户 st-001');
    expect(r.stderr).toContain('(created station account st-001');
    expect(r.stderr).toContain('密钥只显示这一次');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const { logger } = captureLogger();
    broker = await startBroker({ port: 0, credentialsFile: file, logger, credentials: { pollIntervalMs: 100 } });
    const c = await connect(broker.url, 'st-001', st1Secret);
    clients.push(c);
    expect(c.connected).toBe(true);
  });

  it('refuses to add an existing station, and says to use rotate', async () => {
    const r = await cli(['station', 'add', 'st-001']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('账户 st-001 已存在');
    expect(r.stderr).toContain('use rotate');
  });

  it('refuses invalid station ids (isStationId), in Chinese with English or in English only', async () => {
    const zh = await cli(['station', 'add', 'ST-1']);
    expect(zh.code).toBe(1);
    expect(zh.stderr).toContain('"ST-1" 不是有效的驿站编号');
    expect(zh.stderr).toContain('("ST-1" is not a valid station id');
    const en = await cli(['station', 'add', 'st_001'], { YIZHAN_LANG: 'en' });
    expect(en.code).toBe(1);
    expect(en.stderr).toContain('"st_001" is not a valid station id');
    expect(en.stderr).not.toMatch(CJK);
    expect(await readFile(file, 'utf8')).not.toMatch(/ST-1|st_001/);
  });

  it('account add needs --role server|operator; station list shows stations only', async () => {
    const bad = await cli(['account', 'add', 'ops']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--role');
    const srv = await cli(['account', 'add', 'server', '--role', 'server']);
    expect(srv.code).toBe(0);
    const serverSecret = secretOf(srv.stdout);
    const list = await cli(['station', 'list'], { YIZHAN_LANG: 'en' });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^st-001\s+station\s+\d{4}-/m);
    expect(list.stdout).not.toContain('server ');
    // the server account logs in right away (file reloaded without restart)
    if (!broker) throw new Error('broker not started');
    const b = broker;
    await expect.poll(() => b.credentials.get('server') !== undefined).toBe(true);
    const c = await connect(b.url, 'server', serverSecret, { clientId: 'server-1' });
    clients.push(c);
  });

  it('station rotate: new secret printed once, the old one refused by the running broker, its connection closed', async () => {
    if (!broker) throw new Error('broker not started');
    const live = clients[0];
    if (!live) throw new Error('no station client');
    const gone = closed(live);
    const r = await cli(['station', 'rotate', 'st-001']);
    expect(r.code).toBe(0);
    const fresh = secretOf(r.stdout);
    expect(fresh).not.toBe(st1Secret);
    await gone;
    expect(await connectRefused(broker.url, 'st-001', st1Secret)).toBe(4);
    const c = await connect(broker.url, 'st-001', fresh);
    clients.push(c);
  });

  it('station rotate/revoke refuse non-station accounts and unknown names', async () => {
    const wrongRole = await cli(['station', 'rotate', 'server']);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stdout).toBe('');
    const unknown = await cli(['station', 'revoke', 'st-999'], { YIZHAN_LANG: 'en' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no account st-999');
  });

  it('station revoke closes the station\'s connection and removes it from the list', async () => {
    if (!broker) throw new Error('broker not started');
    const live = clients[clients.length - 1];
    if (!live) throw new Error('no station client');
    const gone = closed(live);
    const r = await cli(['station', 'revoke', 'st-001']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('已撤销驿站账户 st-001');
    await gone;
    const list = await cli(['station', 'list']);
    expect(list.stdout).not.toContain('st-001');
  });

  it('the store file never contains any secret the CLI printed', async () => {
    const text = await readFile(file, 'utf8');
    expect(printed.length).toBeGreaterThanOrEqual(3);
    for (const s of printed) {
      expect(text).not.toContain(s);
      expect((await run('grep', ['-F', '-r', '-c', s, dir])).stdout).not.toMatch(/:[1-9]/); // nor any file beside it
    }
  });
});
