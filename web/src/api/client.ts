/**
 * The one typed client of the server's API (/api/v1). It sends the session cookie, the chosen
 * language (so error messages come back in it) and, on every write, `x-csrf-token`. A 401 from any
 * call but the login itself reports to `onUnauthorized` (the app returns to the login page: that is
 * how a disabled user is thrown out at their next request).
 */
import type {
  AlertDetailResponse,
  AlertResponse,
  AlertsQuery,
  AlertsResponse,
  AuditQuery,
  AuditResponse,
  CommentResponse,
  ErrorBody,
  ImportProblem,
  FleetResponse,
  Lang,
  LoginRequest,
  LoginResponse,
  Me,
  NewTokenRequest,
  NewTokenResponse,
  NewUserRequest,
  NewUserResponse,
  PasswordRequest,
  PasswordResponse,
  TokensResponse,
  TownshipsResponse,
  UserPatch,
  UserResponse,
  UsersResponse,
} from './types.js';
import { crewRoutes } from './crew.js';
import { noticeRoutes } from './notices.js';
import { planningRoutes } from './planning.js';
import { riderReportRoutes } from './rider-reports.js';

export const API_BASE = '/api/v1';

/** An answer other than 2xx, with the server's message (already in the requested language). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** A refused import: each line's (or feature's) problem. */
    readonly problems: ImportProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientHooks {
  lang(): Lang;
  csrf(): string | null;
  onUnauthorized(err: ApiError): void;
}

type Query = Record<string, string | number | boolean | undefined>;

/** `?a=1&b=x` from the defined, non-empty values. */
export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const NETWORK_TEXT: Record<Lang, string> = {
  'zh-CN': '无法连接服务器，请检查网络后重试',
  en: 'Cannot reach the server; check the network and retry',
};

/** An import refused as a whole (coverage-schemas ImportRejected): every problem, by line. */
interface ImportRejectedBody {
  error: string;
  message: string;
  problems: ImportProblem[];
}

async function errorOf(res: Response, lang: Lang): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorBody> | Partial<ImportRejectedBody>;
    if (typeof body.error === 'string' && typeof (body as ImportRejectedBody).message === 'string') {
      const r = body as ImportRejectedBody;
      return new ApiError(res.status, r.error, r.message, Array.isArray(r.problems) ? r.problems : []);
    }
    if (body.error && typeof body.error === 'object' && typeof body.error.message === 'string')
      return new ApiError(res.status, body.error.code ?? 'error', body.error.message);
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  const fallback = lang === 'en' ? `Server answered ${res.status}` : `服务器返回 ${res.status}`;
  return new ApiError(res.status, 'http_' + res.status, fallback);
}

export interface CallOptions {
  body?: unknown;
  /** A body sent as it is (a photo), with its content type, instead of JSON. */
  raw?: Blob;
  /** The login answers 401 for wrong credentials: that is no expired session. */
  noAuthRedirect?: boolean;
}

export function createClient(hooks: ClientHooks, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const lang = hooks.lang();
    const headers: Record<string, string> = { accept: 'application/json', 'accept-language': lang };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.raw) headers['content-type'] = opts.raw.type || 'application/octet-stream';
    const csrf = hooks.csrf();
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    let res: Response;
    try {
      res = await fetchImpl(API_BASE + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      });
    } catch {
      throw new ApiError(0, 'network', NETWORK_TEXT[lang]);
    }
    if (!res.ok) {
      const err = await errorOf(res, lang);
      if (res.status === 401 && !opts.noAuthRedirect) hooks.onUnauthorized(err);
      throw err;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  const id = (v: number | string) => encodeURIComponent(String(v));
  const crew = crewRoutes(call, id);
  const planning = planningRoutes(call, id);

  return {
    login: (body: LoginRequest) => call<LoginResponse>('POST', '/auth/login', { body, noAuthRedirect: true }),
    logout: () => call<void>('POST', '/auth/logout', { noAuthRedirect: true }),
    me: () => call<Me>('GET', '/auth/me', { noAuthRedirect: true }),
    changePassword: (body: PasswordRequest) => call<void>('POST', '/auth/password', { body }),

    users: () => call<UsersResponse>('GET', '/users'),
    addUser: (body: NewUserRequest) => call<NewUserResponse>('POST', '/users', { body }),
    patchUser: (userId: number, body: UserPatch) =>
      call<UserResponse>('PATCH', `/users/${id(userId)}`, { body }),
    resetPassword: (userId: number) => call<PasswordResponse>('POST', `/users/${id(userId)}/reset-password`),

    tokens: () => call<TokensResponse>('GET', '/tokens'),
    addToken: (body: NewTokenRequest) => call<NewTokenResponse>('POST', '/tokens', { body }),
    revokeToken: (tokenId: number) => call<void>('DELETE', `/tokens/${id(tokenId)}`),

    townships: () => call<TownshipsResponse>('GET', '/townships'),
    fleet: (township?: string) => call<FleetResponse>('GET', `/fleet${queryString({ township })}`),

    audit: (q: AuditQuery) => call<AuditResponse>('GET', `/audit${queryString({ ...q })}`),
    /** The CSV export is a plain link (the browser downloads it with the cookie). */
    auditCsvUrl: (q: AuditQuery) => `${API_BASE}/audit.csv${queryString({ ...q })}`,

    alerts: (q: AlertsQuery) => call<AlertsResponse>('GET', `/alerts${queryString({ ...q })}`),
    alert: (alertId: string) => call<AlertDetailResponse>('GET', `/alerts/${id(alertId)}`),
    ack: (alertId: string) => call<AlertResponse>('POST', `/alerts/${id(alertId)}/ack`),
    unack: (alertId: string) => call<AlertResponse>('POST', `/alerts/${id(alertId)}/unack`),
    comment: (alertId: string, text: string) =>
      call<CommentResponse>('POST', `/alerts/${id(alertId)}/comments`, { body: { text } }),
    ...crew,
    ...noticeRoutes(call, id),
    ...riderReportRoutes(call, id),
    planning,
  };
}

export type Api = ReturnType<typeof createClient>;
