/** Defaults of the riders' reports (settings.ts, options.ts `reports`); docs/riders.md "Rider reports". */

/** New reports one device (X-Yizhan-Device) may send an hour, and a day. */
export const DEFAULT_REPORTS_PER_DEVICE_HOUR = 5;
export const DEFAULT_REPORTS_PER_DEVICE_DAY = 20;
/**
 * New reports one client address may send an hour, whatever device ids it claims (a flood with a
 * fresh id per request still stops here). Several riders behind one 4G NAT share it.
 */
export const DEFAULT_REPORTS_PER_ADDRESS_HOUR = 30;
/** Unknown receipts one address may ask for an hour before every status lookup gets 429 (guessing). */
export const DEFAULT_RECEIPT_MISSES_PER_ADDRESS_HOUR = 20;
/** Closed reports keep the rider's contact data this many days, then it is deleted. */
export const DEFAULT_REPORT_CONTACT_RETENTION_DAYS = 90;
/** How often the retention job runs. */
export const REPORT_RETENTION_INTERVAL_MS = 3_600_000;
/** The upload token of a new report is refused after this. */
export const UPLOAD_TOKEN_MS = 30 * 60_000;
/** Longest JSON body of a new report. */
export const REPORT_BODY_LIMIT = 16 * 1024;
/** Longest side of a photo, from its header: the page resizes to 1600 px, the server has no codec. */
export const MAX_PHOTO_SIDE = 4096;
/** Keys each limiter remembers at most (least recently used forgotten first). */
export const REPORT_LIMIT_KEYS = 50_000;
