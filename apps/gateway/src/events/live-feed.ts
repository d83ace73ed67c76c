import type { EndpointDetail, ServerMessage, SocklabEvent } from '@socklab/shared'
import { toWire, toWirePreview, type EventHub, type StoredEvent } from './event-hub.ts'

/** Where a feed writes: a WebSocket in the gateway, anything with the same shape in tests. */
export interface FeedSink {
  send(text: string): void
  /** Bytes queued but not yet sent; the feed waits while this is high instead of queueing more. */
  bufferedAmount(): number
}

/** Which events a viewer sees. */
export interface ViewFilter {
  (e: StoredEvent): boolean
  /** The same rule for data events, by endpoint, so the hub can skip them without building them. */
  dataOf?: (endpointId: string | undefined) => boolean
}

export interface FeedLimits {
  /** A fresh viewer gets at most this many recent events (the rest is announced as a gap). */
  initialHistory: number
  /** Per message. */
  maxBatchEvents: number
  maxBatchBytes: number
  /** Stop sending while the socket holds this many unsent bytes. */
  highWaterBytes: number
  /** Wait this long to gather events into one message (about a frame). */
  batchDelayMs: number
  /**
   * Payload bytes per second one viewer gets in full (also the burst). Beyond it, data events still arrive
   * (every event, in order) but carry only `previewBytes` of their payload, marked `truncated`: a person cannot
   * read faster, and base64 + JSON for hundreds of MB/s would take the event loop away from the sockets.
   */
  payloadBytesPerSecond: number
  previewBytes: number
}

export const DEFAULT_FEED_LIMITS: FeedLimits = {
  initialHistory: 5000,
  maxBatchEvents: 1000,
  maxBatchBytes: 512 * 1024,
  highWaterBytes: 1024 * 1024,
  batchDelayMs: 30,
  payloadBytesPerSecond: 2 * 1024 * 1024,
  previewBytes: 64,
}

/**
 * One viewer's view of the hub. It holds only a cursor (the last seq sent): events are pulled from the
 * hub's ring when the viewer's socket can take them. A viewer that falls behind the ring is told how
 * many events it missed (`gap`) and continues from the oldest still held — it never slows the sockets
 * and never costs more memory than the ring itself.
 */
export class LiveFeed {
  private cursor = -1
  private timer?: NodeJS.Timeout
  private unsubscribe?: () => void
  private closed = false
  /** Payload bytes this viewer may still receive in full (a token bucket refilled with time). */
  private budget: number
  private budgetAt = performance.now()

  constructor(
    private readonly hub: EventHub,
    private readonly sink: FeedSink,
    private readonly snapshot: () => EndpointDetail[],
    private readonly visible: ViewFilter = () => true,
    private readonly limits: FeedLimits = DEFAULT_FEED_LIMITS,
  ) {
    this.budget = limits.payloadBytesPerSecond
  }

  /** Start (or restart) the feed: a welcome with the current state, then history after `after`, then live. */
  hello(after?: number, serverId?: string) {
    const hub = this.hub
    const resumed = after !== undefined && serverId === hub.serverId && after <= hub.headSeq
    const welcome: ServerMessage = {
      type: 'welcome',
      serverId: hub.serverId,
      snapshotSeq: hub.headSeq,
      oldestSeq: hub.oldestSeq,
      endpoints: this.snapshot(),
      evicted: hub.evicted,
      resumed,
    }
    this.send(welcome)
    if (resumed) this.cursor = after!
    else {
      const from = Math.max(hub.oldestSeq - 1, hub.headSeq - this.limits.initialHistory)
      if (from > hub.oldestSeq - 1) {
        this.send({ type: 'gap', fromSeq: hub.oldestSeq, toSeq: from, missed: from - hub.oldestSeq + 1, reason: 'history-limit' })
      }
      this.cursor = from
    }
    this.unsubscribe ??= hub.subscribe(() => this.schedule(this.limits.batchDelayMs))
    this.pump()
  }

  close() {
    this.closed = true
    this.unsubscribe?.()
    clearTimeout(this.timer)
  }

  private send(msg: ServerMessage) {
    this.sink.send(JSON.stringify(msg))
  }

  private schedule(delay: number) {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pump()
    }, delay)
  }

  private pump() {
    if (this.closed || this.cursor < 0) return
    if (this.sink.bufferedAmount() > this.limits.highWaterBytes) return this.schedule(this.limits.batchDelayMs)
    const hub = this.hub
    if (this.cursor < hub.oldestSeq - 1) {
      const missed = hub.oldestSeq - 1 - this.cursor
      this.send({ type: 'gap', fromSeq: this.cursor + 1, toSeq: hub.oldestSeq - 1, missed, reason: 'evicted' })
      this.cursor = hub.oldestSeq - 1
    }
    if (this.cursor >= hub.headSeq) return
    const now = performance.now()
    const rate = this.limits.payloadBytesPerSecond
    this.budget = Math.min(rate, this.budget + ((now - this.budgetAt) / 1000) * rate)
    this.budgetAt = now
    const batch: SocklabEvent[] = []
    let bytes = 0
    const max = this.limits.maxBatchEvents
    const events = hub.after(this.cursor, max, { dataOf: this.visible.dataOf })
    // A short answer means the hub was read to its head (skipped events included); else up to the last one.
    let last = events.length < max ? hub.headSeq : events[events.length - 1]!.seq
    for (const e of events) {
      if (!this.visible(e)) continue
      const size = e.bytes?.length ?? 0
      if (size <= this.budget) {
        this.budget -= size
        batch.push(toWire(e))
        bytes += size
      } else {
        batch.push(toWirePreview(e, this.limits.previewBytes))
        bytes += this.limits.previewBytes
      }
      if (bytes >= this.limits.maxBatchBytes) {
        last = e.seq
        break
      }
    }
    this.cursor = last
    if (batch.length) this.sink.send(JSON.stringify({ type: 'events', events: batch }))
    if (this.cursor < hub.headSeq) this.schedule(0)
  }
}
