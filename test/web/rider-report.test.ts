/**
 * The riders' reports pages' pure part (web/src/rider-report.ts): the step a report waits for, what
 * a triage form sends (a reason the rider reads, required but for valid), the AMap link at the
 * rider's location in AMap's own datum, and the monthly bars' series.
 */
import { describe, expect, it } from 'vitest';
import type { ReportCategory, StaffReport } from '../../web/src/api/types.js';
import { amapMarkerUrl, monthSeries, nextStep, triageBody } from '../../web/src/rider-report.js';

const report = (over: Partial<StaffReport> = {}): StaffReport => ({
  id: 1,
  receipt: 'K7M2-9QXD',
  category: 'station_fault',
  categoryName: '驿站设施故障',
  kind: 'station',
  text: '饮水机不出热水',
  stationId: 'st-001',
  stationName: '测试001号驿站',
  townshipCode: 'chengguan',
  township: '城关镇',
  location: null,
  createdAt: 0,
  status: 'received',
  statusName: '已收到',
  decision: null,
  reason: null,
  duplicateOf: null,
  triagedAt: null,
  triagedBy: null,
  workOrderId: null,
  assignee: null,
  department: null,
  resolvedAt: null,
  photos: 0,
  hasContact: false,
  credited: false,
  ...over,
});
const valid = { decision: 'valid' as const, status: 'accepted' as const };

describe('nextStep', () => {
  it.each([
    { name: 'a new report is triaged', over: {}, step: 'triage' },
    { name: 'a valid station problem waits for the crew (its work order was made on triage)', over: { ...valid, workOrderId: 4, status: 'in_progress' as const }, step: 'none' },
    { name: 'a valid street problem is assigned', over: { ...valid, kind: 'street' as const }, step: 'assign' },
    {
      name: 'an assigned street problem is resolved',
      over: { ...valid, kind: 'street' as const, assignee: { id: 3, displayName: '网格员' }, status: 'in_progress' as const },
      step: 'resolve',
    },
    { name: 'a forwarded one too', over: { ...valid, kind: 'street' as const, department: '县城管局' }, step: 'resolve' },
    { name: 'a resolved one is done', over: { ...valid, kind: 'street' as const, department: '县城管局', status: 'resolved' as const }, step: 'none' },
    { name: 'a refused one is done', over: { decision: 'not_valid' as const, status: 'not_valid' as const }, step: 'none' },
  ])('$name', ({ over, step }) => {
    expect(nextStep(report(over))).toBe(step);
  });
});

describe('triageBody', () => {
  it('sends valid without a reason', () => {
    expect(triageBody({ decision: 'valid', reason: ' ', duplicateOf: '' })).toEqual({ decision: 'valid' });
  });
  it('needs a reason for every refusal, and the earlier receipt for a duplicate', () => {
    expect(triageBody({ decision: 'not_valid', reason: '  ', duplicateOf: '' })).toEqual({ missing: 'reason' });
    expect(triageBody({ decision: 'duplicate', reason: '已有人反映', duplicateOf: '' })).toEqual({ missing: 'duplicateOf' });
    expect(triageBody({ decision: 'duplicate', reason: '已有人反映', duplicateOf: ' k7m2-9qxd ' })).toEqual({
      decision: 'duplicate',
      reason: '已有人反映',
      duplicateOf: 'K7M2-9QXD',
    });
    expect(triageBody({ decision: 'outside_remit', reason: '请拨打 12345', duplicateOf: 'X' })).toEqual({
      decision: 'outside_remit',
      reason: '请拨打 12345',
    });
  });
});

describe('amapMarkerUrl', () => {
  it('puts the marker at the GCJ-02 point, lon first, as AMap reads it', () => {
    // Hangzhou: GCJ-02 lies about 0.0046° east and 0.0024° south of WGS-84 here.
    const u = new URL(amapMarkerUrl(30.2741, 120.1551, 'K7M2-9QXD'));
    const [lon, lat] = u.searchParams.get('position')!.split(',').map(Number) as [number, number];
    expect(lon - 120.1551).toBeCloseTo(0.0046, 3);
    expect(lat - 30.2741).toBeCloseTo(-0.0024, 3);
    expect(u.searchParams.get('coordinate')).toBe('gaode');
    expect(u.searchParams.get('name')).toBe('K7M2-9QXD');
  });
});

describe('monthSeries', () => {
  it('sums valid reports per category and month over townships, months in order, missing months 0', () => {
    const row = (month: string, category: ReportCategory, valid: number, townshipCode = 'chengguan') => ({
      month,
      townshipCode,
      township: townshipCode,
      category,
      categoryName: category === 'road_damage' ? '道路破损' : '驿站设施故障',
      received: valid + 1,
      valid,
      medianAnswerS: null,
    });
    expect(
      monthSeries([
        row('2026-11', 'road_damage', 2),
        row('2026-10', 'station_fault', 1),
        row('2026-11', 'road_damage', 3, 'xintang'),
      ]),
    ).toEqual({
      months: ['2026-10', '2026-11'],
      series: [
        { category: 'road_damage', name: '道路破损', valid: [0, 5] },
        { category: 'station_fault', name: '驿站设施故障', valid: [1, 0] },
      ],
    });
  });
});
