/**
 * The alerts' record in the operations store, on SQLite and PostgreSQL: what the engine's fires and
 * resolves leave, the list filters and scoping, keyset pages, acknowledgement and comments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertRepository,
  UnknownCursorError,
  type AlertListFilter,
} from '../../../server/src/alerts/repo.js';
import { openStore, type Store } from '../../../server/src/store/open.js';
import type { Alert } from '../../../server/src/alerts/types.js';
import { testEngines } from '../store/engines.js';
import { firingAlert, resolvedAlert } from '../../helpers/alert.js';

const T = 1_700_000_000_000;
const TOWNSHIP: Record<string, string> = { 城关镇: 'chengguan', 新塘镇: 'xintang' };
const stationTownship = (id: string) => (Number(id.slice(3)) % 2 ? 'chengguan' : 'xintang');

function repoOn(store: Store, drops: string[] = []): AlertRepository {
  return new AlertRepository(
    store.db,
    {
      stationName: (id) => `驿站${id}`,
      townshipCode: stationTownship,
      townshipName: (code) => Object.entries(TOWNSHIP).find(([, c]) => c === code)?.[0],
    },
    { onDrop: (reason, items) => drops.push(...items.map((a) => `${reason}:${a.id}`)) },
  );
}

async function addUser(store: Store, login: string): Promise<number> {
  const { id } = await store.db
    .insertInto('users')
    .values({
      login,
      display_name: `${login}师傅`,
      password_hash: 'x',
      created_at: T,
      disabled_at: null,
      locked_until: null,
      password_changed_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** st-001 … st-N, one alert each a minute apart (odd stations: chengguan), every third resolved. */
function storm(
  n: number,
  rule = (i: number) => (i % 4 === 0 ? 'serial_link_down' : 'dispenser_broken'),
): Alert[] {
  const out: Alert[] = [];
  for (let i = 1; i <= n; i++) {
    const a = firingAlert(`st-${String(i).padStart(3, '0')}`, { startMs: T + i * 60_000, rule: rule(i) });
    out.push(a);
    if (i % 3 === 0) out.push(resolvedAlert(a));
  }
  return out;
}

describe.each(testEngines())('alert repository on $name', (engine) => {
  let store: Store;
  let repo: AlertRepository;
  beforeAll(async () => {
    await engine.setup();
    store = await openStore(await engine.fresh());
    repo = repoOn(store);
    for (const a of storm(120)) expect(repo.record(a)).toBe(true);
    await repo.flushed();
  }, 120_000);
  afterAll(async () => {
    await repo.close(1000);
    await store.close();
    await engine.teardown();
  }, 60_000);

  const list = (f: Partial<AlertListFilter>) => repo.list({ state: 'all', scope: 'all', limit: 500, ...f });

  it('keeps every fire and resolve, once per alert id, with its township code and events', async () => {
    expect((await list({})).alerts).toHaveLength(120);
    expect((await list({ state: 'resolved' })).alerts).toHaveLength(40);
    const a = firingAlert('st-003', { startMs: T + 3 * 60_000, rule: 'dispenser_broken' });
    const got = await repo.get(a.id);
    expect(got).toMatchObject({
      status: 'resolved',
      stationName: '驿站st-003',
      township: '城关镇',
      townshipCode: 'chengguan',
      startsAt: a.startsAt,
      endsAt: resolvedAlert(a).endsAt,
      resolvedMessage: { 'zh-CN': '已恢复', en: 'recovered' },
      acknowledged: null,
      comments: 0,
    });
    expect((await repo.events(a.id)).map((e) => [e.kind, e.user])).toEqual([
      ['fired', null],
      ['resolved', null],
    ]);
    // The same fire again (a restart's restore) changes nothing and adds no event.
    repo.record(a);
    await repo.flushed();
    expect((await repo.get(a.id))?.status).toBe('resolved');
    expect(await repo.events(a.id)).toHaveLength(2);
  });

  it('lands a resolve whose fire it never saw, whole', async () => {
    const lone = resolvedAlert(firingAlert('st-201', { startMs: T - 3_600_000 }));
    repo.record(lone);
    await repo.flushed();
    expect(await repo.get(lone.id)).toMatchObject({
      status: 'resolved',
      townshipCode: 'chengguan',
      endsAt: lone.endsAt,
    });
    expect((await repo.events(lone.id)).map((e) => e.kind)).toEqual(['resolved']);
  });

  const filters: [
    name: string,
    f: Partial<AlertListFilter>,
    want: (a: { stationId: string; status: string; rule: string; townshipCode: string }) => boolean,
  ][] = [
    ['firing only', { state: 'firing' }, (a) => a.status === 'firing'],
    ['one station', { station: 'st-007' }, (a) => a.stationId === 'st-007'],
    ['a township scope', { scope: new Set(['xintang']) }, (a) => a.townshipCode === 'xintang'],
    [
      'scope and township',
      { scope: new Set(['xintang', 'chengguan']), township: 'chengguan' },
      (a) => a.townshipCode === 'chengguan',
    ],
    ['an empty scope', { scope: new Set() }, () => false],
    [
      'a rule, firing',
      { rule: 'serial_link_down', state: 'firing' },
      (a) => a.rule === 'serial_link_down' && a.status === 'firing',
    ],
  ];
  it.each(filters)('filters: %s', async (_name, f, want) => {
    const all = (await list({})).alerts.filter((a) => a.stationId <= 'st-120');
    const expected = all.filter(want).map((a) => a.id);
    const got = (await list(f)).alerts.filter((a) => a.stationId <= 'st-120').map((a) => a.id);
    expect(got).toEqual(expected);
    if (f.scope !== undefined && f.scope !== 'all' && f.scope.size === 0) expect(got).toEqual([]);
    else expect(got.length).toBeGreaterThan(0);
  });

  it('pages newest first with keyset cursors: every alert once, then next null', async () => {
    const seen: string[] = [];
    const starts: number[] = [];
    let before: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await list({ limit: 50, before, scope: new Set(['chengguan']) });
      pages++;
      seen.push(...page.alerts.map((a) => a.id));
      starts.push(...page.alerts.map((a) => Date.parse(a.startsAt)));
      if (page.next === null) break;
      before = page.next;
    }
    const all = (await list({ scope: new Set(['chengguan']) })).alerts.map((a) => a.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(all.length / 50));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    await expect(list({ before: 'no-such-alert' })).rejects.toBeInstanceOf(UnknownCursorError);
  });

  it('acknowledges, withdraws and comments with events naming the person', async () => {
    const uid = await addUser(store, `crew-${engine.name}`);
    const a = firingAlert('st-010', { startMs: T + 10 * 60_000 });
    const at = T + 86_400_000;
    expect(await store.db.transaction().execute((trx) => repo.ack(trx, a.id, uid, at))).toBe(true);
    // A second ack writes nothing.
    expect(await store.db.transaction().execute((trx) => repo.ack(trx, a.id, uid, at + 1))).toBe(false);
    await store.db
      .transaction()
      .execute((trx) => repo.comment(trx, a.id, uid, '已派人 / on the way', at + 2));
    const got = await repo.get(a.id);
    expect(got?.acknowledged).toEqual({ at, by: { id: uid, displayName: `crew-${engine.name}师傅` } });
    expect(got?.comments).toBe(1);
    expect((await list({ acked: true })).alerts.map((x) => x.id)).toEqual([a.id]);
    expect((await list({ acked: false })).alerts.map((x) => x.id)).not.toContain(a.id);

    expect(await store.db.transaction().execute((trx) => repo.unack(trx, a.id, uid, at + 3))).toBe(true);
    expect((await repo.get(a.id))?.acknowledged).toBeNull();
    const events = await repo.events(a.id);
    expect(events.map((e) => [e.kind, e.user?.id ?? null, e.text])).toEqual([
      ['fired', null, null],
      ['acknowledged', uid, null],
      ['commented', uid, '已派人 / on the way'],
      ['unacknowledged', uid, null],
    ]);
  });

  it('keeps an acknowledgement when the engine later resolves the alert', async () => {
    const a = firingAlert('st-011', { startMs: T + 11 * 60_000 });
    await store.db.transaction().execute((trx) => repo.ack(trx, a.id, null, T + 1));
    repo.record(resolvedAlert(a));
    await repo.flushed();
    expect(await repo.get(a.id)).toMatchObject({ status: 'resolved', acknowledged: { at: T + 1, by: null } });
  });
});
