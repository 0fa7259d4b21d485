/**
 * After a server restart, live state starts empty; the faults that were active are restored from
 * InfluxDB before MQTT ingest starts: for each (station, sensor, fault) series of `fault`, the last
 * point, if it says active. InfluxDB is asked only once the writer has delivered what the previous
 * run left in its spool: a fault cleared just before a crash (its clear still in the spool) would
 * otherwise come back as active, and the station's next report of that fault would page nobody.
 * Alert rules see them through AlertEngine.restore (an alert that fired before the restart keeps
 * firing, without a second notification). What happened while the server was down follows: the
 * broker's queued fault events, and each station's next health report of its active set (ingest
 * reconcileFaults) correct whatever InfluxDB missed.
 */
import type { FastifyBaseLogger } from 'fastify';
import { FAULT_NAMES, type FaultName } from '@yizhan/protocol/serial';
import type { InfluxQLClient } from '../influx/query.js';
import type { StationRegistry } from '../registry.js';
import { activeFaultObservation, type Observation } from './observation.js';
import type { ActiveFault } from './schema.js';
import type { StateStore } from './store.js';

export const ACTIVE_FAULTS_QUERY =
  'SELECT last("active") AS "active" FROM "fault" GROUP BY "station", "sensor", "fault"';

export interface RestoreDeps {
  ql: Pick<InfluxQLClient, 'query'>;
  registry: StationRegistry;
  store: StateStore;
  restore(stationId: string, observations: readonly Observation[]): void;
  log: FastifyBaseLogger;
  /** Resolves once the lines written before this start are in InfluxDB (InfluxService.delivered). */
  delivered?(): Promise<void>;
}

const FAULTS = new Set<string>(FAULT_NAMES);

/**
 * Restore the active faults; resolves with how many were restored. Never throws: when the spool's
 * lines are not delivered and InfluxDB has not answered within `timeoutMs`, it logs and resolves 0
 * (the stations' reports fill in; alerts the store holds as firing were adopted already).
 */
export async function restoreActiveFaults(d: RestoreDeps, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  let waitingFor = 'the lines of the previous run to reach InfluxDB';
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${waitingFor}`)), timeoutMs);
  });
  try {
    const answer = (d.delivered?.() ?? Promise.resolve()).then(() => {
      waitingFor = "InfluxDB's answer";
      return d.ql.query(ACTIVE_FAULTS_QUERY, { epoch: 'ms' });
    });
    const [result] = await Promise.race([answer, timeout]);
    const byStation = new Map<string, ActiveFault[]>();
    for (const s of result?.series ?? []) {
      const { station = '', sensor = '', fault = '' } = s.tags;
      const row = s.values[0];
      if (row?.[1] !== 1 || typeof row[0] !== 'number' || !FAULTS.has(fault)) continue;
      if (!d.registry.get(station)?.sensors.has(sensor)) continue;
      const list = byStation.get(station) ?? [];
      list.push({ sensor, fault: fault as FaultName, since: row[0] });
      byStation.set(station, list);
    }
    let n = 0;
    for (const [station, faults] of byStation) {
      const set = d.store.restoreFaults(station, faults);
      n += set.length;
      d.restore(station, set.map(activeFaultObservation));
    }
    d.log.info({ faults: n, stations: byStation.size }, 'active faults restored from InfluxDB');
    return n;
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.includes('database not found')) {
      d.log.info('no fault history in InfluxDB yet; no active faults to restore');
      return 0;
    }
    d.log.warn(
      { err: msg },
      'active faults not restored from InfluxDB; they return with each station health report',
    );
    return 0;
  } finally {
    clearTimeout(timer);
  }
}
