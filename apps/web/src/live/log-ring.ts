/**
 * The panel's traffic log: the newest `capacity` rows, oldest dropped first and counted.
 * Every row gets a push number `n` (increasing, never reused) so views can tell old rows from new
 * ones with a binary search instead of scanning.
 */
/** A row as pushed: everything but `n`, which the ring assigns (distributed over unions). */
export type Unnumbered<T> = T extends unknown ? Omit<T, 'n'> : never

export class LogRing<T extends { n: number }> {
  private items: T[] = []
  /** Index of the oldest live row in `items`; dropped rows are cut off in batches, not one by one. */
  private head = 0
  private nextN = 1
  /** Rows dropped to stay within capacity since the last clear. */
  dropped = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('capacity must be at least 1')
  }

  get length(): number {
    return this.items.length - this.head
  }

  /** Total rows ever pushed (the next row's `n` minus one). */
  get pushed(): number {
    return this.nextN - 1
  }

  push(row: Unnumbered<T>): T {
    const item = row as unknown as T
    item.n = this.nextN++
    this.items.push(item)
    if (this.length > this.capacity) {
      this.head++
      this.dropped++
      // Splicing one row at a time would make every push O(n); cut in chunks instead.
      if (this.head >= Math.max(1024, this.capacity >> 3)) {
        this.items.splice(0, this.head)
        this.head = 0
      }
    }
    return item
  }

  /** The live rows, oldest first, as a new array (safe to keep while the ring moves on). */
  toArray(): T[] {
    return this.items.slice(this.head)
  }

  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.items[this.head + index] : undefined
  }

  clear() {
    this.items = []
    this.head = 0
    this.dropped = 0
  }
}

/** Index of the first row with `n` greater than `n` in a list sorted by `n`. */
export function firstAfter(rows: readonly { n: number }[], n: number): number {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid]!.n <= n) lo = mid + 1
    else hi = mid
  }
  return lo
}
