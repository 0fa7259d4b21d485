/** Defaults of the riders' public endpoints (settings.ts, options.ts `riders`). */

/**
 * Requests per client address and minute. Generous: behind a 4G carrier's NAT many phones share
 * one address, and a phone page refreshes about every 15 s.
 */
export const DEFAULT_RIDER_REQUESTS_PER_MIN = 120;
/** Oldest live snapshot an answer may be built from. */
export const DEFAULT_RIDER_SNAPSHOT_MS = 1000;
/** Client addresses the rate limit remembers at most (least recently used forgotten first). */
export const RIDER_RATE_LIMIT_KEYS = 50_000;
/** Cache-Control max-age of a nearby answer: the numbers are live, so a few seconds only. */
export const NEARBY_MAX_AGE_S = 5;
/** Cache-Control max-age of the township list (changes with the station files only). */
export const TOWNSHIPS_MAX_AGE_S = 300;
