/**
 * The fleet figures as Prometheus gauges per township, computed at scrape time (prom-client
 * `collect`), so Grafana charts the same numbers GET /api/v1/fleet answers.
 *
 * Label sets are bounded: `township` by the townships of the station files, `state` and `sync` by
 * fixed lists, `rule` by the alert rules the engine runs, and `version` by at most
 * MAX_VERSION_LABELS versions per township (the most common; the rest are summed as "other"), since
 * a version string comes from the stations.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Counts, TownshipCounts } from './fleet.js';

export const MAX_VERSION_LABELS = 10;
export const OTHER_VERSIONS = 'other';

/** At most `max` versions by count (ties by name), the rest as "other". */
export function boundedVersions(v: Counts['agentVersions'], max = MAX_VERSION_LABELS): [string, number][] {
  const sorted = Object.entries(v).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length <= max) return sorted;
  const rest = sorted.slice(max - 1).reduce((n, [, c]) => n + c, 0);
  return [...sorted.slice(0, max - 1), [OTHER_VERSIONS, rest]];
}

/**
 * Register the gauges with `registry`; `compute` gives the townships' counts, and `configKnown`
 * whether desired config versions are known now (the config series are left out while they are
 * not, rather than showing every station as "never").
 */
export function registerFleetGauges(
  registry: Registry,
  compute: () => TownshipCounts[],
  configKnown: () => boolean,
): void {
  // One computation serves every gauge of a scrape: registry.metrics() calls every collect() in one
  // synchronous pass before its first await, so the figures are dropped at the next microtask.
  let cached: TownshipCounts[] | undefined;
  const rows = (): TownshipCounts[] => {
    if (!cached) {
      cached = compute();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, t: TownshipCounts) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of rows()) fill(this, t);
      },
    });

  gauge(
    'yizhan_fleet_stations',
    'Stations per township by state: online, offline, dark (docs/operations.md)',
    ['township', 'state'],
    (g, t) => {
      for (const state of ['online', 'offline', 'dark'] as const)
        g.set({ township: t.code, state }, t[state]);
    },
  );
  gauge(
    'yizhan_fleet_alerts_firing',
    'Stations per township with a firing alert of each rule',
    ['township', 'rule'],
    (g, t) => {
      for (const [rule, n] of Object.entries(t.alertsByRule)) g.set({ township: t.code, rule }, n);
    },
  );
  gauge(
    'yizhan_fleet_stale_sensors',
    'Online stations per township whose agent reports its serial link down',
    ['township'],
    (g, t) => {
      g.set({ township: t.code }, t.staleSensors);
    },
  );
  gauge(
    'yizhan_fleet_config',
    'Stations per township by config sync: inSync, pending, never',
    ['township', 'sync'],
    (g, t) => {
      if (!configKnown()) return;
      for (const [sync, n] of Object.entries(t.config)) g.set({ township: t.code, sync }, n);
    },
  );
  gauge(
    'yizhan_fleet_agent_versions',
    `Stations per township by agent version (at most ${MAX_VERSION_LABELS} per township; the rest as "other")`,
    ['township', 'version'],
    (g, t) => {
      for (const [version, n] of boundedVersions(t.agentVersions)) g.set({ township: t.code, version }, n);
    },
  );
}
