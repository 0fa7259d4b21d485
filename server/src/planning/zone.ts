/**
 * The county's UTC offset from its IANA time zone (`serverOptions.timeZone`): what opening hours,
 * hour-of-week folding and local days are computed in. Looked up with Intl once per zone and hour,
 * then remembered: folding a month of hourly rows for ten stations asks for the same 720 hours ten
 * times, and `formatToParts` costs about 10 µs a call.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const memo = new Map<string, Map<number, number>>();
const HOUR = 3_600_000;
/** Hours remembered per zone (about 11 years of hours); the whole memo is dropped when full. */
const MEMO_HOURS = 100_000;

/** Minutes east of UTC of `timeZone` at `atMs` (480 for Asia/Shanghai). Throws on an unknown zone. */
export function utcOffsetMin(timeZone: string, atMs: number): number {
  const hour = Math.floor(atMs / HOUR);
  let m = memo.get(timeZone);
  const known = m?.get(hour);
  if (known !== undefined) return known;
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formats.set(timeZone, f);
  }
  const name = f.formatToParts(atMs).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const x = /^GMT(?:([+-])(\d\d):(\d\d))?$/.exec(name);
  if (!x) throw new RangeError(`time zone ${timeZone}: its offset is not readable in "${name}"`);
  const offsetMin = x[1] ? (x[1] === '-' ? -1 : 1) * (Number(x[2]) * 60 + Number(x[3])) : 0;
  if (!m || m.size >= MEMO_HOURS) memo.set(timeZone, (m = new Map<number, number>()));
  m.set(hour, offsetMin);
  return offsetMin;
}

/**
 * InfluxQL GROUP BY offset that makes `time(1d, …)` buckets start at local midnight, e.g. `-8h`
 * for UTC+8 (a bucket then starts at 16:00 UTC). Uses the zone's offset at `atMs`.
 */
export function dayOffset(timeZone: string, atMs = Date.now()): string {
  const off = utcOffsetMin(timeZone, atMs);
  return off === 0 ? '0m' : `${off > 0 ? '-' : ''}${Math.abs(off)}m`;
}

/** Local (Monday = 0) day of week and hour of `atMs` for a zone offset in minutes. */
export function hourOfWeek(atMs: number, offsetMin: number): { dow: number; hour: number } {
  const localHours = Math.floor((atMs + offsetMin * 60_000) / HOUR);
  const hour = ((localHours % 24) + 24) % 24;
  const days = Math.floor(localHours / 24);
  // 1970-01-01 was a Thursday (Monday-first index 3).
  const dow = (((days + 3) % 7) + 7) % 7;
  return { dow, hour };
}

/** Unix ms of local midnight starting the date `YYYY-MM-DD` in the zone. */
export function localMidnight(date: string, timeZone: string): number {
  const utc = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(utc)) throw new RangeError(`"${date}" is not a YYYY-MM-DD date`);
  return utc - utcOffsetMin(timeZone, utc) * 60_000;
}

/** The local date `YYYY-MM-DD` of `t` in the zone. */
function localDate(t: number, timeZone: string): string {
  return new Date(t + utcOffsetMin(timeZone, t) * 60_000).toISOString().slice(0, 10);
}

/** The local midnight starting the day that contains `t`. */
export function localDayStart(t: number, timeZone: string): number {
  return localMidnight(localDate(t, timeZone), timeZone);
}

/** The local midnight starting the month that is `n` months after the one containing `t`. */
export function localMonthStart(t: number, timeZone: string, n = 0): number {
  const [y, m] = localDate(t, timeZone).split('-').map(Number) as [number, number];
  const k = y * 12 + (m - 1) + n;
  return localMidnight(`${String(Math.floor(k / 12)).padStart(4, '0')}-${String((k % 12) + 1).padStart(2, '0')}-01`, timeZone);
}
