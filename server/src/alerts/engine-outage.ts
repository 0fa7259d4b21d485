/**
 * Outage incidents and inhibition in the alert engine.
 *
 * Outage: when a station_dark alert is about to fire, the engine counts the stations whose dark
 * began within `outage.within` of this one's (the station_dark rule knows them, fired or pending:
 * its `for` is at least `within`, the loader checks, so every one of them is dark by now). At
 * `countyStations` county-wide, or `townshipStations` in the station's township, one incident alert
 * fires (rule `outage`, fingerprint `outage/county` or `outage/township/<code>`, stationId '') and
 * every station_dark alert it holds carries `suppressedBy: <incident id>`: recorded and shown, not
 * notified. A station going dark while an incident fires joins it. The incident resolves when its
 * last station is back. Its evidence lists the stations, so an incident adopted after a restart
 * keeps holding them.
 *
 * Inhibition: an alert of a station-sensor rule that fires while the station's station_dark or
 * serial_link_down alert fires is suppressed by that alert.
 */
import { createHash } from 'node:crypto';
import type { OutageThresholds } from '@yizhan/station-config/alert-rules';
import type { Alert, LocalizedText } from './types.js';

export const OUTAGE = 'outage';
export const STATION_DARK = 'station_dark';
const SERIAL_LINK_DOWN = 'serial_link_down';
/** Rules about the station or its agent as a whole: never inhibited by a dark station or a link down. */
const NOT_INHIBITED = new Set([STATION_DARK, SERIAL_LINK_DOWN, 'agent_health', OUTAGE]);

/** A rule that knows which stations are dark and since when (the station_dark rule). */
export interface DarkStations {
  /** Every station dark now (fired or still in its `for`): id and the time its dark began. */
  darkStations(): Iterable<readonly [string, number]>;
}

export function isDarkStations(r: unknown): r is DarkStations {
  return typeof (r as Partial<DarkStations>).darkStations === 'function';
}

/** The same firing (fingerprint and start) has the same id, also across server restarts; UUID-shaped. */
export function alertId(fingerprint: string, startsAt: string): string {
  const h = createHash('sha256').update(`${fingerprint}|${startsAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The engine as the incidents see it. */
export interface IncidentHost {
  firingAlert(fp: string): Alert | undefined;
  /** A new alert fires (recorded, and announced unless restoring). */
  commitFire(alert: Alert): void;
  /** A firing alert changed (members, suppressedBy): recorded, not announced again. */
  commitUpdate(alert: Alert): void;
  commitResolve(fp: string, at: number, note: LocalizedText): void;
  /** Township code of a station. */
  townshipOf(stationId: string): string;
  /** Township name (Chinese) of a station, for the incident's message. */
  townshipNameOf(stationId: string): string;
}

/** The alert that inhibits an alert of `rule` at `stationId`, if any: station dark or serial link down. */
export function inhibitorOf(host: IncidentHost, rule: string, stationId: string): string | undefined {
  if (NOT_INHIBITED.has(rule)) return undefined;
  return (
    host.firingAlert(`${STATION_DARK}/${stationId}`)?.id ??
    host.firingAlert(`${SERIAL_LINK_DOWN}/${stationId}`)?.id
  );
}

function incidentMessage(scope: string, name: string, count: number): LocalizedText {
  return scope === 'county'
    ? {
        'zh-CN': `全县大面积失联：${count} 个驿站在同一时段失联（可能停电或断网）`,
        en: `County-wide outage: ${count} stations went dark together (power or network cut?)`,
      }
    : {
        'zh-CN': `${name}大面积失联：${count} 个驿站在同一时段失联（可能停电或断网）`,
        en: `Outage in ${name}: ${count} stations went dark together (power or network cut?)`,
      };
}

const BACK: LocalizedText = { 'zh-CN': '所有驿站已恢复联系', en: 'every station of the outage is back' };

export class OutageIncidents {
  /** Incident fingerprint → its member stations. */
  private readonly members = new Map<string, Set<string>>();

  constructor(
    private readonly host: IncidentHost,
    private readonly settings: () => OutageThresholds,
    private readonly dark: () => DarkStations | undefined,
  ) {}

  /**
   * Alerts firing before a restart (from the store): an incident keeps holding the stations its
   * evidence lists, and those whose dark alert names it in suppressedBy (they may have joined after
   * the evidence was stored).
   */
  adopt(alerts: readonly Alert[]): void {
    const byId = new Map<string, Set<string>>();
    for (const a of alerts) {
      if (a.rule !== OUTAGE || a.status !== 'firing') continue;
      const stations = Array.isArray(a.evidence.stations) ? (a.evidence.stations as unknown[]) : [];
      const m = this.members.get(a.fingerprint) ?? new Set<string>();
      for (const s of stations) if (typeof s === 'string') m.add(s);
      this.members.set(a.fingerprint, m);
      byId.set(a.id, m);
    }
    for (const a of alerts)
      if (a.rule === STATION_DARK && a.status === 'firing' && a.suppressedBy)
        byId.get(a.suppressedBy)?.add(a.stationId);
  }

  /**
   * station_dark is about to fire at `stationId`, dark since `since`: the incident that holds it
   * (joined, or fired now with every station dark near the same time), or undefined.
   */
  onDark(stationId: string, since: number): string | undefined {
    const code = this.host.townshipOf(stationId);
    for (const fp of ['outage/county', `outage/township/${code}`]) {
      const cur = this.host.firingAlert(fp);
      if (cur) return this.join(cur, [stationId]).id;
    }
    const { withinMs, countyStations, townshipStations } = this.settings();
    const near = new Set<string>([stationId]);
    for (const [id, t] of this.dark()?.darkStations() ?? [])
      if (Math.abs(t - since) <= withinMs) near.add(id);
    if (near.size >= countyStations) return this.open('county', [...near], since);
    const inTownship = [...near].filter((id) => this.host.townshipOf(id) === code);
    if (inTownship.length >= townshipStations) return this.open(code, inTownship, since);
    return undefined;
  }

  /** station_dark resolved at `stationId`: an incident whose last station that was resolves. */
  onBack(stationId: string, at: number): void {
    for (const [fp, m] of this.members) {
      if (!m.delete(stationId)) continue;
      if (m.size > 0) continue;
      this.members.delete(fp);
      this.host.commitResolve(fp, at, BACK);
    }
  }

  private open(scope: string, stations: string[], since: number): string {
    const fp = scope === 'county' ? 'outage/county' : `outage/township/${scope}`;
    const startsAt = new Date(since).toISOString();
    const name = scope === 'county' ? '全县' : this.host.townshipNameOf(stations[0] ?? '');
    const alert: Alert = {
      id: alertId(fp, startsAt),
      fingerprint: fp,
      rule: OUTAGE,
      stationId: '',
      stationName: name,
      township: scope === 'county' ? '*' : scope,
      severity: 'critical',
      status: 'firing',
      startsAt,
      endsAt: null,
      message: incidentMessage(scope, name, stations.length),
      resolvedMessage: null,
      evidence: {
        stations: [...stations].sort(),
        count: stations.length,
        withinMs: this.settings().withinMs,
      },
    };
    this.members.set(fp, new Set(stations));
    this.host.commitFire(alert);
    // Members whose own dark alert already fires (adopted after a restart) are held from now on.
    for (const id of stations) {
      const d = this.host.firingAlert(`${STATION_DARK}/${id}`);
      if (d && d.suppressedBy !== alert.id) this.host.commitUpdate({ ...d, suppressedBy: alert.id });
    }
    return alert.id;
  }

  private join(incident: Alert, stations: string[]): Alert {
    let m = this.members.get(incident.fingerprint);
    if (!m) this.members.set(incident.fingerprint, (m = new Set()));
    const before = m.size;
    for (const s of stations) m.add(s);
    if (m.size === before) return incident;
    const list = [...m].sort();
    const scope = incident.fingerprint === 'outage/county' ? 'county' : incident.township;
    const next: Alert = {
      ...incident,
      message: incidentMessage(scope, incident.stationName, list.length),
      evidence: { ...incident.evidence, stations: list, count: list.length },
    };
    this.host.commitUpdate(next);
    return next;
  }
}
