/**
 * POST /api/v1/planning/solve on the 47 sample stations with the sample order heat and the 15
 * sample candidates, on SQLite and PostgreSQL: the top-3 (known from the fixture: the three
 * uncovered order clusters) with the bound proving it, a township planner's answer (measured against
 * every station of the county), and the rate limit before any computing.
 */
import { describe, expect, it } from 'vitest';
import { testEngines } from '../../store/engines.js';
import { addTestUser, sessionHeaders } from '../../auth-helpers.js';
import { coverageSuite, getJson, importSamples } from './coverage-fixture.js';
import type {
  Candidate,
  CoverageAnswer,
  SolveAnswer,
} from '../../../../server/src/planning/coverage-schemas.js';

describe.each(testEngines())('best new sites among the sample candidates ($name)', (engine) => {
  const s = coverageSuite(engine);
  let candidates: Candidate[];
  const solve = async (headers: Record<string, string>, k: number) => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/solve',
      headers,
      payload: { k },
    });
    expect(res.statusCode).toBe(200);
    return res.json<SolveAnswer>();
  };

  it('imports order heat and the candidate file, and names the three uncovered clusters as the best 3', async () => {
    const imported = await importSamples(s);
    candidates = imported.candidates;
    expect(imported.layer).toMatchObject({
      name: '外卖订单热度',
      kind: 'orders',
      points: 24,
      totalWeight: 1380,
      createdBy: 'planner1',
      builtIn: false,
    });
    expect(candidates).toHaveLength(15);
    const cov = await getJson<CoverageAnswer>(s, '/api/v1/planning/coverage');
    expect(cov.summary).toMatchObject({ demand: 1380, coveredDemand: 680 });

    const r = await solve(s.planner, 3);
    const names = new Map(candidates.map((c) => [c.id, c.name]));
    expect(r.best.map((b) => b.candidateIds.map((id) => names.get(id)))).toEqual([
      ['岚湖新城社区服务中心'],
      ['岚湖新城社区服务中心', '城北产业园职工食堂'],
      ['岚湖新城社区服务中心', '城北产业园职工食堂', '高铁新区站前广场商铺'],
    ]);
    // two sites reach the same cluster equally (岚湖 ×2, 城北 ×2): the online bound counts both,
    // the LP relaxation does not, and proves each greedy pick optimal
    expect(r.best.map((b) => [b.coveredDemand, b.bounds?.online, b.upperBound])).toEqual([
      [980, 980, 980],
      [1180, 1280, 1180],
      [1330, 1380, 1330],
    ]);
    expect(r.best.map((b) => b.ratio)).toEqual([1, 1, 1]);
    expect(r.best[2]!.explanation['zh-CN']).toContain(
      '新增 3 个驿站（岚湖新城社区服务中心、城北产业园职工食堂、高铁新区站前广场商铺）可多覆盖需求 650',
    );
    expect(r.best[2]!.explanation['zh-CN']).toContain('这是最优解');
    expect(r.best[0]!.explanation.en).toContain('optimal');
    const alone = new Map(r.candidates.map((c) => [names.get(c.candidateId), c.addedDemand]));
    expect(alone.get('岚湖加油站便利店')).toBe(300);
    expect(alone.get('城关人民路临街商铺')).toBe(0);
    expect(r.candidates[0]!.addedCells.length).toBeGreaterThan(0);
  });

  it("measures a township planner's candidates against every station of the county; only county planners change them", async () => {
    const local = await sessionHeaders(
      s.app,
      await addTestUser(s.app, [{ role: 'planner', scope: 'xintang' }], 'planner-xt'),
    );
    const county = await solve(s.planner, 3);
    const mine = await solve(local, 3);
    expect(mine.baseCoveredDemand).toBe(680);
    expect(mine.best.map((b) => b.candidateIds)).toEqual(county.best.map((b) => b.candidateIds));
    // the candidates and layers are the county's: a township planner reads and solves, never changes them
    const add = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/candidates',
      headers: local,
      payload: { name: '镇里的候选', lat: 30.01, lon: 120.01 },
    });
    expect(add.statusCode).toBe(403);
  });

  it('rate limits solves per principal before computing', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 25; i++)
      codes.push(
        (
          await s.app.inject({
            method: 'POST',
            url: '/api/v1/planning/solve',
            headers: s.planner,
            payload: { k: 1 },
          })
        ).statusCode,
      );
    expect(codes).toContain(429);
    const last = await s.app.inject({
      method: 'POST',
      url: '/api/v1/planning/solve',
      headers: s.planner,
      payload: { k: 1 },
    });
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
  });
});
