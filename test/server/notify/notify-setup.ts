/**
 * A notify.yaml on disk for the alerts test app, with its secrets in an environment object and a
 * file (as production would), and fake WeCom, DingTalk and Feishu robots behind it:
 * chengguan → cg-wecom, cg-dingtalk (signed), cg-feishu (signed); xintang → xt-wecom;
 * county → county-wecom. People with mobiles: a chengguan crew member, a xintang crew lead, a
 * chengguan township manager and a county admin.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { addTestUser } from '../auth-helpers.js';
import { startFakeIm, type FakeIm } from '../../helpers/fake-im.js';

export const DING_SECRET = 'SECdingtalk0123456789';
export const FEISHU_SECRET = 'feishu-secret-abcdef';
export const MOBILES = {
  crew: '13800000001',
  xtCrew: '13900000002',
  manager: '13700000003',
  county: '13600000004',
} as const;

export interface NotifyFakes {
  cgWecom: FakeIm;
  cgDing: FakeIm;
  cgFeishu: FakeIm;
  xtWecom: FakeIm;
  countyWecom: FakeIm;
  close(): Promise<void>;
}

export async function startFakes(): Promise<NotifyFakes> {
  const [cgWecom, cgDing, cgFeishu, xtWecom, countyWecom] = await Promise.all([
    startFakeIm({ vendor: 'wecom' }),
    startFakeIm({ vendor: 'dingtalk', secret: DING_SECRET }),
    startFakeIm({ vendor: 'feishu', secret: FEISHU_SECRET }),
    startFakeIm({ vendor: 'wecom' }),
    startFakeIm({ vendor: 'wecom' }),
  ]);
  const all = [cgWecom, cgDing, cgFeishu, xtWecom, countyWecom];
  return {
    cgWecom,
    cgDing,
    cgFeishu,
    xtWecom,
    countyWecom,
    close: async () => void (await Promise.all(all.map((f) => f.close()))),
  };
}

/** Write notify.yaml into `dir`; returns its path and the environment its `${…}` read. */
export function writeNotifyFile(dir: string, f: NotifyFakes): { file: string; env: NodeJS.ProcessEnv } {
  const secretFile = path.join(dir, 'ding.secret');
  writeFileSync(secretFile, `${DING_SECRET}\n`);
  const file = path.join(dir, 'notify.yaml');
  writeFileSync(
    file,
    `# test routing
channels:
  - { name: cg-wecom, kind: wecom, url: "\${NT_CG_WECOM}" }
  - { name: cg-dingtalk, kind: dingtalk, url: "\${NT_CG_DING}", secret: { file: ${secretFile} } }
  - { name: cg-feishu, kind: feishu, url: "\${NT_CG_FEISHU}", secret: "\${NT_FEISHU_SECRET}" }
  - { name: xt-wecom, kind: wecom, url: "\${NT_XT_WECOM}" }
  - { name: county-wecom, kind: wecom, url: "\${NT_COUNTY_WECOM}" }
routes:
  county: { channels: [county-wecom] }
  townships:
    chengguan: { channels: [cg-wecom, cg-dingtalk, cg-feishu] }
    xintang: { channels: [xt-wecom] }
escalation:
  default:
    critical: { remindAfter: 15min, escalateAfter: 30min, escalateCountyAfter: 2h, repeatEvery: 1h }
`,
  );
  const env = {
    NT_CG_WECOM: f.cgWecom.url,
    NT_CG_DING: f.cgDing.url,
    NT_CG_FEISHU: f.cgFeishu.url,
    NT_FEISHU_SECRET: FEISHU_SECRET,
    NT_XT_WECOM: f.xtWecom.url,
    NT_COUNTY_WECOM: f.countyWecom.url,
  };
  return { file, env };
}

/** The people of the header, with their mobiles. */
export async function addPeople(app: FastifyInstance): Promise<void> {
  const people: [string, string, string][] = [
    ['crew_member', 'chengguan', MOBILES.crew],
    ['crew_lead', 'xintang', MOBILES.xtCrew],
    ['township_manager', 'chengguan', MOBILES.manager],
    ['county_admin', 'county', MOBILES.county],
  ];
  for (const [role, scope, mobile] of people) {
    const u = await addTestUser(app, [{ role, scope } as never]);
    await app.ops.db.updateTable('users').set({ mobile }).where('id', '=', u.id).execute();
  }
  // A crew member without a mobile and a disabled one are never mentioned.
  await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' } as never]);
  const gone = await addTestUser(app, [{ role: 'crew_member', scope: 'chengguan' } as never]);
  await app.ops.db
    .updateTable('users')
    .set({ mobile: '13500000009', disabled_at: Date.now() })
    .where('id', '=', gone.id)
    .execute();
}

/** How many alerts the messages a fake received account for: a merged one says "N 个". */
export function alertsCounted(f: FakeIm): number {
  return f.received
    .filter((r) => r.code === 0)
    .reduce((n, r) => n + Number(/(\d+) 个(新告警|告警已恢复)/.exec(r.text)?.[1] ?? 1), 0);
}
