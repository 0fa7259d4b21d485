/**
 * `POST /api/v1/notify/reload` (config:write, county-wide): read notify.yaml again
 * (notify/reload.ts). 200 `{file, channels}`; 400 naming the file's problem, the previous routing
 * stays; audited.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { COUNTY } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, errorTable, pickLang } from '../../i18n.js';

const BODY_LIMIT = 1024;

const notificationError = errorTable({
  notify_file_invalid: {
    'zh-CN': '通知配置文件有问题，仍使用原配置：{problem}',
    en: 'The notify file has problems; the previous routing stays: {problem}',
  },
  notify_file_absent: {
    'zh-CN': '没有可重新加载的通知配置文件（YIZHAN_NOTIFY_FILE 未设置）',
    en: 'No notify file to reload (YIZHAN_NOTIFY_FILE is not set)',
  },
});

const reloadRoute: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.post(
    '/api/v1/notify/reload',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        response: {
          200: Type.Object(
            {
              file: Type.String(),
              channels: Type.Array(Type.String(), { description: 'Channel names now in use' }),
            },
            { additionalProperties: false },
          ),
          '4xx': ErrorBody,
        },
      },
      config: { access: { permission: 'config:write', township: () => COUNTY } },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const r = app.reloadNotify('api');
      if (!r.ok)
        return r.file === undefined
          ? reply.code(400).send(notificationError('notify_file_absent', lang))
          : reply.code(400).send(notificationError('notify_file_invalid', lang, { problem: r.message }));
      await app.ops.db.transaction().execute((trx) =>
        recordAudit(trx, req, {
          action: 'notify.reload',
          target: `file:${r.file}`,
          township: null,
          before: null,
          after: { channels: r.channels },
        }),
      );
      return { file: r.file, channels: r.channels };
    },
  );
  done();
};

export default reloadRoute;
