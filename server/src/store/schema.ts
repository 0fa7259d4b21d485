/**
 * The tables of the operations store (issue 12), as Kysely sees them. Timestamps are integers
 * (Unix milliseconds) so SQLite and PostgreSQL return the same values; PostgreSQL's bigint comes
 * back as a string through pg, so the store parses int8 as a number (open.ts).
 */
import type { Generated } from 'kysely';

/** A role grant's scope: 'county' for the whole county, or one township by its code. */
export type RoleScope = string;

export interface TownshipsTable {
  code: string;
  name_zh: string;
  name_en: string;
}

export interface UsersTable {
  id: Generated<number>;
  login: string;
  display_name: string;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
}

export interface RoleGrantsTable {
  user_id: number;
  role: string;
  scope: RoleScope;
}

export interface SessionsTable {
  /** Hash of the session id: the id itself only ever lives in the cookie. */
  id: string;
  user_id: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  address: string | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  /** Space-separated scopes. */
  scopes: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  user_id: number | null;
  address: string | null;
  action: string;
  target: string;
  before_json: string | null;
  after_json: string | null;
}

export interface Database {
  townships: TownshipsTable;
  users: UsersTable;
  role_grants: RoleGrantsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
}
