/**
 * The union's figures of riders' reports: per local month × township × category, how many were
 * received, how many triaged valid, and the median time from receipt to the first triage decision
 * (seconds); per credited rider (only those who gave `credit.name`), their valid reports. Never
 * any contact data: only the columns below are read.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Lang } from '../i18n.js';
import { localDate } from '../workorders/report.js';
import {
  CATEGORY_INFO,
  REPORT_CATEGORIES,
  type FiguresAnswer,
  type ReportCategory,
} from '../routes/rider-reports/schemas.js';

export type FiguresRowView = FiguresAnswer['rows'][number];

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function reportFigures(
  db: Kysely<Database>,
  q: { startMs: number; endMs: number; townships: Map<string, string>; timeZone: string; lang: Lang },
): Promise<Pick<FiguresAnswer, 'rows' | 'riders'>> {
  const codes = [...q.townships.keys()];
  const rows = await db
    .selectFrom('rider_reports')
    .select(['township', 'category', 'created_at', 'triaged_at', 'decision', 'credit_name'])
    .where('created_at', '>=', q.startMs)
    .where('created_at', '<', q.endMs)
    .where('township', 'in', codes.length ? codes : [''])
    .execute();
  const acc = new Map<
    string,
    {
      month: string;
      township: string;
      category: ReportCategory;
      received: number;
      valid: number;
      waits: number[];
    }
  >();
  const riders = new Map<string, number>();
  for (const r of rows) {
    const month = localDate(Number(r.created_at), q.timeZone).slice(0, 7);
    const category = r.category as ReportCategory;
    const key = `${month}|${r.township}|${category}`;
    let a = acc.get(key);
    if (!a) acc.set(key, (a = { month, township: r.township, category, received: 0, valid: 0, waits: [] }));
    a.received++;
    if (r.decision === 'valid') {
      a.valid++;
      if (r.credit_name !== null) riders.set(r.credit_name, (riders.get(r.credit_name) ?? 0) + 1);
    }
    if (r.triaged_at !== null) a.waits.push((Number(r.triaged_at) - Number(r.created_at)) / 1000);
  }
  const order = (c: ReportCategory) => REPORT_CATEGORIES.indexOf(c);
  return {
    rows: [...acc.values()]
      .sort(
        (x, y) =>
          x.month.localeCompare(y.month) ||
          x.township.localeCompare(y.township) ||
          order(x.category) - order(y.category),
      )
      .map((a) => ({
        month: a.month,
        townshipCode: a.township,
        township: q.townships.get(a.township) ?? a.township,
        category: a.category,
        categoryName: CATEGORY_INFO[a.category][q.lang],
        received: a.received,
        valid: a.valid,
        medianAnswerS: median(a.waits),
      })),
    riders: [...riders.entries()]
      .map(([name, valid]) => ({ name, valid }))
      .sort((x, y) => y.valid - x.valid || x.name.localeCompare(y.name, 'zh-CN')),
  };
}
