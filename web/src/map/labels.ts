/**
 * Which point labels a map can show without overlap: each label is a box to the right of its dot
 *
 *        ●  ┌──────────────┐
 *           │ 城关东门驿站 │   height LABEL_H, width from the name's length
 *           └──────────────┘
 *
 * or, when that box would leave the map or overlap, to the left of it; placed in the order given
 * (earlier points win). A label that fits on neither side is left to hover or tap. Screen pixels,
 * as Leaflet's latLngToContainerPoint gives them.
 */
export interface LabelPoint {
  x: number;
  y: number;
  name: string;
}

export const LABEL_H = 22;
/** Gap from the dot's centre to the label's left edge (the tooltip offset plus its arrow). */
export const LABEL_DX = 14;
/** Width of one CJK character at the label's font size, plus the box's padding. */
const CHAR_W = 13;
const PAD_W = 14;

export function labelWidth(name: string): number {
  let w = PAD_W;
  for (const ch of name) w += ch.charCodeAt(0) > 0x2e80 ? CHAR_W : CHAR_W * 0.6;
  return Math.ceil(w);
}

type Box = { x0: number; y0: number; x1: number; y1: number };
export type Side = 'right' | 'left';

/** The side each shown label goes on, by point index; points without an entry are not labelled. */
export function placeLabels(points: readonly LabelPoint[], mapWidth = Infinity): Map<number, Side> {
  const placed: Box[] = [];
  const shown = new Map<number, Side>();
  const boxOn = (p: LabelPoint, side: Side): Box => {
    const w = labelWidth(p.name);
    const x0 = side === 'right' ? p.x + LABEL_DX : p.x - LABEL_DX - w;
    return { x0, y0: p.y - LABEL_H / 2, x1: x0 + w, y1: p.y + LABEL_H / 2 };
  };
  const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  points.forEach((p, i) => {
    for (const side of ['right', 'left'] as const) {
      const box = boxOn(p, side);
      if (box.x0 < 0 || box.x1 > mapWidth || placed.some((b) => overlaps(box, b))) continue;
      // A label must not cover another point's dot (6 px radius) either.
      if (points.some((q, j) => j !== i && overlaps(box, { x0: q.x - 6, y0: q.y - 6, x1: q.x + 6, y1: q.y + 6 }))) continue;
      placed.push(box);
      shown.set(i, side);
      return;
    }
  });
  return shown;
}
