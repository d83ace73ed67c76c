import type { ErrorInfo, Repeat, RepeatInfo, SendBody, SendResult } from '@socklab/shared'
import { describeError } from './socket-error.ts'

/** What a repeat needs from its endpoint. */
export interface RepeatHost {
  /** Send already-encoded bytes to the target the body names; throws (or rejects) when it cannot. */
  deliver(bytes: Buffer, body: SendBody, origin: string): SendResult | Promise<SendResult>
  /**
   * True while the target still holds an earlier copy in its send buffer (a TCP peer that does not read):
   * that tick is skipped, so such a peer costs us at most one buffered copy, not one per tick.
   */
  busy?(body: SendBody): boolean
  /** The set of running repeats (or a count) changed: tell every viewer. */
  changed(): void
  /** A repeat stopped because a send failed. */
  failed(error: ErrorInfo): void
}

/** While a fast repeat runs, viewers hear its `sent` count at most this often (every send is its own data event anyway). */
const PROGRESS_EVERY_MS = 1000

interface Run {
  readonly target: string
  readonly repeat: Repeat
  readonly bytes: Buffer
  readonly body: SendBody
  readonly startedAt: number
  /** When the next send is due. */
  nextAt: number
  sent: number
  timer?: NodeJS.Timeout
  stopped: boolean
}

/**
 * Timed resend for one endpoint: at most one run per target; a new one replaces it. Each send is the
 * endpoint's ordinary send with origin `repeat`. Sends are due every interval from the start, so timer
 * latency does not add up; a send never starts while the previous one is in flight; after falling behind
 * (a slow send, a busy loop) the next send goes at once and the series continues from there, without a burst.
 */
export class RepeatSender {
  private readonly runs = new Map<string, Run>()
  private lastProgressAt = 0
  /** Set when the endpoint stops: a start still awaiting its first send must not leave a timer behind. */
  private closed = false

  constructor(private readonly host: RepeatHost) {}

  /** Send once now; if that worked and more are due, keep going on the timer. The first send's failure is the caller's error. */
  async start(target: string, bytes: Buffer, body: SendBody, repeat: Repeat): Promise<SendResult> {
    const replaced = this.cancel(target)
    const now = Date.now()
    const run: Run = { target, repeat, bytes, body, startedAt: now, nextAt: now, sent: 0, stopped: false }
    let result: SendResult
    try {
      result = await this.host.deliver(bytes, body, 'repeat')
    } catch (err) {
      if (replaced) this.host.changed()
      throw err
    }
    run.sent = 1
    // Another start for this target may have begun while we awaited: the later request wins, this one ends here.
    const raced = this.cancel(target)
    if (this.closed || (repeat.count !== undefined && run.sent >= repeat.count)) {
      if (replaced || raced) this.host.changed()
      return { ...result, repeat: this.describe(run) }
    }
    this.runs.set(target, run)
    this.schedule(run)
    this.lastProgressAt = Date.now()
    this.host.changed()
    return { ...result, repeat: this.describe(run) }
  }

  /** Stop the run for `target`, or every run. Returns how many stopped. */
  stop(target?: string): number {
    let n = 0
    if (target === undefined) for (const t of [...this.runs.keys()]) n += this.cancel(t) ? 1 : 0
    else n = this.cancel(target) ? 1 : 0
    if (n > 0) this.host.changed()
    return n
  }

  /** The endpoint is stopping: stop every run and refuse to schedule more. */
  close(): number {
    this.closed = true
    return this.stop()
  }

  info(): RepeatInfo[] {
    return [...this.runs.values()].map((r) => this.describe(r))
  }

  get size(): number {
    return this.runs.size
  }

  private cancel(target: string): boolean {
    const run = this.runs.get(target)
    if (!run) return false
    run.stopped = true
    clearTimeout(run.timer)
    run.timer = undefined
    this.runs.delete(target)
    return true
  }

  private schedule(run: Run) {
    const now = Date.now()
    run.nextAt = Math.max(run.nextAt + run.repeat.intervalMs, now)
    run.timer = setTimeout(() => void this.tick(run), run.nextAt - now)
  }

  private async tick(run: Run) {
    run.timer = undefined
    if (run.stopped) return
    try {
      if (this.host.busy?.(run.body)) {
        this.schedule(run)
        return
      }
      await this.host.deliver(run.bytes, run.body, 'repeat')
    } catch (err) {
      if (run.stopped) return
      const e = describeError(err)
      this.cancel(run.target)
      this.host.failed({ code: e.code, message: `repeat to ${run.target} stopped after ${run.sent} sends: ${e.message}` })
      this.host.changed()
      return
    }
    if (run.stopped) return
    run.sent++
    if (run.repeat.count !== undefined && run.sent >= run.repeat.count) {
      this.cancel(run.target)
      this.host.changed()
      return
    }
    this.schedule(run)
    const now = Date.now()
    if (now - this.lastProgressAt >= PROGRESS_EVERY_MS) {
      this.lastProgressAt = now
      this.host.changed()
    }
  }

  private describe(run: Run): RepeatInfo {
    return {
      target: run.target,
      intervalMs: run.repeat.intervalMs,
      ...(run.repeat.count !== undefined ? { count: run.repeat.count } : {}),
      sent: run.sent,
      bytes: run.bytes.length,
      startedAt: run.startedAt,
    }
  }
}
