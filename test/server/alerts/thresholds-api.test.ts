/**
 * alert-rules.yaml in the running server: GET /api/v1/stations/:id/thresholds shows what a station
 * runs with and which level set it; POST /api/v1/alert-rules/reload and a changed file apply a new
 * file; a bad file keeps the previous thresholds (400 with file:line problems) and is counted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadAlertRulesFile } from '@yizhan/station-config/alert-rules-load';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import { startFullApp } from '../full-app.js';
import { metric } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'yz-rules-'));
const file = join(dir, 'alert-rules.yaml');
const GOOD =
  'townships:\n  chengguan:\n    water_low: { below: 10 }\nstations:\n  st-001:\n    water_low: { severity: critical }\n';
writeFileSync(file, GOOD);

let app: FastifyInstance;
let admin: Record<string, string>;
let manager: Record<string, string>;

beforeAll(async () => {
  const rules = loadAlertRulesFile(file).rules ?? {};
  app = await startFullApp({ alerts: { rulesFile: { file, rules } } });
  admin = await sessionHeaders(app, await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]));
  manager = await sessionHeaders(
    app,
    await addTestUser(app, [{ role: 'township_manager', scope: 'chengguan' }]),
  );
});
afterAll(async () => app?.close());

interface View {
  thresholds: Record<string, Record<string, unknown>>;
  sources: Record<string, Record<string, string>>;
}
const thresholds = async (id = 'st-001', headers = admin) =>
  app.inject({ url: `/api/v1/stations/${id}/thresholds`, headers });
const waterLow = async () => (await thresholds()).json<View>().thresholds.water_low;
const reload = (headers = admin) =>
  app.inject({ method: 'POST', url: '/api/v1/alert-rules/reload', headers });
const reloads = async (result: string) =>
  metric(await app.metrics.registry.metrics(), 'yizhan_alert_rules_reloads_total', { result });

describe('alert rule thresholds in the server', () => {
  it('a station shows its effective thresholds and the level that set each', async () => {
    const r = await thresholds();
    expect(r.statusCode).toBe(200);
    const body = r.json<View>();
    expect(body.thresholds.water_low).toMatchObject({
      below: 10,
      severity: 'critical',
      clearAbove: 25,
      forMs: 120_000,
    });
    expect(body.sources.water_low).toMatchObject({
      below: 'township',
      severity: 'station',
      clearAbove: 'default',
    });
    expect(app.alerts).toBeDefined();
    expect((await thresholds('st-002')).json<View>().thresholds.water_low?.below).toBe(15);
    expect((await thresholds('st-999')).statusCode).toBe(404);
  });

  it('station:read outside the own township is refused', async () => {
    expect((await thresholds('st-002', manager)).statusCode).toBe(403);
    expect((await thresholds('st-001', manager)).statusCode).toBe(200);
  });

  it('reload: a bad file answers 400 with its problems and keeps the previous thresholds; a good one applies', async () => {
    writeFileSync(file, 'townships:\n  chengguan:\n    water_low: { belo: 5 }\n');
    const bad = await reload();
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ issues: string[] }>().issues).toEqual([
      `${file}:3 townships.chengguan.water_low.belo: unknown key "belo"; did you mean "below"?`,
    ]);
    expect((await waterLow())?.below).toBe(10);
    expect(await reloads('error')).toBeGreaterThanOrEqual(1);

    writeFileSync(file, 'townships:\n  chengguan:\n    water_low: { below: 5 }\n');
    const ok = await reload();
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ file });
    expect(await waterLow()).toMatchObject({ below: 5, severity: 'warning' });
    expect(await reloads('ok')).toBeGreaterThanOrEqual(1);
  });

  it('reload needs county-wide config:write', async () => {
    expect((await reload(manager)).statusCode).toBe(403);
  });

  it('SIGHUP reloads at once', () => {
    writeFileSync(file, 'townships:\n  chengguan:\n    water_low: { below: 3 }\n');
    process.emit('SIGHUP', 'SIGHUP');
    // Read synchronously: before the file watch's debounce could have acted.
    expect(app.alertThresholds.of('st-001').water_low.below).toBe(3);
  });

  it('a changed file is reloaded without a request', async () => {
    writeFileSync(file, 'townships:\n  chengguan:\n    water_low: { below: 7 }\n');
    await expect.poll(async () => (await waterLow())?.below, { timeout: 5000 }).toBe(7);
  });
});
