/**
 * Keys in least-recently-used order. The order is a queue of its own (key and stamp; a key used
 * again gets a new entry and its old one goes stale), not a Map's insertion order: the oldest key
 * of a Map is found by iterating from its start over the holes its deletions left, until V8
 * compacts the table; with one deletion per message that cost 20 to 60 µs per message.
 */
export class UseOrder {
  /** Key → stamp of its newest entry in the queue. */
  private readonly stampOf = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private stamps: number[] = [];
  private head = 0;
  private stamp = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.stampOf.size;
  }

  has(key: string): boolean {
    return this.stampOf.has(key);
  }

  /** Mark `key` as the most recently used (adding it when new). */
  use(key: string): void {
    const s = ++this.stamp;
    this.stampOf.set(key, s);
    this.keys.push(key);
    this.stamps.push(s);
    // Keys used again leave stale entries behind; keep the queue within twice the capacity.
    if (this.keys.length - this.head > 2 * this.capacity + 1024) this.dropStale();
  }

  /** Forget the least recently used key and return it. */
  evictOldest(): string | undefined {
    let out: string | undefined;
    while (this.head < this.keys.length) {
      const key = this.keys[this.head];
      const s = this.stamps[this.head];
      this.keys[this.head] = undefined;
      this.head++;
      if (key !== undefined && this.stampOf.get(key) === s) {
        this.stampOf.delete(key);
        out = key;
        break;
      }
    }
    if (this.head >= 1024 && this.head * 2 >= this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private dropStale(): void {
    const keys: string[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const key = this.keys[i];
      const s = this.stamps[i];
      if (key !== undefined && s !== undefined && this.stampOf.get(key) === s) {
        keys.push(key);
        stamps.push(s);
      }
    }
    this.keys = keys;
    this.stamps = stamps;
    this.head = 0;
  }
}
