/**
 * Remote station config API (issue 3):
 *
 * | method, path                          | answer                                                            |
 * | ------------------------------------- | ----------------------------------------------------------------- |
 * | `GET /api/v1/stations/:id/config`     | `{stationId, desired, reported, inSync}`                          |
 * | `PUT /api/v1/stations/:id/config`     | bearer token; body = StationRuntimeConfig; 202 with the new state |
 *
 * PUT checks the body (schema, and that every `sensorsEnabled` key is a sensor of the station),
 * gives it the next version and publishes it retained (QoS 1) on the station's `config/desired`;
 * the agent applies it and answers on `config/reported`, which ingest keeps in live state.
 * The API's own broker connection opens on its first request; desired versions are learned from the
 * retained messages then, so versions keep increasing across server restarts; until those have
 * arrived (bounded wait) PUT answers 503 `config_not_ready`.
 *
 * Writes need `Authorization: Bearer <token>` with the server's token (`apiToken` option; main.ts
 * reads it from YIZHAN_API_TOKEN or the file in YIZHAN_API_TOKEN_FILE); without a token every write
 * is refused (403 `write_api_disabled`), so a server is never writable by accident.
 *
 * `inSync`: true when the station reported the desired version as applied, false while it has not
 * (not yet answered, or rejected), null when the station was never sent a config (nothing to be in
 * sync with).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import {
  ConfigDesiredPayload,
  allStationsFilter,
  parseStationTopic,
  stationTopic,
  validators,
  type ConfigDesiredPayload as Desired,
} from '@yizhan/protocol';
import { StationLive } from '../state/schema.js';
import { pickLang, type Lang } from '../i18n.js';

/** Wait after SUBACK for retained desired configs before accepting writes, ms. */
export const DEFAULT_CONFIG_SETTLE_MS = 500;

const TEXT = {
  station_not_found: { 'zh-CN': '没有编号为 {id} 的驿站', en: 'No station with id {id}' },
  write_api_disabled: {
    'zh-CN': '写接口未启用：服务器未设置 YIZHAN_API_TOKEN(_FILE)',
    en: 'Write API disabled: the server has no YIZHAN_API_TOKEN(_FILE)',
  },
  unauthorized: { 'zh-CN': '需要有效的 Bearer 令牌', en: 'A valid bearer token is required' },
  invalid_config: { 'zh-CN': '配置无效：{detail}', en: 'Invalid config: {detail}' },
  config_not_ready: {
    'zh-CN': '尚未从消息服务器取得当前配置版本，请稍后重试',
    en: 'Current config versions not yet read from the broker; retry shortly',
  },
  publish_failed: { 'zh-CN': '配置未能发布：{detail}', en: 'Config could not be published: {detail}' },
} as const;
type Code = keyof typeof TEXT;

function err(code: Code, lang: Lang, params: Record<string, string> = {}) {
  const message = TEXT[code][lang].replace(/\{(\w+)\}/g, (_m, k: string) => params[k] ?? '');
  return { error: { code, message } };
}

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

const hash = (s: string) => createHash('sha256').update(s).digest();

const configRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const token = app.serverOptions.apiToken;
  const o = app.serverOptions.mqtt;
  const desired = new Map<string, Desired>();
  let ready = false;
  let client: MqttClient | undefined;
  const log = app.log.child({ component: 'config-api' });
  if (!token)
    log.info(
      'config API writes disabled (secure default): set YIZHAN_API_TOKEN or YIZHAN_API_TOKEN_FILE to enable PUT',
    );

  // Connected on first use of the API (not at start): a server whose config API is unused keeps a
  // single broker connection. The first request waits (bounded) for the retained desired configs.
  let connecting: Promise<void> | undefined;
  const ensureClient = (): Promise<void> => {
    connecting ??= new Promise<void>((resolve) => {
      const c = mqtt.connect(o.url, {
        clientId: `${o.clientId ?? 'yizhan-server'}-config`,
        username: o.username,
        password: o.password,
        clean: true,
        reconnectPeriod: o.reconnectPeriodMs ?? 1000,
        protocolVersion: 4,
      });
      client = c;
      const giveUp = setTimeout(resolve, DEFAULT_CONFIG_SETTLE_MS * 6);
      giveUp.unref();
      c.on('connect', () => {
        c.subscribe(allStationsFilter('config/desired'), { qos: 1 }, (e) => {
          if (e) return log.error({ err: e.message }, 'cannot subscribe to desired configs');
          setTimeout(() => {
            ready = true;
            clearTimeout(giveUp);
            resolve();
          }, DEFAULT_CONFIG_SETTLE_MS).unref();
        });
      });
      c.on('message', (topic, payload) => {
        const t = parseStationTopic(topic);
        const v = validators['config/desired'];
        let parsed: unknown;
        try {
          parsed = JSON.parse(payload.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (!t || !v.check(parsed)) return log.warn({ topic }, 'retained desired config unreadable; ignored');
        const known = desired.get(t.stationId);
        if (!known || parsed.version > known.version) desired.set(t.stationId, parsed);
      });
      c.on('error', (e) => log.warn({ err: e.message }, 'config-api mqtt error'));
    });
    return connecting;
  };
  app.addHook('onClose', async () => {
    await client?.endAsync(true); // publishes are awaited in PUT; nothing is left in flight
  });

  const view = (id: string): ConfigView | undefined => {
    const live = app.store.live(id);
    if (!live) return undefined;
    const d = desired.get(id);
    const reported = live.config;
    return {
      stationId: id,
      desired: d ? { version: d.version, ts: d.ts, config: d.config } : null,
      reported,
      inSync: d ? !!reported && reported.version === d.version && reported.status === 'applied' : null,
    };
  };

  const authorized = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const lang = pickLang(req, app.defaultLang);
    if (!token) {
      void reply.code(403).send(err('write_api_disabled', lang));
      return false;
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m?.[1] || !timingSafeEqual(hash(m[1]), hash(token))) {
      void reply.code(401).header('www-authenticate', 'Bearer').send(err('unauthorized', lang));
      return false;
    }
    return true;
  };

  const params = Type.Object({ id: Type.String({ maxLength: 64 }) });
  app.get(
    '/api/v1/stations/:id/config',
    { schema: { params, response: { 200: ConfigView, 404: Err } } },
    async (req, reply) => {
      await ensureClient();
      const v = view(req.params.id);
      if (v) return v;
      return reply
        .code(404)
        .send(err('station_not_found', pickLang(req, app.defaultLang), { id: req.params.id }));
    },
  );

  app.put(
    '/api/v1/stations/:id/config',
    // The body is checked here, not by fastify's ajv (which would strip unknown keys silently).
    { schema: { params, response: { 202: ConfigView, '4xx': Err, '5xx': Err } } },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      if (!authorized(req, reply)) return reply;
      const id = req.params.id;
      const entry = app.registry.get(id);
      if (!entry) return reply.code(404).send(err('station_not_found', lang, { id }));
      const body = req.body;
      const check = validators['config/desired'];
      const candidate = { v: 1, version: 1, ts: Date.now(), config: body };
      if (!check.check(candidate)) {
        const detail = check.errors(candidate).join('; ').slice(0, 400);
        return reply.code(400).send(err('invalid_config', lang, { detail }));
      }
      const sensors = new Set(entry.config.sensors.map((s) => s.id));
      const unknown = Object.keys(candidate.config.sensorsEnabled ?? {}).filter((s) => !sensors.has(s));
      if (unknown.length)
        return reply
          .code(400)
          .send(
            err('invalid_config', lang, {
              detail: `sensorsEnabled: ${id} has no sensor ${unknown.join(', ')}`,
            }),
          );
      await ensureClient();
      if (!ready || !client?.connected) return reply.code(503).send(err('config_not_ready', lang));
      const reportedVersion = app.store.live(id)?.config?.version ?? 0;
      const version = Math.max(desired.get(id)?.version ?? 0, reportedVersion) + 1;
      const msg: Desired = { v: 1, version, ts: Date.now(), config: candidate.config };
      try {
        await client.publishAsync(stationTopic(id, 'config/desired'), JSON.stringify(msg), {
          qos: 1,
          retain: true,
        });
      } catch (e) {
        return reply.code(503).send(err('publish_failed', lang, { detail: (e as Error).message }));
      }
      desired.set(id, msg);
      log.info({ station: id, version, config: msg.config }, 'desired config published');
      const v = view(id);
      if (!v) return reply.code(404).send(err('station_not_found', lang, { id }));
      return reply.code(202).send(v);
    },
  );
  done();
};

export default configRoutes;
