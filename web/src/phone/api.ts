/**
 * The phone page's calls: the riders' public endpoints only (no session, no cookie), with the
 * page's language so refusals come back readable. Types from the server's schemas.
 */
import type {
  NearbyResponse,
  NewReportRequest,
  NewReportResponse,
  PhotoUploadResponse,
  PublicReport,
  PublicTownshipsResponse,
  ReportCategoriesResponse,
  StationNoticesResponse,
} from '@yizhan/server/api-types';
import { lang, t } from './dict.js';

export type { NearbyResponse, PublicReport, NewReportRequest };
export type NearbyStation = NearbyResponse['stations'][number];
export type Need = 'seat' | 'socket' | 'water';

/** A refusal with the server's message (in the page's language), or a network failure (status 0). */
export class PhoneApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined>;

function url(path: string, q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  p.set('lang', lang.value);
  return `/api/v1/public/${path}?${p}`;
}

async function call<T>(u: string, init?: RequestInit): Promise<T> {
  let r: Response;
  try {
    r = await fetch(u, { credentials: 'omit', ...init });
  } catch (e) {
    // fetch's own words ("Failed to fetch") mean nothing to a rider.
    throw new PhoneApiError(0, `${t('network')} (${(e as Error).message})`);
  }
  if (r.ok) return (await r.json()) as T;
  const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
  throw new PhoneApiError(r.status, body?.error?.message ?? `HTTP ${r.status}`);
}

/** Where the list is measured from: the rider, a station (QR code), or none (a township). */
export type Origin =
  | { kind: 'here'; lat: number; lon: number; accuracyM: number }
  | { kind: 'station'; id: string }
  | { kind: 'township'; code: string; name: string };

/** `origin` null: the county's stations by township and name (a form's list without a location). */
export function nearby(origin: Origin | null, need: Need | null, limit = 10): Promise<NearbyResponse> {
  const q: Query = { need: need ?? undefined, limit };
  if (!origin) return call(url('stations/nearby', q));
  if (origin.kind === 'here') Object.assign(q, { lat: origin.lat.toFixed(6), lon: origin.lon.toFixed(6) });
  else if (origin.kind === 'station') q.at = origin.id;
  else q.township = origin.code;
  return call(url('stations/nearby', q));
}

export const stationNotices = (id: string) =>
  call<StationNoticesResponse>(url(`stations/${encodeURIComponent(id)}/notices`));
export const townships = () => call<PublicTownshipsResponse>(url('townships'));
export const reportCategories = () => call<ReportCategoriesResponse>(url('report-categories'));

export function sendReport(body: NewReportRequest, device: string): Promise<NewReportResponse> {
  return call(url('reports'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-yizhan-device': device },
    body: JSON.stringify(body),
  });
}

export function sendPhoto(
  receipt: string,
  token: string,
  photo: Blob,
  keepLocation: boolean,
): Promise<PhotoUploadResponse> {
  return call(
    url(`reports/${encodeURIComponent(receipt)}/photos`, { keepLocation: keepLocation ? 1 : undefined }),
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': photo.type },
      body: photo,
    },
  );
}

export const report = (receipt: string) => call<PublicReport>(url(`reports/${encodeURIComponent(receipt)}`));
