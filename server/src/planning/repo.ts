/**
 * Demand layers and candidate sites in the operations store (migration 0012). Writes take the
 * caller's transaction so the change and its audit entry commit together.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Candidate, DemandLayer } from './coverage-schemas.js';
import type { CandidateRow, DemandRow } from './imports.js';
import type { DemandPoint } from './grid.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Kinds of demand layer: imported ones, and `reports` for rider reports' locations (a later issue). */
export const LAYER_KINDS = ['orders', 'merchants', 'residential', 'reports', 'other'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters and SQLite's 32,766. */
const CHUNK = 1000;

export class PlanningRepo {
  constructor(readonly db: Kysely<Database>) {}

  async layers(): Promise<DemandLayer[]> {
    const rows = await this.db
      .selectFrom('demand_layers as l')
      .leftJoin('users as u', 'u.id', 'l.created_by')
      .select(['l.id', 'l.name', 'l.kind', 'l.points', 'l.total_weight', 'l.created_at', 'u.display_name'])
      .orderBy('l.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      kind: r.kind,
      points: Number(r.points),
      totalWeight: Number(r.total_weight),
      createdAt: Number(r.created_at),
      createdBy: r.display_name ?? '',
      builtIn: false,
    }));
  }

  async layer(id: number): Promise<DemandLayer | undefined> {
    return (await this.layers()).find((l) => l.id === id);
  }

  async addLayer(
    trx: Db,
    l: { name: string; kind: LayerKind; rows: readonly DemandRow[]; by: number | null; now: number },
  ): Promise<number> {
    const total = l.rows.reduce((s, r) => s + r.weight, 0);
    const { id } = await trx
      .insertInto('demand_layers')
      .values({
        name: l.name,
        kind: l.kind,
        points: l.rows.length,
        total_weight: total,
        created_at: l.now,
        created_by: l.by,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let i = 0; i < l.rows.length; i += CHUNK)
      await trx
        .insertInto('demand_points')
        .values(
          l.rows
            .slice(i, i + CHUNK)
            .map((r) => ({ layer_id: id, lat: r.lat, lon: r.lon, weight: r.weight, name: r.name })),
        )
        .execute();
    return Number(id);
  }

  async deleteLayer(trx: Db, id: number): Promise<boolean> {
    await trx.deleteFrom('demand_points').where('layer_id', '=', id).execute();
    const r = await trx.deleteFrom('demand_layers').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Every imported demand point (all layers). */
  async demandPoints(): Promise<DemandPoint[]> {
    const rows = await this.db.selectFrom('demand_points').select(['lat', 'lon', 'weight']).execute();
    return rows.map((r) => ({ lat: Number(r.lat), lon: Number(r.lon), weight: Number(r.weight) }));
  }

  /** Every candidate, or those of `ids`; `db`: the caller's transaction when inside one. */
  async candidates(ids?: readonly number[], db: Db = this.db): Promise<Candidate[]> {
    let q = db.selectFrom('planning_candidates').selectAll().orderBy('id');
    if (ids) {
      if (ids.length === 0) return [];
      q = q.where('id', 'in', [...ids]);
    }
    return (await q.execute()).map((r) => ({
      id: Number(r.id),
      name: r.name,
      address: r.address,
      lat: Number(r.lat),
      lon: Number(r.lon),
      source: r.source === 'map' ? 'map' : 'import',
      createdAt: Number(r.created_at),
    }));
  }

  async addCandidates(
    trx: Db,
    rows: readonly CandidateRow[],
    source: 'import' | 'map',
    by: number | null,
    now: number,
  ): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      const got = await trx
        .insertInto('planning_candidates')
        .values(
          rows.slice(i, i + CHUNK).map((r) => ({
            name: r.name,
            address: r.address,
            lat: r.lat,
            lon: r.lon,
            source,
            created_at: now,
            created_by: by,
          })),
        )
        .returning('id')
        .execute();
      ids.push(...got.map((g) => Number(g.id)));
    }
    return ids;
  }

  async deleteCandidate(trx: Db, id: number): Promise<Candidate | undefined> {
    const [c] = await this.candidates([id], trx);
    if (!c) return undefined;
    await trx.deleteFrom('planning_candidates').where('id', '=', id).execute();
    return c;
  }
}
