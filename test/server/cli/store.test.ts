/** The first county admin that `npm start`'s demo makes with the CLI's function: once, then never again. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCountyAdmin, openCliStore } from '@yizhan/server/cli';
import { verifyPassword } from '../../../server/src/auth/passwords.js';

const dir = mkdtempSync(join(tmpdir(), 'yizhan-admin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureCountyAdmin', () => {
  it('makes admin with a generated password on the first call, and leaves it alone after', async () => {
    const env = { YIZHAN_DATA_DIR: dir };
    const first = await openCliStore(env);
    let password: string | null;
    try {
      password = await ensureCountyAdmin(first.ctx);
    } finally {
      await first.store.close();
    }
    expect(password).toMatch(/^\w{20}$/);

    const again = await openCliStore(env);
    try {
      expect(await ensureCountyAdmin(again.ctx)).toBeNull();
      const row = await again.store.db
        .selectFrom('users')
        .selectAll()
        .where('login', '=', 'admin')
        .executeTakeFirstOrThrow();
      expect(await verifyPassword(password ?? '', row.password_hash)).toBe(true);
      const grants = await again.store.db.selectFrom('role_grants').select(['role', 'scope']).execute();
      expect(grants).toEqual([{ role: 'county_admin', scope: 'county' }]);
      const audit = await again.store.db
        .selectFrom('audit_log')
        .select(['action', 'user_id', 'address'])
        .execute();
      expect(audit).toEqual([{ action: 'user.add', user_id: null, address: 'cli' }]);
    } finally {
      await again.store.close();
    }
  });

  it('names the setting when the settings are wrong', async () => {
    await expect(openCliStore({ YIZHAN_DATA_DIR: dir, YIZHAN_DB_URL: 'mysql://x' })).rejects.toThrow(
      /YIZHAN_DB_URL/,
    );
  });
});
