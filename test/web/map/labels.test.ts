import { describe, expect, it } from 'vitest';
import { LABEL_DX, LABEL_H, labelWidth, placeLabels } from '../../../web/src/map/labels.js';

const NAME = '城关东门驿站';

describe('placeLabels', () => {
  it.each([
    ['points far apart: every label', [{ x: 0, y: 0 }, { x: 0, y: 100 }, { x: 300, y: 0 }], [0, 1, 2]],
    ['the same place: only the first', [{ x: 50, y: 50 }, { x: 50, y: 50 }], [0]],
    ['a label that would cover the next dot goes left of its own', [{ x: 200, y: 0 }, { x: 240, y: 0 }], [0, 1]],
    ['rows just a label apart: both', [{ x: 0, y: 0 }, { x: 0, y: LABEL_H }], [0, 1]],
    ['rows closer than a label: the first', [{ x: 0, y: 0 }, { x: 0, y: LABEL_H - 4 }], [0]],
  ])('%s', (_what, pts, want) => {
    expect([...placeLabels(pts.map((p) => ({ ...p, name: NAME }))).keys()].sort()).toEqual(want);
  });

  it.each([
    ['room on the right', 10, 'right'],
    ['at the right edge of the map: on the left', 390, 'left'],
  ] as const)('%s', (_what, x, side) => {
    expect(placeLabels([{ x, y: 50, name: NAME }], 400).get(0)).toBe(side);
  });

  it('leaves unlabelled a point with no room on either side', () => {
    const pts = [{ x: 200, y: 50 }, { x: 160, y: 50 }, { x: 240, y: 50 }].map((p) => ({ ...p, name: NAME }));
    expect(placeLabels(pts, 400).has(0)).toBe(false);
  });

  it('never shows two overlapping labels among 200 crowded points', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 400;
    const pts = Array.from({ length: 200 }, (_, i) => ({ x: rnd(), y: rnd(), name: `驿站${i}` }));
    const placed = placeLabels(pts, 400);
    const boxes = [...placed].map(([i, side]) => {
      const p = pts[i]!;
      const w = labelWidth(p.name);
      const x0 = side === 'right' ? p.x + LABEL_DX : p.x - LABEL_DX - w;
      return { x0, x1: x0 + w, y: p.y };
    });
    expect(boxes.length).toBeGreaterThan(10);
    for (const b of boxes) expect(b.x0 >= 0 && b.x1 <= 400).toBe(true);
    for (const a of boxes)
      for (const b of boxes) {
        if (a === b) continue;
        expect(a.x1 <= b.x0 || b.x1 <= a.x0 || Math.abs(a.y - b.y) >= LABEL_H).toBe(true);
      }
  });

  it('measures Chinese names wider than Latin ones of the same length', () => {
    expect(labelWidth('城关东门')).toBeGreaterThan(labelWidth('abcd'));
  });
});
