/**
 * Who is logged in (Me, from the server) and the one API client the pages share. A 401 from any
 * call ends the session here and sends the app to the login page with a message.
 */
import { reactive } from 'vue';
import { ApiError, createClient } from './api/client.js';
import { ROLE_PERMISSIONS, type Me, type Permission } from './api/types.js';
import { currentLang } from './i18n/index.js';

export const session = reactive<{
  me: Me | null;
  /** Whether /auth/me has been asked since the page loaded. */
  checked: boolean;
  /** The server's reason when a session ended by a 401 (shown on the login page). */
  endedBecause: string | null;
}>({ me: null, checked: false, endedBecause: null });

let toLogin: (reason: 'expired' | 'logout') => void = () => undefined;

/** The router's way to the login page (set once by main.ts). */
export function onLoginNeeded(fn: (reason: 'expired' | 'logout') => void): void {
  toLogin = fn;
}

export const api = createClient({
  lang: currentLang,
  csrf: () => session.me?.csrf ?? null,
  onUnauthorized(err) {
    if (!session.me) return;
    session.me = null;
    session.endedBecause = err.message;
    toLogin('expired');
  },
});

/** Ask the server who we are (once per page load, and after login). */
export async function loadMe(): Promise<Me | null> {
  try {
    session.me = await api.me();
  } catch (e) {
    // 401: not logged in. Anything else leaves the user on the login page with the message.
    session.me = null;
    if (e instanceof ApiError && e.status !== 401) session.endedBecause = e.message;
  }
  session.checked = true;
  return session.me;
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } finally {
    session.me = null;
    session.endedBecause = null;
    toLogin('logout');
  }
}

export function can(perm: Permission): boolean {
  return session.me?.permissions.includes(perm) ?? false;
}

/**
 * Where the user holds a permission, as the server decides it (auth/roles.ts townshipsWith): 'all'
 * with a county-wide grant, else the township codes; the forms offer only these.
 */
export function townshipsWith(perm: Permission): 'all' | Set<string> {
  const grants = (session.me?.grants ?? []).filter((g) => ROLE_PERMISSIONS[g.role].includes(perm));
  if (grants.some((g) => g.scope === 'county')) return 'all';
  return new Set(grants.map((g) => g.scope));
}
