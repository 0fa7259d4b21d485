/**
 * The writer's memory queue: lines in arrival order, taken from the front. An array with a head
 * index, so taking lines costs what is taken, not what stays: `Array.splice(0, n)` moves every
 * line behind, which at a full queue (100,000 lines while InfluxDB is slow) cost more than the
 * rest of the ingest path, once per message, as the oldest lines spilled to the spool.
 */
export class LineQueue {
  private items: (string | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(lines: readonly string[]): void {
    for (const l of lines) this.items.push(l);
  }

  /** Remove and return the first `n` lines (all of them when `n` is at least the length). */
  take(n: number = Infinity): string[] {
    const end = Math.min(this.items.length, this.head + Math.max(0, n));
    const out: string[] = [];
    for (let i = this.head; i < end; i++) {
      out.push(this.items[i] ?? '');
      this.items[i] = undefined;
    }
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Drop the emptied front once it is most of the array (amortised: each line moves once).
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Put lines back at the front, in their order (before everything queued). */
  unshift(lines: readonly string[]): void {
    if (lines.length <= this.head) {
      this.head -= lines.length;
      for (let i = 0; i < lines.length; i++) this.items[this.head + i] = lines[i];
      return;
    }
    this.items = [...lines, ...this.items.slice(this.head)];
    this.head = 0;
  }
}
