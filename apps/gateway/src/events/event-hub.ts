import { randomBytes } from 'node:crypto'
import { type EventInput, type SocklabEvent } from '@socklab/shared'

/**
 * A stored event. Data events keep their raw bytes as a Buffer (`bytes`) and are turned into the wire
 * form (base64 `data`) only when someone reads them, so recording costs no copy on the socket path.
 */
export type StoredEvent = (Omit<SocklabEvent, 'data'> & { data?: string; bytes?: Buffer }) & { seq: number; ts: number }

export interface HubLimits {
  /** Most events kept in memory. */
  maxEvents: number
  /** Most payload bytes kept in memory (raw bytes of data events). */
  maxBytes: number
}

/** Payload slabs (see EventHub.keep). */
const SLAB_SIZE = 1024 * 1024
/** Which slab holds an event's bytes: a symbol key, so JSON never shows it (a WeakMap cost every GC). */
const SLAB = Symbol('slab')
type SlabTagged = { [SLAB]?: number }

export type HubListener = () => void

/**
 * The gateway's history: a ring of recent events with a global sequence number, bounded by count and
 * by bytes. Whatever it evicts is counted (`evicted`). Readers pull by seq; nothing is pushed into
 * per-reader queues, so a slow reader costs no memory.
 */
export class EventHub {
  readonly serverId = randomBytes(6).toString('hex')
  private ring: (StoredEvent | undefined)[]
  private start = 0 // index of the oldest event in `ring`
  private count = 0
  private bytes = 0
  private slabs: { buffer: Buffer; live: number }[] = [{ buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), live: 0 }]
  private freeSlabs: number[] = []
  private slabId = 0
  private slabUsed = 0
  private lastSource?: Buffer
  private lastCopy?: Buffer
  private nextSeq = 1
  evicted = 0
  private listeners = new Set<HubListener>()
  private notifyScheduled = false
  constructor(readonly limits: HubLimits) {
    this.ring = new Array(limits.maxEvents)
  }

  /** seq of the newest event (0 if none yet). */
  get headSeq(): number {
    return this.nextSeq - 1
  }
  /** seq of the oldest event still held (headSeq + 1 when empty). */
  get oldestSeq(): number {
    return this.nextSeq - this.count
  }
  get size(): number {
    return this.count
  }
  get storedBytes(): number {
    return this.bytes
  }

  append(input: EventInput & { bytes?: Buffer }): StoredEvent {
    const event = input as StoredEvent
    event.seq = this.nextSeq++
    event.ts = Date.now()
    if (event.bytes) {
      const kept = this.keep(event.bytes)
      if (kept !== event.bytes || kept === this.lastCopy) (event as SlabTagged)[SLAB] = this.slabId
      event.bytes = kept
    }
    const size = event.bytes?.length ?? 0
    while (this.count > 0 && (this.count >= this.limits.maxEvents || this.bytes + size > this.limits.maxBytes)) this.evictOldest()
    this.ring[(this.start + this.count) % this.ring.length] = event
    this.count++
    this.bytes += size
    this.scheduleNotify()
    return event
  }

  /**
   * Copy a payload into the current slab. A socket read hands us a view of a 64 KiB allocation; keeping
   * thousands of those alive for history made every GC slower (and held up to 4× the bytes we count).
   * Copies into 1 MiB slabs let the read buffers die young; a slab is freed once its events are evicted.
   * The echo and relay paths record the same Buffer twice (in, then out): the second time reuses the copy.
   */
  private keep(bytes: Buffer): Buffer {
    // Same Buffer and still the same bytes (a caller may reuse one buffer for several reads).
    if (bytes === this.lastSource && bytes.equals(this.lastCopy!)) {
      this.slabs[this.slabId]!.live++
      return this.lastCopy!
    }
    if (bytes.length === 0 || bytes.length > SLAB_SIZE / 4) return bytes
    if (this.slabUsed + bytes.length > SLAB_SIZE) this.nextSlab()
    const slab = this.slabs[this.slabId]!
    const copy = slab.buffer.subarray(this.slabUsed, this.slabUsed + bytes.length)
    bytes.copy(copy)
    this.slabUsed += bytes.length
    slab.live++
    this.lastSource = bytes
    this.lastCopy = copy
    return copy
  }

  /** Move to a free slab (reused: fresh pages cost a page fault each), or make one. */
  private nextSlab() {
    const old = this.slabs[this.slabId]!
    if (old.live === 0) this.freeSlabs.push(this.slabId)
    const reused = this.freeSlabs.pop()
    if (reused !== undefined) this.slabId = reused
    else {
      this.slabs.push({ buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), live: 0 })
      this.slabId = this.slabs.length - 1
    }
    this.slabUsed = 0
    this.lastSource = undefined
  }

  private release(e: StoredEvent) {
    const id = (e as SlabTagged)[SLAB]
    if (id === undefined) return
    const slab = this.slabs[id]!
    if (--slab.live === 0 && id !== this.slabId) this.freeSlabs.push(id)
  }

  private evictOldest() {
    const e = this.ring[this.start]!
    this.release(e)
    this.bytes -= e.bytes?.length ?? 0
    this.ring[this.start] = undefined
    this.start = (this.start + 1) % this.ring.length
    this.count--
    this.evicted++
  }

  /** Events with seq > after, oldest first, at most `limit`. */
  after(after: number, limit = Infinity, filter?: (e: StoredEvent) => boolean): StoredEvent[] {
    const out: StoredEvent[] = []
    // seq are integers; a fractional `after` must not index between ring slots.
    const first = Math.max(Math.floor(after) + 1, this.oldestSeq)
    for (let seq = first; seq <= this.headSeq && out.length < limit; seq++) {
      const e = this.ring[(this.start + (seq - this.oldestSeq)) % this.ring.length]!
      if (!filter || filter(e)) out.push(e)
    }
    return out
  }

  /** Listeners hear (once per macrotask at most) that new events exist; they pull them with `after`. */
  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private scheduleNotify() {
    if (this.notifyScheduled || this.listeners.size === 0) return
    this.notifyScheduled = true
    setImmediate(() => {
      this.notifyScheduled = false
      for (const l of this.listeners) l()
    })
  }
}

/** The JSON form of an event, as REST and the WebSocket send it. */
export function toWire(e: StoredEvent): SocklabEvent {
  if (!e.bytes) return e as SocklabEvent
  const { bytes, ...rest } = e
  return { ...rest, data: bytes.toString('base64') } as SocklabEvent
}

/** The JSON form with only the first `maxBytes` of the payload (marked `truncated` when something was cut). */
export function toWirePreview(e: StoredEvent, maxBytes: number): SocklabEvent {
  if (!e.bytes || e.bytes.length <= maxBytes) return toWire(e)
  const { bytes, ...rest } = e
  return { ...rest, data: bytes.subarray(0, maxBytes).toString('base64'), truncated: true } as SocklabEvent
}
