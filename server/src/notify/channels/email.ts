/**
 * E-mail through SMTP (nodemailer): subject = title, a plain-text part and an HTML part, the link
 * in both. `secure: true` is TLS from the first byte (port 465); otherwise STARTTLS is used when the
 * server offers it, and required with `requireTls` (port 587).
 *
 * Retry decision: SMTP 4xx (greylisting, mailbox busy) and connection errors or timeouts are
 * retryable; 5xx (unknown recipient, refused) and a failed login (EAUTH) are not.
 */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { DEFAULT_CHANNEL_TIMEOUT_MS, thrownResult } from '../channel.js';
import type { Channel, OutboundMessage, SendResult } from '../channel.js';

export interface EmailOptions {
  host: string;
  /** Default 465 with `secure`, else 587. */
  port?: number;
  /** TLS from the first byte (port 465). */
  secure?: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS. */
  requireTls?: boolean;
  /** Accept a self-signed server certificate (tests, an internal relay). */
  allowSelfSigned?: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** Per-message timeout (connect, greeting and each command), ms. */
  timeoutMs?: number;
}

export const DEFAULT_SMTP_PORT = 587;
export const DEFAULT_SMTPS_PORT = 465;

export class EmailChannel implements Channel {
  readonly kind = 'email' as const;
  private readonly transport: Transporter;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly opts: EmailOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port ?? (opts.secure ? DEFAULT_SMTPS_PORT : DEFAULT_SMTP_PORT),
      secure: opts.secure === true,
      requireTLS: opts.requireTls === true,
      ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
      tls: { rejectUnauthorized: opts.allowSelfSigned !== true },
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
  }

  async send(m: OutboundMessage, signal?: AbortSignal): Promise<SendResult> {
    if (signal?.aborted) return thrownResult(signal.reason, this.timeoutMs);
    try {
      const info = await this.transport.sendMail({
        from: this.opts.from,
        to: this.opts.to,
        subject: m.title,
        text: m.link ? `${m.text}\n\n${m.link}` : m.text,
        html: emailHtml(m),
      });
      const rejected = (info.rejected as unknown[]).length;
      if (rejected && !(info.accepted as unknown[]).length) {
        return {
          ok: false,
          retryable: false,
          code: 'rejected',
          detail: `email: every recipient refused: ${info.response}`,
        };
      }
      return {
        ok: true,
        retryable: false,
        code: '0',
        detail: `email: ${info.response}${rejected ? ` (${rejected} refused)` : ''}`,
      };
    } catch (e) {
      return smtpResult(e, this.timeoutMs);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** nodemailer's error as a result: `responseCode` is the SMTP reply, `code` its own (EAUTH, ECONNECTION, ETIMEDOUT…). */
function smtpResult(e: unknown, timeoutMs: number): SendResult {
  const err = (typeof e === 'object' && e !== null ? e : {}) as {
    responseCode?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (typeof err.responseCode === 'number') {
    const retryable = err.responseCode >= 400 && err.responseCode < 500;
    return { ok: false, retryable, code: `smtp_${err.responseCode}`, detail: `email: ${message}` };
  }
  if (err.code === 'EAUTH' || err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
    return { ok: false, retryable: false, code: err.code, detail: `email: ${message}` };
  }
  return { ...thrownResult(e, timeoutMs), detail: `email: ${message}` };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The plain text in HTML (line breaks kept), the link as a button-like anchor. */
export function emailHtml(m: OutboundMessage): string {
  const body = escapeHtml(m.text).replace(/\n/g, '<br>\n');
  const link = m.link ? `\n<p><a href="${escapeHtml(m.link)}">查看详情</a></p>` : '';
  return `<!doctype html>\n<html lang="zh-CN"><meta charset="utf-8"><body>\n<h3>${escapeHtml(m.title)}</h3>\n<p>${body}</p>${link}\n</body></html>\n`;
}
