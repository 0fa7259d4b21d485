/**
 * What the accounts CLI and `npm start`'s demo share: the operations store opened from the
 * server's own settings (YIZHAN_DATA_DIR, YIZHAN_DB_URL, YIZHAN_STATIONS_DIR, YIZHAN_TOWNSHIPS_FILE
 * via loadConfig), the township codes the server uses, and the first county admin.
 */
import { loadConfig } from '../config.js';
import { openStore, type Store } from '../store/open.js';
import { Hierarchy } from '../org/hierarchy.js';
import { loadOrgFiles } from '../org/files.js';
import { addUser, CLI_ACTOR, type Ctx } from '../auth/accounts.js';

export class SettingsProblem extends Error {
  override name = 'SettingsProblem';
}

export interface CliStore {
  store: Store;
  ctx: Ctx;
}

/** The store and the township codes the server would use with these settings. */
export async function openCliStore(env: NodeJS.ProcessEnv = process.env): Promise<CliStore> {
  const r = loadConfig(env);
  if (!r.ok) throw new SettingsProblem(r.errors.join('\n'));
  const c = r.config;
  const files = loadOrgFiles(c);
  if (!files.ok) throw new SettingsProblem(files.message);
  const hierarchy = new Hierarchy(files.stations, files.townships);
  const store = await openStore({ url: c.dbUrl, dataDir: c.dataDir });
  return { store, ctx: { db: store.db, township: (code) => hierarchy.get(code), actor: CLI_ACTOR } };
}

export const DEMO_ADMIN = 'admin';

/**
 * A county admin named `login` exists afterwards: made now (its generated password is returned,
 * to be shown once) or already there (null).
 */
export async function ensureCountyAdmin(ctx: Ctx, login = DEMO_ADMIN): Promise<string | null> {
  const have = await ctx.db.selectFrom('users').select('id').where('login', '=', login).executeTakeFirst();
  if (have) return null;
  const { password } = await addUser(ctx, {
    login,
    displayName: '县总工会管理员',
    grants: [{ role: 'county_admin', scope: 'county' }],
  });
  return password;
}
