/**
 * Roles, permissions and scopes: who may do what, where.
 *
 *   county union (县总工会) ── township (镇/街道) ── station
 *
 * A user holds grants: a role with a scope, the scope being 'county' (every township) or one
 * township's code. A permission is held in a township when some grant gives a role with that
 * permission for that township or for the county. Every route states the permission it needs
 * (auth/guard.ts); list answers are filtered to {@link townshipsWith}.
 */

export const ROLES = [
  'county_admin',
  'township_manager',
  'crew_lead',
  'crew_member',
  'planner',
  'grid_staff',
  'viewer',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES: Record<Role, { 'zh-CN': string; en: string }> = {
  county_admin: { 'zh-CN': '县总工会管理员', en: 'County admin' },
  township_manager: { 'zh-CN': '镇街管理员', en: 'Township manager' },
  crew_lead: { 'zh-CN': '维护组长', en: 'Crew lead' },
  crew_member: { 'zh-CN': '维护人员', en: 'Crew member' },
  planner: { 'zh-CN': '规划人员', en: 'Planner' },
  grid_staff: { 'zh-CN': '网格员', en: 'Grid staff' },
  viewer: { 'zh-CN': '只读查看', en: 'Read-only viewer' },
};

export const PERMISSIONS = [
  /** Stations' live state, config, fleet figures and alerts: what every role sees in its scope. */
  'station:read',
  /** Acknowledge and comment on alerts. */
  'alert:write',
  /** Change a station's runtime config (PUT /api/v1/stations/:id/config). */
  'config:write',
  /** Create, disable and re-grant accounts (township managers: within their townships). */
  'user:admin',
  /** Read and export the audit log. */
  'audit:read',
  /** Scrape /metrics from another host (API tokens). */
  'metrics:read',
  /**
   * Read planning data (/api/v1/planning/*: analytics, coverage, layers, candidates, exports) of the
   * townships it is held in; the pages under /app/planning.
   */
  'planning:read',
  /** Import demand layers and candidate sites, run and save planning scenarios. */
  'planning:write',
  /** Post, change and withdraw the union's notices on station screens (county-wide: county notices). */
  'notice:write',
  /**
   * Triage riders' reports of its townships (valid, duplicate, not valid, outside our remit), assign
   * and resolve them, and see the contact data a rider left (each view audited).
   */
  'report:triage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ['station:read'];
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  county_admin: [...PERMISSIONS],
  township_manager: [
    ...READ,
    'alert:write',
    'config:write',
    'user:admin',
    'audit:read',
    'planning:read',
    'notice:write',
    'report:triage',
  ],
  crew_lead: [...READ, 'alert:write', 'config:write'],
  crew_member: [...READ, 'alert:write'],
  planner: [...READ, 'planning:read', 'planning:write'],
  grid_staff: [...READ, 'report:triage'],
  viewer: READ,
};

/** Roles only the county scope can hold. */
export const COUNTY_ONLY_ROLES: readonly Role[] = ['county_admin'];

export const COUNTY = 'county';

export interface Grant {
  role: Role;
  /** 'county' or a township code. */
  scope: string;
}

export interface Principal {
  /** user: a browser session; token: a personal API token; legacy: the deprecated YIZHAN_API_TOKEN. */
  kind: 'user' | 'token' | 'legacy';
  userId: number | null;
  login: string;
  displayName: string;
  grants: readonly Grant[];
  /** For tokens: the permissions the token was limited to when it was made. */
  tokenScopes?: readonly Permission[];
  /** For sessions: the hash that identifies the session row (logout, CSRF). */
  sessionId?: string;
}

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}
export function isPermission(v: string): v is Permission {
  return (PERMISSIONS as readonly string[]).includes(v);
}

function grantsWith(p: Principal, perm: Permission): Grant[] {
  if (p.tokenScopes && !p.tokenScopes.includes(perm)) return [];
  return p.grants.filter((g) => ROLE_PERMISSIONS[g.role].includes(perm));
}

/** 'all' when the permission is held county-wide, else the township codes it is held in. */
export function townshipsWith(p: Principal, perm: Permission): 'all' | Set<string> {
  const gs = grantsWith(p, perm);
  if (gs.some((g) => g.scope === COUNTY)) return 'all';
  return new Set(gs.map((g) => g.scope));
}

/** Whether the permission is held for the township (undefined: county-wide only). */
export function can(p: Principal, perm: Permission, township?: string): boolean {
  const where = townshipsWith(p, perm);
  if (where === 'all') return true;
  return township !== undefined && where.has(township);
}

/** Whether the permission is held anywhere (the route is open to the principal at all). */
export function canAnywhere(p: Principal, perm: Permission): boolean {
  const where = townshipsWith(p, perm);
  return where === 'all' || where.size > 0;
}

/** Every permission the principal holds somewhere (for /api/v1/auth/me and the pages' menus). */
export function permissionsOf(p: Principal): Permission[] {
  return PERMISSIONS.filter((perm) => canAnywhere(p, perm));
}
