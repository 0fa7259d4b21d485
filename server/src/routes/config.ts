/**
 * Remote station config API (issue 3):
 *
 * | method, path                          | answer                                                            |
 * | ------------------------------------- | ----------------------------------------------------------------- |
 * | `GET /api/v1/stations/:id/config`     | station:read; `{stationId, desired, reported, inSync}`            |
 * | `PUT /api/v1/stations/:id/config`     | config:write; body = StationRuntimeConfig; 202 with the new state |
 *
 * PUT checks the body (schema, and that every `sensorsEnabled` key is a sensor of the station),
 * gives it the next version and publishes it retained (QoS 1) on the station's `config/desired`;
 * the agent applies it and answers on `config/reported`, which ingest keeps in live state.
 * The desired configs and their broker connection are `app.desiredConfigs`
 * (server/src/config-api/desired.ts); until the retained configs have been read PUT answers 503
 * `config_not_ready`.
 *
 * Both need a login or a personal API token with the permission in the station's township
 * (plugins/auth.ts; the deprecated shared YIZHAN_API_TOKEN still passes for PUT). A published
 * config is audited (`config.put`, before: the previous desired config, after: the new one); an
 * audit entry that cannot be stored after the publish is logged with its content and counted in
 * yizhan_store_errors_total{what="audit"} (the publish itself cannot be taken back).
 *
 * `inSync`: true when the station reported the desired version as applied, false while it has not
 * (not yet answered, or rejected), null when the station was never sent a config (nothing to be in
 * sync with).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigDesiredPayload, validators } from '@yizhan/protocol';
import { StationIdParams, StationLive } from '../state/schema.js';
import { errorTable, pickLang } from '../i18n.js';
import type { StationConfig } from '../config-api/desired.js';
import { recordAudit } from '../org/audit.js';

const TEXT = {
  station_not_found: { 'zh-CN': '没有编号为 {id} 的驿站', en: 'No station with id {id}' },
  invalid_config: { 'zh-CN': '配置无效：{detail}', en: 'Invalid config: {detail}' },
  config_not_ready: {
    'zh-CN': '尚未从消息服务器取得当前配置版本，请稍后重试',
    en: 'Current config versions not yet read from the broker; retry shortly',
  },
  publish_failed: { 'zh-CN': '配置未能发布：{detail}', en: 'Config could not be published: {detail}' },
} as const;

const err = errorTable(TEXT);

const Err = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
const ConfigView = Type.Object(
  {
    stationId: Type.String(),
    desired: Type.Union([Type.Omit(ConfigDesiredPayload, ['v']), Type.Null()]),
    reported: StationLive.properties.config,
    inSync: Type.Union([Type.Boolean(), Type.Null()], {
      description: 'reported version = desired version and status applied; null: no config was ever sent',
    }),
  },
  { additionalProperties: false },
);
type ConfigView = Static<typeof ConfigView>;

function view(app: FastifyInstance, id: string): ConfigView | undefined {
  const live = app.store.live(id);
  if (!live) return undefined;
  const d = app.desiredConfigs.get(id);
  const reported = live.config;
  return {
    stationId: id,
    desired: d ? { version: d.version, ts: d.ts, config: d.config } : null,
    reported,
    inSync: d ? !!reported && reported.version === d.version && reported.status === 'applied' : null,
  };
}

/** The body as a station config of station `id`, or the reason it is not one. */
function checkBody(
  app: FastifyInstance,
  id: string,
  body: unknown,
): { config: StationConfig } | { detail: string } {
  const check = validators['config/desired'];
  const candidate = { v: 1, version: 1, ts: Date.now(), config: body };
  if (!check.check(candidate)) return { detail: check.errors(candidate).join('; ').slice(0, 400) };
  const sensors = new Set(app.registry.get(id)?.config.sensors.map((s) => s.id));
  const unknown = Object.keys(candidate.config.sensorsEnabled ?? {}).filter((s) => !sensors.has(s));
  if (unknown.length) return { detail: `sensorsEnabled: ${id} has no sensor ${unknown.join(', ')}` };
  return { config: candidate.config };
}

type Desired = ReturnType<FastifyInstance['desiredConfigs']['get']>;

/** The audit entry of a published config; a failure to store it is logged with the entry and counted. */
async function auditPut(
  app: FastifyInstance,
  req: FastifyRequest,
  id: string,
  before: Desired,
  after: Desired,
) {
  const entry = {
    action: 'config.put',
    target: `station:${id}`,
    township: app.hierarchy.townshipOf(id) ?? null,
    before: before ? { version: before.version, config: before.config } : null,
    after: after ? { version: after.version, config: after.config } : null,
  };
  try {
    await app.ops.db.transaction().execute((trx) => recordAudit(trx, req, entry));
  } catch (e) {
    app.metrics.storeErrors.inc({ what: 'audit' });
    req.log.error(
      { err: e, audit: entry, user: req.principal?.login },
      'audit entry of a published config not stored',
    );
  }
}

const configRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const params = StationIdParams;
  const stationTownship = (req: FastifyRequest) =>
    app.hierarchy.townshipOf((req.params as { id: string }).id);

  app.get(
    '/api/v1/stations/:id/config',
    {
      schema: { params, response: { 200: ConfigView, 404: Err } },
      config: { access: { permission: 'station:read', township: stationTownship } },
    },
    async (req, reply) => {
      await app.desiredConfigs.open();
      const v = view(app, req.params.id);
      if (v) return v;
      return reply
        .code(404)
        .send(err('station_not_found', pickLang(req, app.defaultLang), { id: req.params.id }));
    },
  );

  app.put(
    '/api/v1/stations/:id/config',
    // The body is checked here, not by fastify's ajv (which would strip unknown keys silently).
    {
      schema: { params, response: { 202: ConfigView, '4xx': Err, '5xx': Err } },
      config: { access: { permission: 'config:write', township: stationTownship } },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const id = req.params.id;
      if (!app.registry.get(id)) return reply.code(404).send(err('station_not_found', lang, { id }));
      const checked = checkBody(app, id, req.body);
      if ('detail' in checked)
        return reply.code(400).send(err('invalid_config', lang, { detail: checked.detail }));
      await app.desiredConfigs.open();
      if (!app.desiredConfigs.ready) return reply.code(503).send(err('config_not_ready', lang));
      const reportedVersion = app.store.live(id)?.config?.version ?? 0;
      const before = app.desiredConfigs.get(id);
      try {
        const msg = await app.desiredConfigs.publish(id, checked.config, reportedVersion);
        req.log.info({ station: id, version: msg.version, config: msg.config }, 'desired config published');
        await auditPut(app, req, id, before, msg);
      } catch (e) {
        return reply.code(503).send(err('publish_failed', lang, { detail: (e as Error).message }));
      }
      const v = view(app, id);
      if (!v) return reply.code(404).send(err('station_not_found', lang, { id }));
      return reply.code(202).send(v);
    },
  );
  done();
};

export default configRoutes;
