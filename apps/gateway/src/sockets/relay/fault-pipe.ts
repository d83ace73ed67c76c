import type { Socket } from 'node:net'
import { passesStraight, type WayFaults } from '../relay-faults.ts'

/** Stop reading the source while this many bytes wait inside the pipe… */
export const PIPE_HIGH_WATER = 256 * 1024
/** …and read again once it is down to this. */
export const PIPE_LOW_WATER = 64 * 1024
/** A bandwidth limit paces writes in slices of about this much time. */
const SLICE_MS = 50
const MAX_SLICE = 64 * 1024

export type WriteOrigin = 'relay' | 'inject'

export interface PipeHooks {
  /** A chunk was read from the source; `forwarded`: it is being written on at once, unchanged (`wrote` is not called for it). */
  read(chunk: Buffer, forwarded: boolean): void
  /** The bytes of a forwarded chunk, for the destination's counters (nothing to record). */
  forwarded(chunk: Buffer): void
  /** A piece is being written to the destination. */
  wrote(piece: Buffer, origin: WriteOrigin): void
  /** The source sent FIN and everything before it was written: FIN is now passed on. */
  finPassed(): void
  /** Bytes thrown away because the destination is gone (cut or closed). */
  dropped(bytes: number): void
}

interface Pending {
  buf: Buffer
  origin: WriteOrigin
}

/**
 * One way of a relay pair (source socket → destination socket) with faults applied on the way:
 * latency → coalescing → splitting / bandwidth pacing → write. With no faults a chunk is written the
 * moment it is read (the fast path, like `pipe()`), and recorded once, as read, marked forwarded. Either way the source is paused while the
 * destination's buffer is full or too much waits here, so memory stays bounded.
 */
export class FaultPipe {
  private faults: WayFaults
  private straight: boolean
  private delayed: { buf: Buffer; due: number }[] = []
  private batch: Buffer[] = []
  private batchDue = 0
  private out: Pending[] = []
  private queued = 0
  private nextFreeAt = 0
  private gapDue = 0
  private timer?: NodeJS.Timeout
  private paused = false
  private sourceEnded = false
  private finSent = false
  /** The destination can take no more (cut, closed): everything is dropped from now on. */
  private gone = false
  private closed = false

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    faults: WayFaults,
    private readonly hooks: PipeHooks,
  ) {
    this.faults = faults
    this.straight = passesStraight(faults)
    src.on('data', (chunk: Buffer) => this.onData(chunk))
    dst.on('drain', () => {
      if (!this.straight || this.queued) this.pump()
      this.flow()
    })
  }

  /** Change the faults while running; chunks already held keep the delay they were given. */
  setFaults(faults: WayFaults) {
    this.faults = faults
    this.straight = passesStraight(faults)
    this.nextFreeAt = Math.min(this.nextFreeAt, Date.now())
    this.pump()
  }

  /** Bytes waiting inside the pipe (not counting the destination socket's own buffer). */
  get waiting(): number {
    return this.queued
  }

  get isGone(): boolean {
    return this.gone
  }

  private onData(chunk: Buffer) {
    // The fast path: nothing to reshape or wait for, so the chunk goes on as it came (one event, not two).
    if (this.straight && this.queued === 0 && !this.gone) {
      this.hooks.read(chunk, true)
      this.hooks.forwarded(chunk)
      if (!this.dst.write(chunk)) this.flow()
      return
    }
    this.hooks.read(chunk, false)
    if (this.gone) return this.hooks.dropped(chunk.length)
    this.queued += chunk.length
    if (this.faults.latencyMs) this.delayed.push({ buf: chunk, due: Date.now() + this.faults.latencyMs })
    else this.toBatch(chunk, Date.now())
    this.pump()
  }

  /** Bytes typed by a person: after anything already on its way, past latency/coalescing, still paced/split. */
  inject(bytes: Buffer) {
    this.queued += bytes.length
    this.out.push({ buf: bytes, origin: 'inject' })
    this.pump()
  }

  /** The source sent FIN (or is gone): pass FIN on once everything before it is written. */
  endSource() {
    if (this.sourceEnded) return
    this.sourceEnded = true
    this.pump()
  }

  /** The destination is cut or closed: drop what waits and everything that still arrives. */
  destinationGone() {
    if (this.gone) return
    this.gone = true
    const dropped = this.queued
    this.clearQueues()
    if (dropped) this.hooks.dropped(dropped)
    this.flow()
  }

  /** Stop all timers; called when the pair is finished. */
  close() {
    this.closed = true
    this.gone = true
    this.clearQueues()
  }

  private clearQueues() {
    this.delayed = []
    this.batch = []
    this.out = []
    this.queued = 0
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private toBatch(buf: Buffer, now: number) {
    if (!this.faults.coalesceMs) return this.out.push({ buf, origin: 'relay' })
    if (this.batch.length === 0) this.batchDue = now + this.faults.coalesceMs
    this.batch.push(buf)
  }

  private flushBatch() {
    const buf = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch)
    this.batch = []
    this.out.push({ buf, origin: 'relay' })
  }

  /** Largest piece one write may carry under the current split and bandwidth settings. */
  private pieceLimit(): number {
    const f = this.faults
    let limit = Infinity
    if (f.splitBytes) limit = f.splitBytes
    if (f.bytesPerSecond) limit = Math.min(limit, Math.max(1, Math.min(MAX_SLICE, Math.floor((f.bytesPerSecond * SLICE_MS) / 1000))))
    return limit
  }

  private pump() {
    if (this.closed) return
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const f = this.faults
    const now = Date.now()
    while (this.delayed.length && this.delayed[0]!.due <= now) this.toBatch(this.delayed.shift()!.buf, now)
    // Coalescing switched off while a batch was forming: let it go now.
    if (this.batch.length && (!f.coalesceMs || now >= this.batchDue)) this.flushBatch()

    while (this.out.length && !this.gone) {
      if (this.dst.writableNeedDrain) break // 'drain' pumps again
      if (f.bytesPerSecond && now < this.nextFreeAt) break
      if (f.splitBytes && f.splitGapMs && now < this.gapDue) break
      const item = this.out[0]!
      const limit = this.pieceLimit()
      let piece = item.buf
      if (piece.length > limit) {
        item.buf = piece.subarray(limit)
        piece = piece.subarray(0, limit)
      } else this.out.shift()
      this.queued -= piece.length
      this.hooks.wrote(piece, item.origin)
      this.dst.write(piece)
      if (f.bytesPerSecond) this.nextFreeAt = Math.max(now, this.nextFreeAt) + (piece.length * 1000) / f.bytesPerSecond
      if (f.splitBytes && f.splitGapMs) this.gapDue = now + f.splitGapMs
    }

    let wake = Infinity
    if (this.delayed.length) wake = this.delayed[0]!.due
    if (this.batch.length) wake = Math.min(wake, this.batchDue)
    if (this.out.length && !this.gone && !this.dst.writableNeedDrain) {
      wake = Math.min(wake, Math.max(f.bytesPerSecond ? this.nextFreeAt : 0, f.splitBytes && f.splitGapMs ? this.gapDue : 0, now))
    }
    if (wake < Infinity) this.timer = setTimeout(() => this.pump(), Math.max(0, Math.ceil(wake - now)))

    if (this.sourceEnded && !this.finSent && this.queued === 0 && !this.gone) {
      this.finSent = true
      if (!this.dst.destroyed && !this.dst.writableEnded) this.dst.end()
      this.hooks.finPassed()
    }
    this.flow()
  }

  /** Backpressure: pause the source while the destination is full or too much waits here. */
  private flow() {
    if (this.closed || this.src.destroyed) return
    const full = !this.gone && (this.dst.writableNeedDrain || this.queued > PIPE_HIGH_WATER)
    if (full && !this.paused) {
      this.paused = true
      this.src.pause()
    } else if (!full && this.paused && (this.gone || this.queued <= PIPE_LOW_WATER)) {
      this.paused = false
      this.src.resume()
    }
  }
}
