/**
 * The routing file: a missing ${ENV} refuses the start naming the variable, typos in channel names
 * and township codes get a did-you-mean at their line, escalation times merge per township, and
 * secrets never reach a log line or an error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { loadNotifyFile, NotifyConfigError, redactSecrets } from '../../../server/src/notify/config.js';
import { tempDir } from '../store/engines.js';
import { alertsApp } from '../alerts/alerts-app.js';

const dir = tempDir('yizhan-notify-config-');
afterAll(() => dir.remove());
const CODES = ['chengguan', 'xintang'];

function file(name: string, text: string): string {
  const p = path.join(dir.dir, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `channels:
  - name: cg-ding
    kind: dingtalk
    url: \${DING_URL}
    secret: \${DING_SECRET}
routes:
  county: { channels: [cg-ding], mention: ["13600000000"] }
  townships:
    chengguan: { channels: [cg-ding] }
escalation:
  default:
    critical: { remindAfter: 10min }
  townships:
    chengguan:
      critical: { escalateAfter: 20min }
`;

describe('notify.yaml', () => {
  it('reads secrets from the environment and a file; escalation: defaults ← file ← township', () => {
    const secretFile = file('s.txt', 'SEC-from-file\n');
    const f = file('ok.yaml', GOOD.replace('${DING_SECRET}', `{ file: ${secretFile} }`));
    const c = loadNotifyFile(f, CODES, {
      DING_URL: 'https://oapi.dingtalk.com/robot/send?access_token=tok1234',
    });
    expect(c.channels[0]?.url).toContain('tok1234');
    expect(c.channels[0]).toMatchObject({ kind: 'dingtalk', secret: 'SEC-from-file' });
    expect(c.policy('critical', 'chengguan')).toMatchObject({
      remindAfterMs: 600_000,
      escalateAfterMs: 1_200_000,
      escalateCountyAfterMs: 7_200_000,
    });
    expect(c.policy('critical', 'xintang')).toMatchObject({
      remindAfterMs: 600_000,
      escalateAfterMs: 1_800_000,
    });
    expect(c.townships.get('xintang')).toBeUndefined();
    expect(c.county?.mention).toEqual(['13600000000']);
  });

  it('a missing ${ENV} is an error naming the variable, at its line', () => {
    const f = file('env.yaml', GOOD);
    let err: unknown;
    try {
      loadNotifyFile(f, CODES, { DING_URL: 'https://x.example/robot?access_token=abc' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotifyConfigError);
    expect((err as Error).message).toContain(
      `${f}:5 channels[0].secret: environment variable DING_SECRET is not set`,
    );
    expect((err as Error).message).not.toContain('access_token=abc');
  });

  it('unknown channels and township codes get a did-you-mean at their line', () => {
    const f = file(
      'typo.yaml',
      GOOD.replace('chengguan: { channels: [cg-ding] }', 'chengguang: { channels: [cg-dign] }').replace(
        'kind: dingtalk',
        'kind: dingtalk\n    colour: red',
      ),
    );
    expect(() => loadNotifyFile(f, CODES, { DING_URL: 'https://x', DING_SECRET: 's' })).toThrow(/colour/);
    const g = file(
      'typo2.yaml',
      GOOD.replace('chengguan: { channels: [cg-ding] }', 'chengguang: { channels: [cg-dign] }'),
    );
    let msg = '';
    try {
      loadNotifyFile(g, CODES, { DING_URL: 'https://x', DING_SECRET: 's' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain(
      ':9 routes.townships.chengguang: unknown township code "chengguang"; did you mean "chengguan"?',
    );
    expect(msg).toContain('unknown channel "cg-dign"; did you mean "cg-ding"?');
  });

  it('the commented sample firmware-config/notify.example.yaml loads', () => {
    const secret = file('xintang-dingtalk', 'SECxintang');
    const sample = readFileSync(path.resolve('firmware-config/notify.example.yaml'), 'utf8');
    const f = file('sample.yaml', sample.replace('/run/secrets/xintang-dingtalk', secret));
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      [...sample.matchAll(/\$\{(\w+)\}/g)].map((m): [string, string] => [
        m[1]!,
        `https://example.cn/${m[1]!}`,
      ]),
    );
    const c = loadNotifyFile(f, CODES, env);
    expect(c.channels.map((ch) => ch.kind)).toEqual(['wecom', 'dingtalk', 'feishu', 'email']);
    expect(c.policy('critical', 'chengguan').remindAfterMs).toBe(600_000);
  });

  it('redacts secrets, URL queries and user info', () => {
    const out = redactSecrets('post https://u:pw@h.example/x?key=K1 failed, secret SEC123456', ['SEC123456']);
    expect(out).toBe('post https://***@h.example/x?*** failed, secret ***');
  });

  it('refuses to start the app on a missing variable; a failing signed channel logs no secret', async () => {
    const f = file('app.yaml', GOOD);
    await expect(alertsApp({ notify: { file: f, env: {} } })).rejects.toThrow(/DING_URL is not set/);

    const lines: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const secret = 'SECsupersecret987654';
    const token = 'access-token-zyxw9876';
    // Nothing listens there: every attempt fails and is logged once given up.
    const app = await alertsApp({
      logger: pino({ level: 'debug' }, sink),
      notify: {
        file: f,
        env: { DING_URL: `http://127.0.0.1:1/robot/send?access_token=${token}`, DING_SECRET: secret },
        outbox: { maxAgeMs: 0 },
      },
    });
    const { firingAlert } = await import('../../helpers/alert.js');
    app.alertRepo.record(firingAlert('st-001', { startMs: Date.now() }));
    await expect
      .poll(() => lines.some((l) => l.includes('notification given up')), { timeout: 10_000 })
      .toBe(true);
    await app.close();
    const all = lines.join('');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(token);
  });
});
