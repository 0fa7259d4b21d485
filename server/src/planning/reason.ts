/**
 * Plain-language reasons of the ranking: the station's strongest hour-of-week block of full share
 * (e.g. "周一至周五 11–13 点满座率 78%"), or, for a station that is seldom full, its daily figures
 * ("全天平均在站 0.4 人，座位利用率 3%").
 */
import type { StationFigures } from './analytics-schemas.js';

/** 168 sample-weighted accumulators, Monday-first, dow-major. */
export type WeekProfile = { sum: number; n: number }[];
type Text = { 'zh-CN': string; en: string };

/** A block below this full share is not worth naming: the daily reason is given instead. */
export const MIN_BLOCK_SHARE = 0.05;
/** Neighbouring hours join the block while their share is at least this part of the peak hour's. */
const EXTEND_RATIO = 0.8;
const MAX_BLOCK_HOURS = 6;

const GROUPS = [
  { days: [0, 1, 2, 3, 4], zh: '周一至周五', en: 'Mon–Fri' },
  { days: [5, 6], zh: '周六、周日', en: 'Sat–Sun' },
] as const;

const pct = (x: number) => Math.round(x * 100);

/** The hour-of-week block with the highest full share, as a reason; null below MIN_BLOCK_SHARE. */
export function blockReason(week: WeekProfile): Text | null {
  let best: { share: number; zh: string; en: string } | null = null;
  for (const g of GROUPS) {
    const hours = Array.from({ length: 24 }, (_, h) => {
      let sum = 0;
      let n = 0;
      for (const d of g.days) {
        const c = week[d * 24 + h];
        if (!c) continue;
        sum += c.sum;
        n += c.n;
      }
      return { sum, n, share: n > 0 ? sum / n : -1 };
    });
    let peak = 0;
    for (let h = 1; h < 24; h++) if ((hours[h]?.share ?? -1) > (hours[peak]?.share ?? -1)) peak = h;
    const top = hours[peak]?.share ?? -1;
    if (top <= 0) continue;
    let a = peak;
    let b = peak + 1;
    const joins = (h: number) => (hours[h]?.share ?? -1) >= top * EXTEND_RATIO;
    while (b - a < MAX_BLOCK_HOURS && (joins(a - 1) || joins(b))) {
      if (joins(a - 1) && (hours[a - 1]?.share ?? -1) >= (hours[b]?.share ?? -1)) a--;
      else b++;
    }
    let sum = 0;
    let n = 0;
    for (let h = a; h < b; h++) {
      sum += hours[h]?.sum ?? 0;
      n += hours[h]?.n ?? 0;
    }
    const share = sum / n;
    if (!best || share > best.share)
      best = {
        share,
        zh: `${g.zh} ${a}–${b} 点满座率 ${pct(share)}%`,
        en: `${g.en} ${a}:00–${b}:00 full ${pct(share)}% of the time`,
      };
  }
  return best && best.share >= MIN_BLOCK_SHARE ? { 'zh-CN': best.zh, en: best.en } : null;
}

/** The reason from the range's figures: mean people inside and seat use. */
export function dailyReason(f: StationFigures): Text {
  if (f.occupancyMean === null) return { 'zh-CN': '范围内无开放时段数据', en: 'No data from open hours in the range' };
  const people = f.occupancyMean.toFixed(1);
  const use = f.seats > 0 ? pct(f.occupancyMean / f.seats) : null;
  return use === null
    ? { 'zh-CN': `全天平均在站 ${people} 人`, en: `On average ${people} people inside` }
    : {
        'zh-CN': `全天平均在站 ${people} 人，座位利用率 ${use}%`,
        en: `On average ${people} people inside, ${use}% of seats used`,
      };
}
