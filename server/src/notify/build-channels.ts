/** The routing file's channels as channel objects (server/src/notify/channels/). */
import type { Channel } from './channel.js';
import type { ResolvedChannel } from './config.js';
import { DingtalkChannel } from './channels/dingtalk.js';
import { EmailChannel } from './channels/email.js';
import { FeishuChannel } from './channels/feishu.js';
import { WebhookChannel } from './channels/webhook.js';
import { WecomChannel } from './channels/wecom.js';

/** One channel; the file's checks guarantee url (IM, webhook) or host/from/to (email). */
export function buildChannel(c: ResolvedChannel): Channel {
  const url = c.url ?? '';
  const secret = c.secret ? { secret: c.secret } : {};
  switch (c.kind) {
    case 'wecom':
      return new WecomChannel(c.name, { url });
    case 'dingtalk':
      return new DingtalkChannel(c.name, { url, ...secret });
    case 'feishu':
      return new FeishuChannel(c.name, { url, ...secret });
    case 'webhook':
      return new WebhookChannel(c.name, { url });
    case 'email':
      return new EmailChannel(c.name, {
        host: c.host ?? '',
        from: c.from ?? '',
        to: c.to ?? [],
        ...(c.port !== undefined ? { port: c.port } : {}),
        ...(c.secure !== undefined ? { secure: c.secure } : {}),
        ...(c.requireTls !== undefined ? { requireTls: c.requireTls } : {}),
        ...(c.allowSelfSigned !== undefined ? { allowSelfSigned: c.allowSelfSigned } : {}),
        ...(c.user !== undefined ? { user: c.user } : {}),
        ...(c.password !== undefined ? { password: c.password } : {}),
      });
  }
}
