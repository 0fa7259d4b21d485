/**
 * The agent-version label stays bounded however many versions the stations report: the most
 * common keep their own series, the rest are summed as "other", and nothing is lost from the sum.
 */
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  boundedVersions,
  MAX_VERSION_LABELS,
  registerFleetGauges,
} from '../../../server/src/org/fleet-metrics.js';
import { emptyCounts } from '../../../server/src/org/fleet.js';
import { samplesOf } from '../../helpers/prom.js';

const versions = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`1.${i}.0`, i + 1]));

describe('agent version labels', () => {
  it('keep at most MAX_VERSION_LABELS per township, the most common first, the rest as other', () => {
    const b = boundedVersions(versions);
    expect(b).toHaveLength(MAX_VERSION_LABELS);
    expect(b[0]).toEqual(['1.13.0', 14]);
    expect(b.at(-1)?.[0]).toBe('other');
    expect(b.reduce((n, [, c]) => n + c, 0)).toBe(Object.values(versions).reduce((a, c) => a + c, 0));
    expect(boundedVersions({ '1.0.0': 3 })).toEqual([['1.0.0', 3]]);
  });

  it('reach /metrics bounded, and config series only once desired configs are known', async () => {
    const registry = new Registry();
    let known = false;
    const row = {
      code: 'chengguan',
      nameZh: '城关镇',
      nameEn: 'Chengguan',
      ...emptyCounts(),
      agentVersions: versions,
    };
    registerFleetGauges(
      registry,
      () => [row],
      () => known,
    );
    const text = await registry.metrics();
    expect(samplesOf(text, 'yizhan_fleet_agent_versions')).toHaveLength(MAX_VERSION_LABELS);
    expect(samplesOf(text, 'yizhan_fleet_config')).toEqual([]);
    known = true;
    expect(samplesOf(await registry.metrics(), 'yizhan_fleet_config', { sync: 'never' })).toHaveLength(1);
  });
});
