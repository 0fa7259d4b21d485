/**
 * `yz-list`: the moment the first list of stations is on screen (the first useful paint), as a
 * User Timing mark the budget measurement reads (bench/phone-page.ts). Set once, after the frame
 * that shows it.
 */
let marked = false;
export function paintedMark(): void {
  if (marked) return;
  marked = true;
  requestAnimationFrame(() => setTimeout(() => performance.mark('yz-list'), 0));
}
