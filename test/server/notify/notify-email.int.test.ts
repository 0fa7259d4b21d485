/**
 * An alert routed to an e-mail channel of notify.yaml reaches a real SMTP server (smtp-server, over
 * STARTTLS with a login whose password comes from ${ENV}), and the mail parsed back says what the
 * crew needs: the headline, the station, since when and the link.
 */
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { alertsApp } from '../alerts/alerts-app.js';
import { tempDir } from '../store/engines.js';
import { firingAlert } from '../../helpers/alert.js';

const dir = tempDir('yizhan-notify-mail-');
const mails: ParsedMail[] = [];
const secure: boolean[] = [];
let server: SMTPServer;
let app: FastifyInstance;

beforeAll(async () => {
  server = new SMTPServer({
    logger: false,
    onAuth(auth, _s, cb) {
      if (auth.username === 'crew' && auth.password === '邮件密码') cb(null, { user: 'crew' });
      else cb(new Error('535 authentication failed'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          secure.push(session.secure);
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  const file = path.join(dir.dir, 'notify.yaml');
  writeFileSync(
    file,
    `channels:
  - { name: cg-mail, kind: email, host: 127.0.0.1, port: ${port}, requireTls: true, allowSelfSigned: true,
      user: crew, password: "\${NT_SMTP_PASSWORD}", from: yizhan@example.cn, to: [crew@example.cn] }
routes:
  townships:
    chengguan: { channels: [cg-mail] }
`,
  );
  app = await alertsApp({
    notify: { file, env: { NT_SMTP_PASSWORD: '邮件密码' }, publicUrl: 'https://yz.example.cn' },
  });
});
afterAll(async () => {
  await app?.close();
  await new Promise<void>((r) => server.close(() => r()));
  dir.remove();
});

describe('notify.yaml e-mail channel', () => {
  it('delivers a fire over STARTTLS with the login, parsed back', async () => {
    const a = {
      ...firingAlert('st-001', { startMs: Date.UTC(2026, 11, 2, 0, 5), severity: 'critical' }),
      stationName: '城关人民路驿站',
    };
    app.alertRepo.record(a);
    await vi.waitFor(() => expect(mails).toHaveLength(1), { timeout: 15_000 });
    const [mail] = mails;
    expect(secure).toEqual([true]);
    expect(mail!.subject).toBe('【严重】城关人民路驿站 st-001 热水器故障');
    expect(mail!.text).toContain('开始：12-02 08:05');
    expect(mail!.text).toContain(`https://yz.example.cn/app/alerts/${a.id}`);
  });
});
