/**
 * Alert rule thresholds API (alerts/thresholds.ts):
 *
 * | method, path                          | access                               | answer                                  |
 * | ------------------------------------- | ------------------------------------ | --------------------------------------- |
 * | `GET /api/v1/stations/:id/thresholds` | station:read in the station's township | `{stationId, township, thresholds, sources}` |
 * | `POST /api/v1/alert-rules/reload`     | config:write, county-wide            | `{file}`; 400 `{error, issues}` on a bad file |
 *
 * `thresholds`: the station's effective settings per rule (durations in ms, as the rules read
 * them); `sources`: per rule and setting, the level that set it (default, township, station). A
 * reload whose file has problems keeps the previous thresholds and answers every problem as
 * `file:line path: message`. A reload is audited (`alert_rules.reload`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { formatIssue } from '@yizhan/station-config/load';
import { can } from '../../auth/roles.js';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, errorBody, errorTable, pickLang } from '../../i18n.js';
import { StationIdParams } from '../../state/schema.js';

const err = errorTable({
  alert_rules_invalid: {
    'zh-CN': '告警规则文件有 {n} 个问题，仍使用原阈值',
    en: 'The alert rules file has {n} problem(s); the previous thresholds stay',
  },
  forbidden_county: {
    'zh-CN': '无权限：重新加载告警规则影响全县，需要全县范围的 config:write',
    en: 'Not allowed: reloading the alert rules affects the whole county and needs county-wide config:write',
  },
});

const Level = Type.Union([Type.Literal('default'), Type.Literal('township'), Type.Literal('station')]);
const ThresholdsView = Type.Object(
  {
    stationId: Type.String(),
    township: Type.Union([Type.String(), Type.Null()], { description: 'Township code' }),
    thresholds: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
      description: 'Per rule: every setting in effect, durations in ms (`forMs`)',
    }),
    sources: Type.Record(Type.String(), Type.Record(Type.String(), Level), {
      description: 'Per rule and setting (as written in the file, e.g. `for`): the level that set it',
    }),
  },
  { additionalProperties: false },
);
const ReloadAnswer = Type.Object(
  { file: Type.Union([Type.String(), Type.Null()], { description: 'The file read; null: none (defaults)' }) },
  { additionalProperties: false },
);
const ReloadError = Type.Object(
  {
    error: ErrorBody.properties.error,
    issues: Type.Array(Type.String(), { description: 'file:line path: message, one per problem' }),
  },
  { additionalProperties: false },
);

const thresholdRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const stationTownship = (req: FastifyRequest) =>
    app.hierarchy.townshipOf((req.params as { id: string }).id);

  app.get(
    '/api/v1/stations/:id/thresholds',
    {
      schema: { params: StationIdParams, response: { 200: ThresholdsView, '4xx': ErrorBody } },
      config: { access: { permission: 'station:read', township: stationTownship } },
    },
    async (req, reply) => {
      const { id } = req.params;
      if (!app.registry.get(id))
        return reply.code(404).send(errorBody('station_not_found', pickLang(req, app.defaultLang), { id }));
      return {
        stationId: id,
        township: app.hierarchy.townshipOf(id) ?? null,
        thresholds: app.alertThresholds.of(id) as unknown as Record<string, Record<string, unknown>>,
        sources: app.alertThresholds.sources(id),
      };
    },
  );

  app.post(
    '/api/v1/alert-rules/reload',
    {
      schema: { response: { 200: ReloadAnswer, 400: ReloadError, '4xx': ErrorBody } },
      // It takes no body; anything larger than this is refused before it is read.
      bodyLimit: 1024,
      config: { access: 'config:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      if (!can(req.principal!, 'config:write')) {
        app.metrics.authDenied.inc({ reason: 'forbidden_township' });
        return reply.code(403).send(err('forbidden_county', lang));
      }
      const r = app.reloadAlertRules('api');
      if (!r.ok) {
        const issues = r.issues.map((i) => formatIssue(i));
        return reply
          .code(400)
          .send({ ...err('alert_rules_invalid', lang, { n: String(issues.length) }), issues });
      }
      await app.ops.db
        .transaction()
        .execute((trx) =>
          recordAudit(trx, req, {
            action: 'alert_rules.reload',
            target: `file:${r.file ?? ''}`,
            township: null,
            before: null,
            after: null,
          }),
        );
      return { file: r.file ?? null };
    },
  );
  done();
};

export default thresholdRoutes;
