/**
 * Every panel query and every variable query of the dashboards, expanded as Grafana expands them,
 * run against a real InfluxDB 1.6.7 that simulated stations filled through the real path
 * (simulator → edge agent → MQTT broker → server → InfluxDB). A query must answer without error,
 * return rows, and return the columns and tags its panel uses; with variables narrowed to one
 * township and two stations it must return only those.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerProblems, type Selection } from './answers.js';
import {
  loadDashboards,
  panelQueries,
  variableQuery,
  type PanelQuery,
  type VariableJson,
} from './dashboardModel.js';
import { fillThroughPipeline, type FilledInflux } from './fill.js';
import { ALL_VALUE, expandQuery, type TimeRange, type VariableState } from './grafanaMacros.js';
import { runInfluxQL, tagValues, type ResultSeries } from './influxql.js';
import { loadProvisioning } from './structure.js';

const DASHBOARDS = fileURLToPath(new URL('../../dashboards/', import.meta.url));
const dashboards = loadDashboards(DASHBOARDS);
const queries = dashboards.flatMap(panelQueries);

/** `jsonData.timeInterval` of the provisioned datasource: the lower bound of `$__interval`. */
const dsMinInterval = ((): string | undefined => {
  const doc = loadProvisioning(`${DASHBOARDS}provisioning`).datasources[0]?.data as
    { datasources?: { jsonData?: { timeInterval?: string } }[] } | undefined;
  return doc?.datasources?.[0]?.jsonData?.timeInterval;
})();

/** Grafana uses the panel width in pixels when maxDataPoints is unset; assume a 1600 px wide dashboard. */
function maxDataPoints(pq: PanelQuery): number {
  return pq.panel.maxDataPoints ?? Math.round(((pq.panel.gridPos?.w ?? 24) / 24) * 1600);
}

let influx: FilledInflux;

beforeAll(async () => {
  influx = await fillThroughPipeline();
}, 60_000);

afterAll(async () => {
  await influx?.stop();
});

/** Resolve the dashboard's query variables in order, as Grafana does on load (chained: station after township). */
async function resolveVariables(
  list: readonly VariableJson[],
  range: TimeRange,
  chosen: Record<string, string[]>,
): Promise<VariableState[]> {
  const states: VariableState[] = [];
  for (const v of list.filter((x) => x.type === 'query')) {
    const sent = expandQuery(variableQuery(v), {
      range,
      variables: states,
      maxDataPoints: 1000,
      minInterval: dsMinInterval,
    });
    const r = await runInfluxQL(influx.url, influx.db, sent);
    if (r.error !== undefined) throw new Error(`variable ${v.name}: ${r.error}\n  query: ${sent}`);
    states.push({
      name: v.name,
      multi: v.multi ?? false,
      includeAll: v.includeAll ?? false,
      allValue: v.allValue ?? null,
      current: chosen[v.name] ?? [ALL_VALUE],
      options: tagValues(r),
    });
  }
  return states;
}

async function run(
  pq: PanelQuery,
  range: TimeRange,
  variables: VariableState[],
  mode: 'backend' | 'frontend',
  selection?: Selection,
): Promise<string[]> {
  const sent = expandQuery(pq.target.query ?? '', {
    range,
    variables,
    maxDataPoints: maxDataPoints(pq),
    minInterval: pq.panel.interval ?? dsMinInterval,
    timeFilterMode: mode,
  });
  expect(sent, 'every macro and variable is expanded').not.toMatch(/\$\w|\[\[/);
  return answerProblems(pq, sent, await runInfluxQL(influx.url, influx.db, sent), selection);
}

describe('variables', () => {
  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: township and station list exactly the filled stations',
    async (_f, d) => {
      const vars = await resolveVariables(d.json.templating?.list ?? [], influx.range, {});
      const byName = Object.fromEntries(vars.map((v) => [v.name, v.options]));
      expect(byName.township).toEqual([...new Set(influx.stations.map((s) => s.township))].sort());
      expect(byName.station).toEqual(influx.stations.map((s) => s.id).sort());
    },
  );

  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: station follows the chosen township',
    async (_f, d) => {
      const { township, stations } = influx.narrow;
      const vars = await resolveVariables(d.json.templating?.list ?? [], influx.range, {
        township: [township],
      });
      const expected = influx.stations
        .filter((s) => s.township === township)
        .map((s) => s.id)
        .sort();
      expect(vars.find((v) => v.name === 'station')?.options).toEqual(expected);
      expect(stations.every((s) => expected.includes(s))).toBe(true);
    },
  );
});

describe('panel queries', () => {
  it.each(queries.map((q) => [q.label, q] as const))(
    '%s — all stations, the simulated range',
    async (_l, pq) => {
      const d = dashboards.find((x) => x.file === pq.file);
      const vars = await resolveVariables(d?.json.templating?.list ?? [], influx.range, {});
      expect(await run(pq, influx.range, vars, 'backend')).toEqual([]);
    },
  );

  it.each(queries.map((q) => [q.label, q] as const))('%s — one township, two stations', async (_l, pq) => {
    const d = dashboards.find((x) => x.file === pq.file);
    const { township, stations } = influx.narrow;
    const vars = await resolveVariables(d?.json.templating?.list ?? [], influx.range, {
      township: [township],
      station: [...stations],
    });
    expect(await run(pq, influx.range, vars, 'backend', { township: [township], station: stations })).toEqual(
      [],
    );
  });

  it.each(queries.map((q) => [q.label, q] as const))(
    '%s — the dashboard default range, relative',
    async (_l, pq) => {
      const d = dashboards.find((x) => x.file === pq.file);
      const raw = (d?.json as { time?: { from: string; to: string } } | undefined)?.time ?? {
        from: 'now-6h',
        to: 'now',
      };
      const hours =
        Number(/^now-(\d+)h$/.exec(raw.from)?.[1] ?? 0) ||
        24 * Number(/^now-(\d+)d$/.exec(raw.from)?.[1] ?? 0);
      const now = Date.now();
      const range = { from: now - hours * 3_600_000, to: now, raw };
      const vars = await resolveVariables(d?.json.templating?.list ?? [], range, {});
      expect(await run(pq, range, vars, 'frontend')).toEqual([]);
    },
  );
});

/** Run the panel with this title (all stations, the simulated range); its series. */
async function seriesOf(title: string): Promise<ResultSeries[]> {
  const pq = queries.find((q) => q.panel.title === title);
  if (!pq) throw new Error(`no panel titled "${title}"`);
  const d = dashboards.find((x) => x.file === pq.file);
  const variables = await resolveVariables(d?.json.templating?.list ?? [], influx.range, {});
  const sent = expandQuery(pq.target.query ?? '', {
    range: influx.range,
    variables,
    maxDataPoints: maxDataPoints(pq),
    minInterval: dsMinInterval,
  });
  const r = await runInfluxQL(influx.url, influx.db, sent);
  if (r.error !== undefined) throw new Error(`${title}: ${r.error}`);
  return r.series;
}
const firstValue = (s: ResultSeries[]): unknown => s[0]?.values[0]?.[1];

describe('what the crews see after the run', () => {
  it('离线驿站: exactly the station whose agent was stopped', async () => {
    expect((await seriesOf('离线驿站 / Stations offline')).map((s) => s.tags.station)).toEqual([
      influx.offline,
    ]);
  });
  it('离线/在线驿站（当前）: one offline, the others online', async () => {
    expect(firstValue(await seriesOf('离线驿站（当前） / Stations offline now'))).toBe(1);
    expect(firstValue(await seriesOf('在线驿站（当前） / Stations online now'))).toBe(
      influx.stations.length - 1,
    );
  });
  it('开着的门: the station whose door was held open, and exactly the stations whose last door reading is open', async () => {
    // Riders keep walking through the simulated doors, so another door may be open when the run
    // stops: the truth is each station's newest door reading, read point by point (not last()).
    const newest = await runInfluxQL(
      influx.url,
      influx.db,
      `SELECT "value" FROM "door" WHERE time >= ${influx.range.from}ms GROUP BY "station" ORDER BY time DESC LIMIT 1`,
    );
    const open = newest.series.filter((s) => s.values[0]?.[1] === 1).map((s) => s.tags?.station);
    const listed = (await seriesOf('开着的门 / Open doors')).map((s) => s.tags.station);
    expect(listed).toContain(influx.doorOpened);
    expect([...listed].sort()).toEqual([...open].sort());
    expect(firstValue(await seriesOf('开着的门（当前） / Doors open now'))).toBe(open.length);
  });
  it('跳闸的充电口: lists the socket that tripped', async () => {
    const rows = (await seriesOf('跳闸的充电口 / Tripped sockets')).map((s) => ({
      station: s.tags.station,
      sensor: s.tags.sensor,
    }));
    expect(rows).toContainEqual(influx.socketTripped);
  });
  it('当前故障: lists the failed heater', async () => {
    const rows = (await seriesOf('当前故障 / Active faults')).map((s) => ({ ...s.tags }));
    expect(rows).toContainEqual({ station: influx.heaterFailed, sensor: 'heater', fault: 'heater_failure' });
    expect(firstValue(await seriesOf('故障（当前） / Faults active now'))).toBe(rows.length);
  });
  it('当前故障: not the socket whose controller rebooted without clearing it', async () => {
    const { station, sensor } = influx.rebooted;
    const raised = await runInfluxQL(
      influx.url,
      influx.db,
      `SELECT count("active") FROM "fault" WHERE "station" = '${station}' AND "sensor" = '${sensor}' AND "active" = 1`,
    );
    expect(raised.series[0]?.values[0]?.[1], 'the trip was raised during the run').toBeGreaterThan(0);
    const rows = (await seriesOf('当前故障 / Active faults')).map((s) => ({ ...s.tags }));
    expect(rows).not.toContainEqual(expect.objectContaining({ station, sensor }));
  });
  it('代理健康: a row per station that sent health, with the last frame age in seconds', async () => {
    const series = await seriesOf('代理健康 / Agent health');
    expect(series.map((s) => s.tags.station).sort()).toEqual(influx.stations.map((s) => s.id).sort());
    for (const s of series)
      expect(s.values[0]?.[s.columns.indexOf('last_frame_age_s')]).toEqual(expect.any(Number));
  });
});

describe('what the planners see after the run', () => {
  const HOUR = 3_600_000;
  /** Each station's value of a column in a panel grouped by station. */
  const byStation = (series: ResultSeries[], column: string): Map<string, unknown> =>
    new Map(series.map((s) => [s.tags.station ?? '', s.values[0]?.[s.columns.indexOf(column)]]));

  it('饱和排行: every station, its nearly-full share as counted from the raw derived points', async () => {
    const series = await seriesOf('饱和排行 / Saturation ranking');
    const shown = byStation(series, 'near_full_share');
    expect([...shown.keys()].sort()).toEqual(influx.stations.map((s) => s.id).sort());
    // Hourly rows inside the range start at the first whole hour after its start.
    const from = Math.ceil(influx.range.from / HOUR) * HOUR;
    const raw = await runInfluxQL(
      influx.url,
      influx.db,
      `SELECT sum("near_full") AS "n", count("near_full") AS "samples" FROM "station_use" WHERE time >= ${from}ms AND time <= ${influx.range.to}ms GROUP BY "station"`,
    );
    expect(raw.series).toHaveLength(influx.stations.length);
    for (const s of raw.series) {
      const [n, samples] = [s.values[0]?.[1], s.values[0]?.[2]] as [number, number];
      expect(samples, `${s.tags.station} has open-hour samples`).toBeGreaterThan(0);
      expect(shown.get(s.tags.station ?? '')).toBeCloseTo(n / samples, 12);
    }
  });

  it('驿站地图: one point per station at the position of its file', async () => {
    const series = await seriesOf('驿站地图（近满座率） / Station map (nearly-full share)');
    const lat = byStation(series, 'lat');
    const lon = byStation(series, 'lon');
    for (const st of influx.stations) {
      expect(lat.get(st.id), st.id).toBe(st.location.lat);
      expect(lon.get(st.id), st.id).toBe(st.location.lon);
    }
    expect(series).toHaveLength(influx.stations.length);
  });

  it('近满座率（每小时）: one row per station, shares between 0 and 1', async () => {
    const series = await seriesOf('近满座率（每小时） / Nearly-full share by hour');
    expect(series.map((s) => s.tags.station).sort()).toEqual(influx.stations.map((s) => s.id).sort());
    for (const s of series)
      for (const row of s.values) expect(row[1]).toSatisfy((v: unknown) => typeof v === 'number' && v >= 0 && v <= 1);
  });
});
