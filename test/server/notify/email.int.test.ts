/**
 * The e-mail channel delivers to a real SMTP server (smtp-server) started here on a free port,
 * over STARTTLS or TLS with a login, and the message is parsed back (mailparser).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../server/src/notify/channel.js';
import { EmailChannel } from '../../../server/src/notify/channels/email.js';
import type { EmailOptions } from '../../../server/src/notify/channels/email.js';
import { Cleanups } from '../../helpers/cleanups.js';

const message: OutboundMessage = {
  title: '城关镇 1 号驿站：热水器故障',
  markdown: '**城关镇 1 号驿站**（人民路 8 号）\n> 热水器 40 分钟未加热',
  text: '城关镇 1 号驿站（人民路 8 号）\n热水器 40 分钟未加热，自 08:15 起 <维修>',
  link: 'https://yizhan.example.cn/alerts/42?from=mail&x=1',
};

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Smtp {
  port: number;
  mails: ParsedMail[];
  /** Whether each session was encrypted when the message came. */
  secure: boolean[];
}

/** A real SMTP server: user 'crew' / '正确密码', with smtp-server's built-in self-signed certificate. */
async function smtp(o: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const out: Smtp = { port: 0, mails: [], secure: [] };
  const server = new SMTPServer({
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'crew' && auth.password === '正确密码') cb(null, { user: 'crew' });
      else cb(new Error('535 authentication failed'));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          out.mails.push(mail);
          out.secure.push(session.secure);
          cb();
        })
        .catch(cb);
    },
    ...o,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.add('smtp server', () => new Promise<void>((r) => server.close(() => r())));
  out.port = (server.server.address() as AddressInfo).port;
  return out;
}

function channel(port: number, o: Partial<EmailOptions> = {}): EmailChannel {
  const ch = new EmailChannel('维修组邮件', {
    host: '127.0.0.1',
    port,
    requireTls: true,
    allowSelfSigned: true,
    user: 'crew',
    password: '正确密码',
    from: '驿站监测 <alerts@yizhan.example.cn>',
    to: ['crew@yizhan.example.cn'],
    timeoutMs: 2000,
    ...o,
  });
  cleanups.add('email channel', () => ch.close());
  return ch;
}

describe('email channel', () => {
  it('delivers over STARTTLS: the subject, the Chinese body and the link, as text and HTML', async () => {
    const s = await smtp();
    const r = await channel(s.port).send(message);
    expect(r).toMatchObject({ ok: true, code: '0' });
    expect(s.mails).toHaveLength(1);
    expect(s.secure).toEqual([true]);
    const mail = s.mails[0];
    expect(mail?.subject).toBe(message.title);
    expect(mail?.from?.value).toEqual([{ name: '驿站监测', address: 'alerts@yizhan.example.cn' }]);
    expect(mail?.text).toContain('热水器 40 分钟未加热，自 08:15 起 <维修>');
    expect(mail?.text).toContain(message.link);
    expect(mail?.html).toContain('热水器 40 分钟未加热，自 08:15 起 &lt;维修&gt;');
    expect(mail?.html).toContain('href="https://yizhan.example.cn/alerts/42?from=mail&amp;x=1"');
  });

  it('delivers over TLS from the first byte (port 465 style)', async () => {
    const s = await smtp({ secure: true });
    expect((await channel(s.port, { secure: true, requireTls: false }).send(message)).ok).toBe(true);
    expect(s.mails[0]?.subject).toBe(message.title);
  });

  it('a wrong password is not retried', async () => {
    const s = await smtp();
    const r = await channel(s.port, { password: '错误' }).send(message);
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(s.mails).toHaveLength(0);
  });

  it.each([
    [550, false],
    [451, true],
  ])('a recipient refused with %i: retryable %s', async (code, retryable) => {
    const s = await smtp({
      onRcptTo(_addr, _session, cb) {
        cb(Object.assign(new Error(`${code} mailbox unavailable`), { responseCode: code }));
      },
    });
    const r = await channel(s.port).send(message);
    expect(r).toMatchObject({ ok: false, retryable, code: `smtp_${code}` });
    expect(r.detail).toContain('mailbox unavailable');
  });

  it('no SMTP server listening is a retryable network error', async () => {
    const s = await smtp();
    await cleanups.run();
    const r = await channel(s.port).send(message);
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(r.detail).toMatch(/^email: /);
  });
});
