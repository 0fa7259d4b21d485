/**
 * The shape of a station's day: when it is open and how many riders want to come in.
 * Local time is computed from a fixed UTC offset (China Standard Time by default), not from the
 * process time zone, so a simulation gives the same result on every machine.
 */

export {
  DEFAULT_UTC_OFFSET_MIN,
  isOpenAt,
  localMinuteOfDay,
  parseOpeningHours,
  type OpeningHours,
} from '@yizhan/station-config/hours';

const bump = (minute: number, centre: number, width: number): number =>
  Math.exp(-0.5 * ((minute - centre) / width) ** 2);

/**
 * Relative demand 0..1 at a local minute: quiet nights (about 0.04), a morning shoulder,
 * a lunch peak inside 11:00-13:30 (highest around 12:15), an afternoon lull, a dinner peak
 * inside 17:00-20:00 (highest around 18:30) and a falling evening.
 */
export function demandAt(minute: number): number {
  const night = 0.04;
  const day = minute >= 6 * 60 && minute < 23 * 60 ? 0.18 * bump(minute, 15 * 60, 240) + 0.06 : 0;
  const lunch = minute >= 11 * 60 && minute < 13.5 * 60 ? 0.96 * bump(minute, 12.25 * 60, 35) : 0;
  const dinner = minute >= 17 * 60 && minute < 20 * 60 ? 0.86 * bump(minute, 18.5 * 60, 40) : 0;
  return Math.min(1, night + day + lunch + dinner);
}

/** Typical stay in minutes at a local minute: longer at meal times and at night (riders rest). */
export function medianStayMin(minute: number): number {
  const meal = (minute >= 11 * 60 && minute < 13.5 * 60) || (minute >= 17 * 60 && minute < 20 * 60);
  if (meal) return 22;
  if (minute < 6 * 60 || minute >= 23 * 60) return 30;
  return 12;
}
