/**
 * Every request and response shape the web app exchanges with the server (the API contract of
 * issue 12, under /api/v1). Times are Unix ms unless noted; alerts keep RFC 3339 strings.
 */

export type Lang = 'zh-CN' | 'en';
export type LocalizedText = Record<Lang, string>;

export type Role =
  'county_admin' | 'township_manager' | 'crew_lead' | 'crew_member' | 'planner' | 'grid_staff' | 'viewer';

export const ROLES: readonly Role[] = [
  'county_admin',
  'township_manager',
  'crew_lead',
  'crew_member',
  'planner',
  'grid_staff',
  'viewer',
];

export type Permission =
  | 'station:read'
  | 'alert:write'
  | 'config:write'
  | 'user:admin'
  | 'audit:read'
  | 'township:write'
  | 'metrics:read';

export const PERMISSIONS: readonly Permission[] = [
  'station:read',
  'alert:write',
  'config:write',
  'user:admin',
  'audit:read',
  'township:write',
  'metrics:read',
];

/** 'county' or a township code. */
export interface Grant {
  role: Role;
  scope: string;
}

export interface TownshipName {
  code: string;
  nameZh: string;
  nameEn: string;
}

/** GET /auth/me, and the user of POST /auth/login. */
export interface Me {
  id: number;
  login: string;
  displayName: string;
  grants: Grant[];
  permissions: Permission[];
  townships: TownshipName[];
  /** For cookie sessions; sent as x-csrf-token on every write. */
  csrf: string | null;
}

export interface LoginRequest {
  login: string;
  password: string;
}
export interface LoginResponse {
  user: Me;
}
export interface PasswordRequest {
  current: string;
  next: string;
}

export interface User {
  id: number;
  login: string;
  displayName: string;
  grants: Grant[];
  disabled: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}
export interface UsersResponse {
  users: User[];
}
export interface NewUserRequest {
  login: string;
  displayName: string;
  grants: Grant[];
  password?: string;
}
export interface NewUserResponse {
  user: User;
  /** Shown once: generated when the request gave none. */
  password: string;
}
export interface UserPatch {
  displayName?: string;
  grants?: Grant[];
  disabled?: boolean;
}
export interface UserResponse {
  user: User;
}
export interface PasswordResponse {
  password: string;
}

export interface ApiToken {
  id: number;
  name: string;
  scopes: Permission[];
  createdAt: number;
  lastUsedAt: number | null;
  revoked: boolean;
}
export interface TokensResponse {
  tokens: ApiToken[];
}
export interface NewTokenRequest {
  name: string;
  scopes: Permission[];
}
export interface NewTokenResponse {
  id: number;
  /** Shown once. */
  token: string;
}

export interface Counts {
  stations: number;
  online: number;
  offline: number;
  dark: number;
  withAlerts: number;
  alertsByRule: Record<string, number>;
  staleSensors: number;
  config: { inSync: number; pending: number; never: number };
  agentVersions: Record<string, number>;
}
export type TownshipCounts = TownshipName & Counts;
export interface FleetResponse {
  generatedAt: number;
  total: Counts;
  townships: TownshipCounts[];
}

export interface CrewMember {
  id: number;
  displayName: string;
  role: 'crew_lead' | 'crew_member';
}
export interface Township extends TownshipName {
  stations: number;
  crew: CrewMember[];
}
export interface TownshipsResponse {
  townships: Township[];
}

export interface AuditEntry {
  id: number;
  at: number;
  /** null: the CLI or the server itself. */
  user: { id: number; login: string } | null;
  /** The client's address; null for writes that came through no request. */
  address: string | null;
  action: string;
  target: string;
  township: string | null;
  before: unknown;
  after: unknown;
}
export interface AuditResponse {
  entries: AuditEntry[];
  next: number | null;
}
export interface AuditQuery {
  from?: number;
  to?: number;
  user?: string;
  action?: string;
  township?: string;
  limit?: number;
  before?: number;
}

export type Severity = 'critical' | 'warning' | 'info';
export interface PersonRef {
  id: number;
  displayName: string;
}
export interface Alert {
  id: string;
  fingerprint: string;
  rule: string;
  stationId: string;
  stationName: string;
  /** The township's name. */
  township: string;
  townshipCode: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  /** RFC 3339. */
  startsAt: string;
  endsAt: string | null;
  message: LocalizedText;
  resolvedMessage: LocalizedText | null;
  evidence: Record<string, unknown>;
  /** by: null when the person's account is gone. */
  acknowledged: { at: number; by: PersonRef | null } | null;
  /** Number of comments. */
  comments: number;
}
export interface AlertsQuery {
  state?: 'firing' | 'resolved' | 'all';
  station?: string;
  township?: string;
  rule?: string;
  acked?: boolean;
  limit?: number;
  before?: string;
}
export interface AlertsResponse {
  alerts: Alert[];
  next: string | null;
}
export type AlertEventKind = 'fired' | 'resolved' | 'acknowledged' | 'unacknowledged' | 'commented';
export interface AlertEvent {
  at: number;
  kind: AlertEventKind;
  /** null: the rule engine. */
  user: PersonRef | null;
  text: string | null;
}
export interface AlertDetailResponse {
  alert: Alert;
  events: AlertEvent[];
}
export interface AlertResponse {
  alert: Alert;
}
export interface CommentResponse {
  event: AlertEvent;
}

/** Every error answer of the server. */
export interface ErrorBody {
  error: { code: string; message: string };
}
