/**
 * Issue 13 end to end, nothing faked but the vendors: a sample station's controller
 * (StationSimulator) on a socat PTY pair, its edge agent, the yizhan broker with per-station
 * credentials, the server (listening; SQLite store in the stack's temp folder; YIZHAN_NOTIFY_FILE
 * routing 城关镇 to a WeCom robot and the county to a signed DingTalk robot), influxd. Fake robots
 * check what the vendors check (test/helpers/fake-im.ts).
 *
 * A fault injected in the controller reaches the township's WeCom group with the crew member's
 * mobile @-mentioned, its link names the stored alert; clearing it sends one resolve that mentions
 * nobody; under a silence the same kind of fault is recorded as silenced and sent nowhere.
 *
 * WeCom markdown cannot @-mention by mobile (server/src/notify/channels/wecom.ts), so a message
 * that mentions someone goes as `text` with `mentioned_mobile_list`, one without as `markdown`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadStationsOrThrow } from '@yizhan/station-config/load';
import { loadTownshipsFile } from '@yizhan/station-config/townships';
import type { AlertRulesFile } from '@yizhan/station-config/alert-rules';
import type { Alert } from '../../server/src/alerts/types.js';
import { startFakeIm, type FakeIm } from '../helpers/fake-im.js';
import { addTestUser, sessionHeaders } from '../server/auth-helpers.js';
import { pick } from './pipeline-expect.js';
import { startPipeline, type Pipeline, type SimStation } from './pipeline-stack.js';

const ALL = loadStationsOrThrow();
const A = pick(ALL, (s) => s.id === 'st-001', 'st-001');
const PUBLIC = 'https://yz.example.cn';
const DING_SECRET = 'SECe2e-dingtalk-0123456789';
const CREW_MOBILE = '13800000077';
/** Short clear holds so resolves come within seconds (the rules judge the readings' own time). */
const RULES: AlertRulesFile = {
  defaults: { socket_fault: { clearFor: '1s' }, door_stuck_open: { clearFor: '1s' } },
};

let p: Pipeline;
let wecom: FakeIm;
let ding: FakeIm;
let admin: Record<string, string>;
const seen: Alert[] = [];

function station(): SimStation {
  const s = p.stations[0];
  if (!s) throw new Error('station did not start');
  return s;
}

function writeNotifyFile(dir: string): string {
  const secretFile = join(dir, 'ding.secret');
  writeFileSync(secretFile, `${DING_SECRET}\n`);
  const file = join(dir, 'notify.yaml');
  writeFileSync(
    file,
    `channels:
  - { name: cg-wecom, kind: wecom, url: "\${E2E_CG_WECOM}" }
  - { name: county-ding, kind: dingtalk, url: "\${E2E_COUNTY_DING}", secret: { file: ${secretFile} } }
routes:
  county: { channels: [county-ding] }
  townships:
    chengguan: { channels: [cg-wecom] }
`,
  );
  return file;
}

/** Messages the WeCom group received (delivered) that link to alert `id`. */
function messagesOf(id: string) {
  return wecom.received.filter((r) => r.code === 0 && r.text.includes(`${PUBLIC}/app/alerts/${id}`));
}

async function alertEvents(id: string): Promise<string[]> {
  const res = await fetch(`${p.url}/api/v1/alerts/${encodeURIComponent(id)}`, { headers: admin });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { events: { kind: string }[] };
  return body.events.map((e) => e.kind);
}

async function post(path: string, payload: unknown): Promise<Response> {
  return fetch(`${p.url}${path}`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
}

beforeAll(async () => {
  [wecom, ding] = await Promise.all([
    startFakeIm({ vendor: 'wecom' }),
    startFakeIm({ vendor: 'dingtalk', secret: DING_SECRET }),
  ]);
  const townships = loadTownshipsFile(join(import.meta.dirname, '../../firmware-config/townships.yaml'));
  if (!townships.townships) throw new Error(`townships.yaml: ${JSON.stringify(townships.issues)}`);
  const defs = townships.townships;
  p = await startPipeline({
    registry: [A],
    // 10× real time: a READINGS frame every second, so clear holds pass within seconds.
    plans: [{ config: A, seed: 13, speed: 10, startTime: Date.UTC(2025, 0, 15, 2, 0), tickMs: 100 }],
    watch: A.id,
    server: (root) => ({
      dataDir: join(root, 'server'),
      townships: defs,
      alerts: { rulesFile: { file: join(root, 'alert-rules.yaml'), rules: RULES }, tickIntervalMs: 200 },
      notify: {
        file: writeNotifyFile(root),
        env: { E2E_CG_WECOM: wecom.url, E2E_COUNTY_DING: ding.url },
        publicUrl: PUBLIC,
        outbox: { pollMs: 50 },
      },
    }),
  });
  p.app.alerts.on('alert', (a: Alert) => seen.push(a));
  const root = await addTestUser(p.app, [{ role: 'county_admin', scope: 'county' } as never]);
  admin = await sessionHeaders(p.app, root);
  // The crew member, made through the API as a county admin would.
  const res = await post('/api/v1/users', {
    login: 'crew-cg',
    displayName: '城关维修员',
    grants: [{ role: 'crew_member', scope: 'chengguan' }],
    mobile: CREW_MOBILE,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}, 120_000);

afterAll(async () => {
  await p?.stop();
  await wecom?.close();
  await ding?.close();
}, 60_000);

describe('a fault in the controller reaches the crew', () => {
  it('socket_tripped → one WeCom message @-mentioning the crew, linking the stored alert; cleared → one resolve, no mention', async () => {
    const s = station();
    s.sim.injectFault('socket_tripped', 3);
    const fired = await vi.waitFor(
      () => {
        const a = seen.find((x) => x.rule === 'socket_fault' && x.status === 'firing');
        expect(a).toBeDefined();
        return a!;
      },
      { timeout: 15_000, interval: 50 },
    );
    await vi.waitFor(() => expect(messagesOf(fired.id)).toHaveLength(1), { timeout: 15_000, interval: 50 });
    const [msg] = messagesOf(fired.id);
    expect(msg!.mentions).toEqual([CREW_MOBILE]);
    const body = msg!.body as { msgtype: string; text: { mentioned_mobile_list: string[] } };
    expect(body.msgtype).toBe('text');
    expect(body.text.mentioned_mobile_list).toEqual([CREW_MOBILE]);
    expect(msg!.text).toContain(A.name);
    expect(msg!.text).toContain(A.address);
    expect(msg!.text).toContain(fired.message['zh-CN']);
    expect(msg!.text).toMatch(/插座|充电/);
    // The county's robot is the fallback of townships without a route: it heard nothing.
    expect(ding.received).toEqual([]);
    // The link is the stored alert's page, and the API tells it was notified.
    expect(await alertEvents(fired.id)).toEqual(expect.arrayContaining(['fired', 'notified']));

    s.sim.clearFault('socket_tripped', 3);
    await vi.waitFor(() => expect(messagesOf(fired.id)).toHaveLength(2), { timeout: 20_000, interval: 50 });
    const resolve = messagesOf(fired.id)[1]!;
    expect(resolve.text).toContain('【已恢复】');
    expect(resolve.mentions).toEqual([]);
    expect((resolve.body as { msgtype: string }).msgtype).toBe('markdown');
    // Nothing more about this alert arrives once the outbox has nothing due for it.
    await vi.waitFor(
      async () => {
        const due = await p.app.ops.db
          .selectFrom('outbox')
          .select('dedupe_key')
          .where('dedupe_key', 'like', `${fired.id}%`)
          .where('state', 'in', ['pending', 'sending'])
          .execute();
        expect(due).toEqual([]);
      },
      { timeout: 10_000 },
    );
    expect(messagesOf(fired.id)).toHaveLength(2);
  }, 60_000);

  it('door_stuck while a silence covers the station → recorded as silenced, sent nowhere', async () => {
    const res = await post('/api/v1/silences', {
      matchers: { stationId: A.id },
      endsAt: Date.now() + 3_600_000,
      reason: '例行检修 e2e',
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const before = wecom.received.length;
    // The controller's watchdog raises door_stuck once the door has been open door_stuck_s (180
    // simulated s): jump the controller's clock past it.
    station().sim.injectFault('door_stuck');
    station().sim.advance(200_000);
    const fired = await vi.waitFor(
      () => {
        const a = seen.find((x) => x.rule === 'door_stuck_open' && x.status === 'firing');
        expect(a).toBeDefined();
        return a!;
      },
      { timeout: 15_000, interval: 50 },
    );
    await vi.waitFor(async () => expect(await alertEvents(fired.id)).toContain('silenced'), {
      timeout: 10_000,
    });
    expect(await alertEvents(fired.id)).not.toContain('notified');
    // The notifier decides inside the alert's write transaction: no outbox row means no message.
    const rows = await p.app.ops.db
      .selectFrom('outbox')
      .select('dedupe_key')
      .where('dedupe_key', 'like', `${fired.id}%`)
      .execute();
    expect(rows).toEqual([]);
    expect(messagesOf(fired.id)).toEqual([]);
    expect(wecom.received.slice(before).filter((r) => r.text.includes('门'))).toEqual([]);
  }, 60_000);
});
