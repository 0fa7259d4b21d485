/**
 * notify.yaml reloaded without a restart: on file change, by the API and by SIGHUP the next alert
 * goes where the new file routes it; a bad file changes nothing, and the answer names the problem
 * without a secret.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firingAlert } from '../../helpers/alert.js';
import { startFakeIm, type FakeIm } from '../../helpers/fake-im.js';
import { alertsApp } from '../alerts/alerts-app.js';
import { addTestUser, sessionHeaders } from '../auth-helpers.js';
import { tempDir } from '../store/engines.js';

const dir = tempDir('yizhan-notify-reload-');
const file = path.join(dir.dir, 'notify.yaml');
const routeTo = (channel: string) => `channels:
  - { name: first, kind: wecom, url: "\${RL_FIRST}" }
  - { name: second, kind: wecom, url: "\${RL_SECOND}" }
routes:
  townships:
    chengguan: { channels: [${channel}] }
`;

let first: FakeIm;
let second: FakeIm;
let app: FastifyInstance;
let n = 0;

/** A new alert at st-001 (chengguan); resolves once one of the two robots got its message. */
async function fire(): Promise<void> {
  const before = first.received.length + second.received.length;
  app.alertRepo.record(firingAlert('st-001', { startMs: Date.now() + ++n * 60_000 }));
  await expect
    .poll(() => first.received.length + second.received.length, { timeout: 10_000 })
    .toBe(before + 1);
}
async function reloads(result: 'ok' | 'error'): Promise<number> {
  const text = await app.metrics.registry.getSingleMetricAsString('yizhan_notify_reloads_total');
  return Number(new RegExp(`result="${result}"} (\\d+)`).exec(text)?.[1] ?? NaN);
}

beforeAll(async () => {
  [first, second] = await Promise.all([startFakeIm({ vendor: 'wecom' }), startFakeIm({ vendor: 'wecom' })]);
  writeFileSync(file, routeTo('first'));
  app = await alertsApp({ notify: { file, env: { RL_FIRST: first.url, RL_SECOND: second.url } } });
});
afterAll(async () => {
  await app?.close();
  await Promise.all([first?.close(), second?.close()]);
  dir.remove();
});

describe('notify.yaml reload', () => {
  it('follows the file: change on disk, the API, SIGHUP; a bad file keeps the previous routing', async () => {
    await fire();
    expect(first.received.length).toBe(1);

    writeFileSync(file, routeTo('second'));
    await expect.poll(() => reloads('ok'), { timeout: 10_000 }).toBe(1);
    const sentFirst = first.received.length;
    await fire();
    expect(first.received.length).toBe(sentFirst);
    expect(second.received.length).toBe(1);

    const admin = await addTestUser(app, [{ role: 'county_admin', scope: 'county' }]);
    const headers = await sessionHeaders(app, admin);
    writeFileSync(file, routeTo('frist'));
    const bad = await app.inject({ method: 'POST', url: '/api/v1/notify/reload', headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'notify_file_invalid',
      message: expect.stringMatching(/frist[\s\S]*first/) as string,
    });
    expect(bad.body).not.toContain(first.url);
    expect(await reloads('error')).toBeGreaterThanOrEqual(1);
    await fire();
    expect(second.received.length).toBe(2);

    writeFileSync(file, routeTo('first'));
    const ok = await app.inject({ method: 'POST', url: '/api/v1/notify/reload', headers });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ file, channels: ['first', 'second'] });
    await fire();
    expect(first.received.length).toBe(sentFirst + 1);
    const audit = await app.ops.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', '=', 'notify.reload')
      .execute();
    expect(audit).toEqual([{ action: 'notify.reload', target: `file:${file}` }]);

    writeFileSync(file, routeTo('second'));
    const okBefore = await reloads('ok');
    process.emit('SIGHUP', 'SIGHUP');
    await expect.poll(() => reloads('ok'), { timeout: 10_000 }).toBeGreaterThan(okBefore);
    await fire();
    expect(second.received.length).toBe(3);
  });
});
