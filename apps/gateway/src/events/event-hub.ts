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
/** Payloads kept in slabs; an empty one or one over a quarter slab stays its own Buffer. */
const fitsSlab = (size: number) => size > 0 && size <= SLAB_SIZE / 4
/** Ring slots are allocated as the history grows (doubling), up to `maxEvents`. */
const FIRST_CAPACITY = 1024

/** Data-event fields stored as bits of one byte in the compact form. */
const OUT = 1
const LEG_CLIENT = 2
const LEG_TARGET = 4
const FORWARDED = 8

/** The shape of the data events sockets record (TCP, relay, HTTP): what the compact form can hold. */
type DataInput = {
  type: 'data'
  endpointId?: string
  connectionId?: string
  direction: 'in' | 'out'
  size: number
  total: number
  bytes: Buffer
  leg?: 'client' | 'target'
  origin?: string
  forwarded?: boolean
  peer?: unknown
}

export type HubListener = () => void

/** What `EventHub.after` returns beyond a seq. */
export interface HistoryQuery {
  /** Only this endpoint's events. */
  endpointId?: string
  /** Nothing after this seq. */
  until?: number
  /** Data events of endpoints this returns false for are skipped (a viewer's access rule, checked on the columns). */
  dataOf?: (endpointId: string | undefined) => boolean
  filter?: (e: StoredEvent) => boolean
}

/**
 * The gateway's history: a ring of recent events with a global sequence number, bounded by count and
 * by bytes. Whatever it evicts is counted (`evicted`). Readers pull by seq; nothing is pushed into
 * per-reader queues, so a slow reader costs no memory.
 *
 * Data events — nearly all of the history under load — are kept in a compact form: their fields in typed
 * arrays beside the ring and their bytes in payload slabs, so recording a chunk leaves no JS object alive.
 * (Holding 64 MiB of history as event objects made V8 run a full GC every ~50 ms while relaying: the relay
 * ran at 0.6× a bare proxy.) `after()` builds the event objects when someone reads them. Other events
 * (listen, accept, close, UDP datagrams with their peer…) are few and stay objects.
 */
export class EventHub {
  readonly serverId = randomBytes(6).toString('hex')
  private capacity = 0
  private start = 0 // slot of the oldest event
  private count = 0
  private bytes = 0
  // One slot per event; `objects[slot]` set means the event is an object, otherwise the compact columns hold it.
  private objects: (StoredEvent | undefined)[] = []
  private endpointIds: (string | undefined)[] = []
  private connectionIds: (string | undefined)[] = []
  private tsCol = new Float64Array(0)
  private totalCol = new Float64Array(0)
  private slabCol = new Int32Array(0)
  private offsetCol = new Int32Array(0)
  private sizeCol = new Int32Array(0)
  private flagsCol = new Uint8Array(0)
  private originCol = new Uint8Array(0)
  /** Origins seen on data events ('send', 'reply', 'relay'…); a column holds the index + 1. */
  private origins: string[] = []
  private slabs: { buffer: Buffer; live: number }[] = [{ buffer: Buffer.allocUnsafeSlow(SLAB_SIZE), live: 0 }]
  private freeSlabs: number[] = []
  private slabId = 0
  private slabUsed = 0
  private lastSource?: Buffer
  private lastOffset = 0
  private nextSeq = 1
  evicted = 0
  private listeners = new Set<HubListener>()
  private notifyScheduled = false
  constructor(readonly limits: HubLimits) {
    this.grow(Math.min(limits.maxEvents, FIRST_CAPACITY))
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

  /**
   * Record an event; returns it stamped with `seq` and `ts`. A data event's returned object is not what the
   * hub keeps (it keeps the compact form), so changing it later changes nothing.
   */
  append(input: EventInput & { bytes?: Buffer }): StoredEvent {
    const event = input as StoredEvent
    event.seq = this.nextSeq++
    event.ts = Date.now()
    const size = event.bytes?.length ?? 0
    while (this.count > 0 && (this.count >= this.limits.maxEvents || this.bytes + size > this.limits.maxBytes)) this.evictOldest()
    if (this.count === this.capacity) this.grow(Math.min(this.limits.maxEvents, this.capacity * 2))
    const slot = (this.start + this.count) % this.capacity
    if (!this.storeCompact(slot, input as DataInput)) {
      this.objects[slot] = event
      if (event.bytes && fitsSlab(size)) {
        this.keep(event.bytes)
        // Kept in a slab after all (an event with a peer or an unusual origin): point at the copy.
        event.bytes = this.slabs[this.slabId]!.buffer.subarray(this.lastOffset, this.lastOffset + size)
        this.slabCol[slot] = this.slabId
      } else this.slabCol[slot] = -1
    }
    this.count++
    this.bytes += size
    this.scheduleNotify()
    return event
  }

  /** Store a data event in the columns; false if it does not fit the compact form. */
  private storeCompact(slot: number, e: DataInput): boolean {
    if (e.type !== 'data' || e.peer !== undefined || !e.bytes || e.size !== e.bytes.length || !fitsSlab(e.size)) return false
    let origin = 0
    if (e.origin !== undefined) {
      origin = this.origins.indexOf(e.origin) + 1
      if (origin === 0) {
        if (this.origins.length >= 255) return false
        origin = this.origins.push(e.origin)
      }
    }
    this.keep(e.bytes)
    this.objects[slot] = undefined
    this.endpointIds[slot] = e.endpointId
    this.connectionIds[slot] = e.connectionId
    this.tsCol[slot] = (e as unknown as StoredEvent).ts
    this.totalCol[slot] = e.total
    this.slabCol[slot] = this.slabId
    this.offsetCol[slot] = this.lastOffset
    this.sizeCol[slot] = e.size
    this.originCol[slot] = origin
    this.flagsCol[slot] =
      (e.direction === 'out' ? OUT : 0) |
      (e.leg === 'client' ? LEG_CLIENT : e.leg === 'target' ? LEG_TARGET : 0) |
      (e.forwarded ? FORWARDED : 0)
    return true
  }

  /** The event in `slot` as an object (built from the columns for a compact data event). */
  private eventAt(slot: number, seq: number): StoredEvent {
    const stored = this.objects[slot]
    if (stored) return stored
    const flags = this.flagsCol[slot]!
    const offset = this.offsetCol[slot]!
    const size = this.sizeCol[slot]!
    const e: Record<string, unknown> = { type: 'data', endpointId: this.endpointIds[slot] }
    const connectionId = this.connectionIds[slot]
    if (connectionId !== undefined) e.connectionId = connectionId
    if (flags & (LEG_CLIENT | LEG_TARGET)) e.leg = flags & LEG_CLIENT ? 'client' : 'target'
    e.direction = flags & OUT ? 'out' : 'in'
    e.size = size
    e.total = this.totalCol[slot]
    const origin = this.originCol[slot]!
    if (origin) e.origin = this.origins[origin - 1]
    if (flags & FORWARDED) e.forwarded = true
    e.bytes = this.slabs[this.slabCol[slot]!]!.buffer.subarray(offset, offset + size)
    e.seq = seq
    e.ts = this.tsCol[slot]
    return e as StoredEvent
  }

  /**
   * Copy a payload (one that `fitsSlab`) into the current slab; its place is then `slabId`, `lastOffset`.
   * Keeping the sockets' read Buffers themselves (each its own ArrayBuffer) cost more than the copy: V8
   * tracks and frees every one (relay: 3.0 CPU s/GB kept, 1.85 copied). Copies into 1 MiB slabs let the read
   * buffers die young; a slab is reused once its events are evicted. The echo path records the same Buffer
   * twice (in, then out): the second time reuses the copy.
   */
  private keep(bytes: Buffer) {
    const slab = this.slabs[this.slabId]!
    // Same Buffer and still the same bytes (a caller may reuse one buffer for several reads).
    if (bytes === this.lastSource && slab.buffer.compare(bytes, 0, bytes.length, this.lastOffset, this.lastOffset + bytes.length) === 0) {
      slab.live++
      return
    }
    if (this.slabUsed + bytes.length > SLAB_SIZE) this.nextSlab()
    const current = this.slabs[this.slabId]!
    bytes.copy(current.buffer, this.slabUsed)
    this.lastOffset = this.slabUsed
    this.slabUsed += bytes.length
    current.live++
    this.lastSource = bytes
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

  private evictOldest() {
    const slot = this.start
    const id = this.slabCol[slot]!
    if (id >= 0 && --this.slabs[id]!.live === 0 && id !== this.slabId) this.freeSlabs.push(id)
    const object = this.objects[slot]
    this.bytes -= object ? (object.bytes?.length ?? 0) : this.sizeCol[slot]!
    this.objects[slot] = undefined
    this.endpointIds[slot] = undefined
    this.connectionIds[slot] = undefined
    this.start = (this.start + 1) % this.capacity
    this.count--
    this.evicted++
  }

  /** Make room for `capacity` events, oldest first from slot 0. */
  private grow(capacity: number) {
    const order = (n: number) => (this.start + n) % this.capacity
    const move = <T extends { length: number }>(old: T, make: (n: number) => T, set: (to: T, i: number, from: T, j: number) => void): T => {
      const next = make(capacity)
      for (let i = 0; i < this.count; i++) set(next, i, old, order(i))
      return next
    }
    const refs = <T>(old: T[]) => move(old, (n) => new Array<T>(n), (to, i, from, j) => (to[i] = from[j]!))
    const typed = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (n: number) => T) =>
      move(old, make, (to, i, from, j) => (to[i] = from[j]!))
    this.objects = refs(this.objects)
    this.endpointIds = refs(this.endpointIds)
    this.connectionIds = refs(this.connectionIds)
    this.tsCol = typed(this.tsCol, (n) => new Float64Array(n))
    this.totalCol = typed(this.totalCol, (n) => new Float64Array(n))
    this.slabCol = typed(this.slabCol, (n) => new Int32Array(n))
    this.offsetCol = typed(this.offsetCol, (n) => new Int32Array(n))
    this.sizeCol = typed(this.sizeCol, (n) => new Int32Array(n))
    this.flagsCol = typed(this.flagsCol, (n) => new Uint8Array(n))
    this.originCol = typed(this.originCol, (n) => new Uint8Array(n))
    this.start = 0
    this.capacity = capacity
  }

  /**
   * Events with seq > after, oldest first, at most `limit` (counting matches only). `query` narrows them:
   * `endpointId`, `until` (the last seq to consider) and `dataOf` are checked before an event object is built,
   * so a reader of one endpoint (or a student's feed) does not pay for every other endpoint's traffic; `filter`
   * sees the built event.
   */
  after(after: number, limit = Infinity, query?: HistoryQuery | ((e: StoredEvent) => boolean)): StoredEvent[] {
    const { endpointId, until = Infinity, dataOf, filter } = typeof query === 'function' ? { filter: query } : (query ?? {})
    const out: StoredEvent[] = []
    // seq are integers; a fractional `after` must not index between ring slots.
    const first = Math.max(Math.floor(after) + 1, this.oldestSeq)
    const last = Math.min(this.headSeq, until)
    for (let seq = first; seq <= last && out.length < limit; seq++) {
      const slot = (this.start + (seq - this.oldestSeq)) % this.capacity
      if (endpointId !== undefined && (this.objects[slot]?.endpointId ?? this.endpointIds[slot]) !== endpointId) continue
      if (dataOf && !this.objects[slot] && !dataOf(this.endpointIds[slot])) continue
      const e = this.eventAt(slot, seq)
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
