/**
 * Error answers of the organisation routes, and the refusal of query parameters a route does not
 * know (fastify's ajv strips them silently: removeAdditional), naming the parameter.
 */
import type { TObject } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorTable, pickLang } from '../../i18n.js';

const TEXT = {
  unknown_parameter: {
    'zh-CN': '未知的查询参数 "{field}"；可用：{allowed}',
    en: 'Unknown query parameter "{field}"; allowed: {allowed}',
  },
  bad_range: { 'zh-CN': 'from 须早于 to', en: 'from must be before to' },
} as const;

export const orgError = errorTable(TEXT);

/** A preValidation hook answering 400 for a query parameter the schema does not declare. */
export function refuseUnknownQuery(app: FastifyInstance, schema: TObject) {
  const allowed = Object.keys(schema.properties);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const field = Object.keys(query).find((k) => !allowed.includes(k));
    if (field === undefined) return;
    const lang = pickLang(req, app.defaultLang);
    await reply
      .code(400)
      .send(orgError('unknown_parameter', lang, { field: field.slice(0, 64), allowed: allowed.join(', ') }));
  };
}
