/**
 * Server entry point: read settings (config.ts) and the station files, build the app, listen,
 * and close gracefully on SIGINT/SIGTERM (MQTT off, InfluxDB writer flushed, webhooks drained).
 *
 *   npx tsx server/src/main.ts          start
 *   npx tsx server/src/main.ts --help   list every setting with its default
 */
import type { TownshipDefinition } from '@yizhan/station-config/townships';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { shownBrokers } from '@yizhan/common/mqtt-url';
import { buildApp, type ServerOptions } from './app.js';
import { describeConfig, loadConfig, type ServerConfig } from './config.js';
import { loadOrgFiles } from './org/files.js';
import { loadAlertRulesFor } from '@yizhan/station-config/alert-rules-load';
import { formatIssues } from './alerts/thresholds.js';

/** The app's options from the settings and the loaded station files. */
function serverOptions(
  c: ServerConfig,
  stations: ServerOptions['stations'],
  townships: readonly TownshipDefinition[] | undefined,
  rulesFile: NonNullable<ServerOptions['alerts']>['rulesFile'],
): ServerOptions {
  return {
    stations,
    ...(townships ? { townships } : {}),
    mqtt: c.mqtt,
    influx: {
      ...c.influx,
      writer: {
        batchSize: c.influx.batchSize,
        flushIntervalMs: c.influx.flushIntervalMs,
        maxInFlight: c.influx.maxInFlight,
        maxBufferLines: c.influx.maxBufferLines,
      },
    },
    alerts: {
      ...(c.alerts.webhookUrl
        ? { webhook: { url: c.alerts.webhookUrl, timeoutMs: c.alerts.webhookTimeoutMs } }
        : {}),
      ...(c.alerts.serialLinkDownHold ? { serialLinkDown: { hold: c.alerts.serialLinkDownHold } } : {}),
      ...(rulesFile ? { rulesFile } : {}),
    },
    notify: c.notify,
    ingest: { maxFutureSkewMs: c.ingestMaxFutureMs },
    dataDir: c.dataDir,
    ...(c.dbUrl ? { dbUrl: c.dbUrl } : {}),
    sse: { heartbeatMs: c.sseHeartbeatMs, maxPerAddress: c.sseMaxPerAddress },
    lang: c.lang,
    timeZone: c.timeZone,
    logLevel: c.logLevel,
    shutdownGraceMs: c.shutdownGraceMs,
    auditRetentionMs: c.auditRetentionMs,
    fleet: { darkAfterMs: c.darkAfterMs },
    riders: { requestsPerMin: c.riderRequestsPerMin },
    screen: c.publicUrl ? { publicUrl: c.publicUrl } : {},
    reports: c.reports,
    workOrders: c.workOrders,
    planning: c.planning,
    rankingSync: { retentionMs: c.rankingStoreRetentionMs },
    apiToken: c.apiToken,
    trustProxy: c.trustProxy,
    ...(c.webDir ? { webDir: c.webDir } : {}),
    mapTiles: c.mapTiles,
  };
}

/** Close gracefully on SIGINT/SIGTERM; a second signal, or a close past the deadline, exits at once. */
function stopOnSignals(app: FastifyInstance, graceMs: number): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Hard deadline in case something hangs: grace for flushing plus a margin.
    setTimeout(
      () => {
        app.log.error('shutdown took too long; exiting');
        process.exit(1);
      },
      graceMs * 2 + 5000,
    ).unref();
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        app.log.error({ err: e }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    const en = process.env.YIZHAN_LANG === 'en';
    const title = en ? 'yizhan server. Settings (environment variables):' : '驿站服务器的设置（环境变量）：';
    process.stdout.write(`${title}\n${describeConfig(en ? 'en' : 'zh-CN')}\n`);
    return 0;
  }
  const cfg = loadConfig(process.env);
  if (!cfg.ok) {
    process.stderr.write(
      `yizhan server: refusing to start, fix these settings:\n${cfg.errors.map((e) => `  ${e}`).join('\n')}\n`,
    );
    return 2;
  }
  const c = cfg.config;
  const files = loadOrgFiles(c);
  if (!files.ok) {
    process.stderr.write(`yizhan server: refusing to start, ${files.message}\n`);
    return 2;
  }
  const { stations } = files;
  const rules = loadAlertRulesFor(files.stationsDir, c.alertRulesFile ? resolve(c.alertRulesFile) : undefined, {
    ...(files.townships ? { townshipCodes: files.townships.map((t) => t.code) } : {}),
    stationIds: stations.map((s) => s.id),
  });
  if (!rules.rules) {
    process.stderr.write(
      `yizhan server: refusing to start, the alert rules file ${rules.file} is invalid:\n${formatIssues(rules.issues)}\n`,
    );
    return 2;
  }
  const rulesFile = rules.file === undefined ? undefined : { file: rules.file, rules: rules.rules };
  const app = await buildApp(serverOptions(c, stations, files.townships, rulesFile));
  stopOnSignals(app, c.shutdownGraceMs);
  await app.listen({ host: c.http.host, port: c.http.port });
  app.log.info(
    { stations: stations.length, mqtt: shownBrokers(c.mqtt.url), influx: c.influx.url, api: c.influx.api },
    'yizhan server started',
  );
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`yizhan server: failed to start: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
