/**
 * Every request and response shape the web app exchanges with the server (the API contract of
 * issue 12, under /api/v1). The server's shapes come from its TypeBox schemas
 * (@yizhan/server/api-types, types only), so the client cannot drift from what the server answers;
 * only the pages' own query shapes are written here. Times are Unix ms; alerts keep RFC 3339.
 */
export type {
  Alert,
  AlertDetailResponse,
  AlertEvent,
  AlertLifecycle,
  AlertResponse,
  AlertsResponse,
  ApiToken,
  AuditEntry,
  AuditQuery,
  AuditResponse,
  AssignRequest,
  CloseRequest,
  CommentResponse,
  Counts,
  ErrorBody,
  FleetResponse,
  Grant,
  LoginRequest,
  LoginResponse,
  Me,
  NewTokenRequest,
  NewTokenResponse,
  NewUserRequest,
  NewUserResponse,
  PasswordRequest,
  PasswordResponse,
  Permission,
  Person,
  PeopleResponse,
  PersonRef,
  PhotoResponse,
  ResponseReport,
  ResponseRow,
  NewSilenceRequest,
  Silence,
  SilenceResponse,
  SilencesResponse,
  Role,
  Township,
  TownshipName,
  TownshipsResponse,
  TokensResponse,
  User,
  UserPatch,
  UserResponse,
  UsersResponse,
  NewWorkOrderRequest,
  WorkOrder,
  WorkOrderDetailResponse,
  WorkOrderEvent,
  WorkOrderEventResponse,
  WorkOrderPhoto,
  WorkOrderQuery,
  WorkOrderResponse,
  WorkOrderState,
  WorkOrdersResponse,
  HeatmapAnswer,
  HeatmapMetric,
  StationFigures,
  RankingAnswer,
  DefinitionsAnswer,
  TravelMode,
  TravelSettings,
  CoverageCell,
  CoverageAnswer,
  DemandLayer,
  ImportProblem,
  Candidate,
  NewCandidate,
  SolveRequest,
  SolveAnswer,
  BestK,
  MapTiles,
  StationSummary,
  Notice,
  NoticeScope,
  NoticesResponse,
  NoticeResponse,
  NewNoticeRequest,
  NoticeChangeRequest,
  ReportCategory,
  ReportKind,
  ReportStatus,
  TriageDecision,
  ReportCategoriesResponse,
  ReportListQuery,
  StaffReport,
  ReportListResponse,
  ReportDetailResponse,
  ReportHistoryItem,
  ReportPhotoInfo,
  TriageRequest,
  AssignReportRequest,
  ResolveReportRequest,
  ReportResponse,
  ReportFiguresQuery,
  ReportFiguresResponse,
} from '@yizhan/server/api-types';
import type { AlertEvent, Counts, StationSummary, Township, TownshipName } from '@yizhan/server/api-types';
// The role and permission lists (a dependency-free module) in the order the server declares them.
export { ROLES, PERMISSIONS, ROLE_PERMISSIONS } from '@yizhan/server/roles';

export type Lang = 'zh-CN' | 'en';
export type LocalizedText = Record<Lang, string>;
export type Severity = 'critical' | 'warning' | 'info';
export type AlertEventKind = AlertEvent['kind'];
export type TownshipCounts = TownshipName & Counts;
export type CrewMember = Township['crew'][number];

export interface AlertsQuery {
  state?: 'firing' | 'resolved' | 'all';
  station?: string;
  township?: string;
  rule?: string;
  acked?: boolean;
  /** `me` or a user id. */
  assignee?: string;
  limit?: number;
  before?: string;
}

/** The response report's filters: dates are local days, YYYY-MM-DD, both inclusive. */
export interface ReportQuery {
  from?: string;
  to?: string;
  township?: string;
}

/** GET /api/v1/stations: every station with its live summary and WGS-84 location. */
export interface StationsResponse {
  stations: StationSummary[];
}
