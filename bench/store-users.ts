/**
 * bench:store's simulated users: each lists alerts as the alerts page would, in a loop, with 0–1 s
 * between queries. One in ten sees the whole county, the others one township each. A query is a
 * page of 50 of the user's scope, by state, sometimes by township, rule or acknowledged, and now
 * and then the next page after it. Seeded, so two runs ask the same questions.
 */
import { mulberry32 } from '@yizhan/common/prng';
import type { AlertListFilter, AlertRepository } from '../server/src/alerts/repo.js';

export interface UserLoad {
  repo: AlertRepository;
  users: number;
  townships: number;
  rules: readonly string[];
}

const STATES = ['firing', 'all', 'resolved'] as const;
const PAGE = 50;
const MAX_THINK_MS = 1000;

/** Starts the users; `stop()` ends their loops and gives every list query's latency, ms. */
export function simulateUsers(load: UserLoad): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const user = async (u: number): Promise<void> => {
    const rnd = mulberry32(u + 1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const own = `t${u % load.townships}`;
    const scope: AlertListFilter['scope'] = u % 10 === 0 ? 'all' : new Set([own]);
    while (running) {
      await new Promise((r) => setTimeout(r, rnd() * MAX_THINK_MS));
      if (!running) break;
      const f: AlertListFilter = { state: pick(STATES), scope, limit: PAGE };
      if (scope === 'all' && rnd() < 0.5) f.township = `t${Math.floor(rnd() * load.townships)}`;
      if (rnd() < 0.3) f.rule = pick(load.rules);
      if (rnd() < 0.1) f.acked = false;
      const t0 = performance.now();
      const page = await load.repo.list(f);
      latencies.push(performance.now() - t0);
      if (page.next !== null && rnd() < 0.3) {
        const t1 = performance.now();
        await load.repo.list({ ...f, before: page.next });
        latencies.push(performance.now() - t1);
      }
    }
  };
  const all = Array.from({ length: load.users }, (_, u) => user(u));
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return latencies;
    },
  };
}
