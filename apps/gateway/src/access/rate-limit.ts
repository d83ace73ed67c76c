/**
 * Two small limiters, both lazy (no timers: state is brought up to date when a key is used) and
 * bounded in memory (stale keys are dropped when the table grows).
 */

const MAX_KEYS = 10_000

export type Take = { ok: true } | { ok: false; retryAfterMs: number }

/** Token bucket per key: `perSecond` sustained, bursts up to `burst`. Used for commands per person. */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    readonly perSecond: number,
    readonly burst: number = perSecond,
  ) {}

  take(key: string, now = Date.now()): Take {
    let b = this.buckets.get(key)
    if (!b) {
      if (this.buckets.size >= MAX_KEYS) this.prune(now)
      b = { tokens: this.burst, at: now }
      this.buckets.set(key, b)
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond)
    b.at = now
    if (b.tokens >= 1) {
      b.tokens -= 1
      return { ok: true }
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.perSecond) * 1000) }
  }

  private prune(now: number) {
    // A bucket that has refilled completely carries no information.
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k)
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear()
  }
}

/** Failures per key in a sliding window; once `max` are reached the key is blocked until the oldest expires. Used for logins. */
export class FailureWindow {
  private readonly failures = new Map<string, number[]>()

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** 0 when the key may try again, otherwise how long it must wait. */
  blockedFor(key: string, now = Date.now()): number {
    const list = this.recent(key, now)
    if (list.length < this.max) return 0
    return list[0]! + this.windowMs - now
  }

  fail(key: string, now = Date.now()) {
    const list = this.recent(key, now)
    if (!this.failures.has(key)) {
      if (this.failures.size >= MAX_KEYS) this.prune(now)
      this.failures.set(key, list)
    }
    list.push(now)
    if (list.length > this.max) list.shift()
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key) ?? []
    while (list.length && list[0]! <= now - this.windowMs) list.shift()
    if (list.length === 0) this.failures.delete(key)
    return list
  }

  private prune(now: number) {
    for (const k of [...this.failures.keys()]) this.recent(k, now)
    if (this.failures.size >= MAX_KEYS) this.failures.clear()
  }
}
