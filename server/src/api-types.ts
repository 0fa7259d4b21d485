/**
 * The TypeScript types of the person-facing API (/api/v1: auth, users, tokens, alerts, silences,
 * townships, fleet, audit), derived from the TypeBox schemas the routes validate and serialise with. Types
 * only: the web app imports this so its client cannot drift from what the server answers
 * (web/src/api/types.ts), and nothing of the server reaches its bundle.
 */
import type { Static } from '@sinclair/typebox';
import type * as A from './routes/auth/schemas.js';
import type * as L from './routes/alerts/schemas.js';
import type * as O from './routes/org/schemas.js';
import type * as S from './routes/silences/schemas.js';
import type * as W from './routes/work-orders/schemas.js';
import type * as R from './routes/riders/schemas.js';
import type * as N from './routes/notices/schemas.js';
import type * as RR from './routes/rider-reports/schemas.js';

export type { Role, Permission } from './auth/roles.js';
export type { StationSummary } from './state/schema.js';
export type Grant = Static<typeof A.Grant>;
export type TownshipName = Static<typeof A.Township>;
export type Me = Static<typeof A.Me>;
export type LoginRequest = Static<typeof A.LoginBody>;
export type LoginResponse = Static<typeof A.LoginAnswer>;
export type PasswordRequest = Static<typeof A.PasswordBody>;
export type User = Static<typeof A.User>;
export type UsersResponse = Static<typeof A.UserList>;
export type NewUserRequest = Static<typeof A.NewUserBody>;
export type NewUserResponse = Static<typeof A.NewUserAnswer>;
export type UserPatch = Static<typeof A.UserChangeBody>;
export type UserResponse = Static<typeof A.UserAnswer>;
export type PasswordResponse = Static<typeof A.PasswordAnswer>;
export type ApiToken = Static<typeof A.Token>;
export type TokensResponse = Static<typeof A.TokenList>;
export type NewTokenRequest = Static<typeof A.NewTokenBody>;
export type NewTokenResponse = Static<typeof A.NewTokenAnswer>;
export type ErrorBody = Static<typeof A.ErrorAnswer>;

export type PersonRef = Static<typeof L.PersonRef>;
export type Alert = Static<typeof L.StoredAlert>;
export type AlertEvent = Static<typeof L.AlertEvent>;
export type AlertsResponse = Static<typeof L.AlertList>;
export type AlertDetailResponse = Static<typeof L.AlertWithEvents>;
export type AlertResponse = Static<typeof L.AlertAnswer>;
export type CommentResponse = Static<typeof L.CommentAnswer>;
export type AlertLifecycle = Static<typeof L.AlertLifecycle>;
export type AssignRequest = Static<typeof L.AssignBody>;
export type CloseRequest = Static<typeof L.CloseBody>;

export type Counts = Static<typeof O.Counts>;
export type FleetResponse = Static<typeof O.FleetAnswer>;
export type Township = Static<typeof O.TownshipView>;
export type TownshipsResponse = Static<typeof O.TownshipsAnswer>;
export type AuditEntry = Static<typeof O.AuditEntry>;
export type AuditResponse = Static<typeof O.AuditAnswer>;
/** The audit filters as a page sends them (every one optional; the server defaults the limit). */
export type AuditQuery = Omit<Partial<Static<typeof O.AuditQuery>>, 'lang'>;

export type Silence = Static<typeof S.Silence>;
export type SilenceWindow = Static<typeof S.SilenceWindow>;
export type SilencesResponse = Static<typeof S.SilenceList>;
export type NewSilenceRequest = Static<typeof S.NewSilenceBody>;
export type SilenceResponse = Static<typeof S.SilenceAnswer>;

export type WorkOrder = Static<typeof W.WorkOrder>;
export type WorkOrderState = W.WorkOrderState;
export type WorkOrderEvent = Static<typeof W.WorkOrderEvent>;
export type WorkOrderPhoto = Static<typeof W.Photo>;
export type WorkOrdersResponse = Static<typeof W.WorkOrderList>;
export type WorkOrderQuery = Omit<Static<typeof W.WorkOrderListQuery>, 'lang'>;
export type NewWorkOrderRequest = Static<typeof W.NewWorkOrderBody>;
export type WorkOrderResponse = Static<typeof W.WorkOrderAnswer>;
export type WorkOrderDetailResponse = Static<typeof W.WorkOrderDetail>;
export type WorkOrderNoteRequest = Static<typeof W.WorkOrderNoteBody>;
export type WorkOrderEventResponse = Static<typeof W.WorkOrderEventAnswer>;
export type PhotoResponse = Static<typeof W.PhotoAnswer>;
export type ResponseRow = Static<typeof W.ResponseRow>;
export type ResponseReport = Static<typeof W.ResponseReport>;
export type Person = Static<typeof W.Person>;
export type PeopleResponse = Static<typeof W.PeopleAnswer>;
export type {
  HeatmapQuery,
  HeatmapAnswer,
  PlanningRange,
  StationFigures,
  RankingAnswer,
  RankingQuery,
  DefinitionsAnswer,
  HeatmapMetric,
} from './planning/analytics-schemas.js';
export type {
  TravelMode,
  TravelSettings,
  CoverageQuery,
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
} from './planning/coverage-schemas.js';

export type Need = R.Need;
export type NearbyQuery = Omit<Static<typeof R.NearbyQuery>, 'lang'>;
export type NearbyStation = Static<typeof R.NearbyStation>;
export type NearbyResponse = Static<typeof R.NearbyAnswer>;
export type PublicTownshipsResponse = Static<typeof R.PublicTownshipsAnswer>;

export type Notice = N.Notice;
export type PublicNotice = N.PublicNotice;
export type NoticeScope = N.NoticeScope;
export type NoticesResponse = Static<typeof N.NoticeList>;
export type NoticeResponse = Static<typeof N.NoticeAnswer>;
export type NewNoticeRequest = Static<typeof N.NewNoticeBody>;
export type NoticeChangeRequest = Static<typeof N.NoticeChangeBody>;
/** `GET /api/v1/public/stations/:id/notices` and the SSE `notice` event's data. */
export type StationNoticesResponse = N.StationNotices;

export type ReportCategory = RR.ReportCategory;
export type ReportKind = RR.ReportKind;
export type ReportStatus = RR.ReportStatus;
export type TriageDecision = RR.TriageDecision;
export type ReportCategoriesResponse = Static<typeof RR.ReportCategoriesAnswer>;
export type NewReportRequest = Static<typeof RR.NewReportBody>;
export type NewReportResponse = Static<typeof RR.NewReportAnswer>;
export type PhotoUploadResponse = Static<typeof RR.PhotoUploadAnswer>;
export type PublicReport = Static<typeof RR.PublicReport>;
export type ReportListQuery = Omit<Static<typeof RR.ReportListQuery>, 'lang'>;
export type StaffReport = Static<typeof RR.StaffReport>;
export type ReportListResponse = Static<typeof RR.ReportList>;
export type ReportDetailResponse = Static<typeof RR.ReportDetail>;
export type ReportHistoryItem = Static<typeof RR.StaffHistoryItem>;
export type ReportPhotoInfo = Static<typeof RR.ReportPhotoInfo>;
export type TriageRequest = Static<typeof RR.TriageBody>;
export type AssignReportRequest = Static<typeof RR.AssignReportBody>;
export type ResolveReportRequest = Static<typeof RR.ResolveReportBody>;
export type ReportResponse = Static<typeof RR.ReportAnswer>;
export type ReportFiguresQuery = Omit<Static<typeof RR.FiguresQuery>, 'lang'>;
export type ReportFiguresResponse = Static<typeof RR.FiguresAnswer>;
