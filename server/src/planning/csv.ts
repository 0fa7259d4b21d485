/**
 * The analytics answers as CSV for spreadsheets (org/audit-csv.ts rules: UTF-8 BOM, RFC 4180,
 * formula guard, CRLF): one header row, then the same numbers as the JSON answer. Headers are the
 * JSON field names, so a file and an API answer read the same; reasons come in both languages.
 */
import { CSV_BOM, csvCell } from '../org/audit-csv.js';
import type { Lang } from '../i18n.js';
import type { DefinitionsAnswer, HeatmapAnswer, RankingAnswer } from './analytics-schemas.js';

function table(header: readonly string[], rows: readonly (string | number | null)[][]): string {
  return CSV_BOM + [header.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function heatmapCsv(a: HeatmapAnswer): string {
  return table(
    ['scope', 'id', 'metric', 'timeZone', 'dow', 'hour', 'value', 'samples'],
    a.cells.map((c) => [a.scope.kind, a.scope.id, a.metric, a.timeZone, c.dow, c.hour, c.value, c.samples]),
  );
}

export const RANKING_COLUMNS = [
  'rank',
  'stationId',
  'name',
  'township',
  'seats',
  'sockets',
  'samples',
  'occupancyMean',
  'fullShare',
  'nearFullShare',
  'allBusyShare',
  'sessions',
  'energyKwh',
  'turnedAway',
  'heaterOnShare',
  'reason',
  'reason_en',
  'previous_nearFullShare',
  'previous_occupancyMean',
  'previous_sessions',
  'opened',
  'closed',
] as const;

export function rankingCsv(a: RankingAnswer, lang: Lang): string {
  return table(
    RANKING_COLUMNS,
    a.stations.map((s) => [
      s.rank,
      s.stationId,
      s.name,
      s.township,
      s.seats,
      s.sockets,
      s.samples,
      s.occupancyMean,
      s.fullShare,
      s.nearFullShare,
      s.allBusyShare,
      s.sessions,
      s.energyKwh,
      s.turnedAway,
      s.heaterOnShare,
      lang === 'en' ? s.reason.en : s.reason['zh-CN'],
      s.reason.en,
      s.previous.nearFullShare,
      s.previous.occupancyMean,
      s.previous.sessions,
      iso(s.opened),
      iso(s.closed),
    ]),
  );
}

export function definitionsCsv(defs: readonly DefinitionsAnswer['definitions'][number][]): string {
  return table(
    ['key', 'name', 'name_en', 'definition', 'definition_en', 'source'],
    defs.map((d) => [d.key, d.name['zh-CN'], d.name.en, d.definition['zh-CN'], d.definition.en, d.source]),
  );
}
