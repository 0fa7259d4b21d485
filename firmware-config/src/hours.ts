/**
 * Opening hours of a station (`hours:` in its file, "HH:MM-HH:MM" local time). Local time is
 * computed from a fixed UTC offset (China Standard Time by default), not from the process time
 * zone, so the server, the simulator and a test give the same answer on every machine.
 */

/** China Standard Time, UTC+8, in minutes. */
export const DEFAULT_UTC_OFFSET_MIN = 480;
const DAY_MIN = 1440;

/** Minutes since local midnight (fractional) for a Unix time in ms. */
export function localMinuteOfDay(epochMs: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): number {
  const m = (epochMs / 60_000 + utcOffsetMin) % DAY_MIN;
  return m < 0 ? m + DAY_MIN : m;
}

export interface OpeningHours {
  openMin: number;
  closeMin: number;
}

/** Parse "HH:MM-HH:MM" (already validated by the config schema). "00:00-24:00" is always open. */
export function parseOpeningHours(text: string): OpeningHours {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new RangeError(`opening hours "${text}" are not "HH:MM-HH:MM"`);
  const [, h1, m1, h2, m2] = m.map(Number) as [number, number, number, number, number];
  return { openMin: h1 * 60 + m1, closeMin: h2 * 60 + m2 };
}

/** Always open: "00:00-24:00" (or any range that opens and closes at the same minute of the day). */
export function isAlwaysOpen(h: OpeningHours): boolean {
  return h.openMin % DAY_MIN === h.closeMin % DAY_MIN;
}

/** Whether the station is open at a local minute; handles hours that cross midnight ("22:00-06:00"). */
export function isOpenAt(h: OpeningHours, minute: number): boolean {
  if (isAlwaysOpen(h)) return true;
  if (h.openMin < h.closeMin) return minute >= h.openMin && minute < h.closeMin;
  return minute >= h.openMin || minute < h.closeMin;
}

export interface OpenState {
  open: boolean;
  /** Unix ms of the next opening (when closed) or closing (when open); null when always open. */
  nextChange: number | null;
}

/** Open or closed at `now`, and when that changes. */
export function openState(h: OpeningHours, now: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): OpenState {
  if (isAlwaysOpen(h)) return { open: true, nextChange: null };
  const minute = localMinuteOfDay(now, utcOffsetMin);
  const open = isOpenAt(h, minute);
  const target = (open ? h.closeMin : h.openMin) % DAY_MIN;
  let ahead = (target - minute + DAY_MIN) % DAY_MIN;
  if (ahead === 0) ahead = DAY_MIN;
  return { open, nextChange: Math.round(now + ahead * 60_000) };
}
