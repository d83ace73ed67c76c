/** EventHub (bounded history with global seq) and LiveFeed (one viewer's cursor over it), on their own. */
import { describe, expect, it } from 'vitest'
import type { EndpointDetail, ServerMessage, SocklabEvent } from '@socklab/shared'
import { EventHub, toWire, type StoredEvent } from '../src/events/event-hub.ts'
import { LiveFeed, DEFAULT_FEED_LIMITS, type FeedLimits, type FeedSink, type ViewFilter } from '../src/events/live-feed.ts'
import { waitFor } from './peers.ts'

const note = (endpointId: string, text: string) => ({ type: 'note' as const, endpointId, text })
const data = (endpointId: string, bytes: Buffer) =>
  ({ type: 'data', endpointId, direction: 'in', connectionId: 'c1', size: bytes.length, total: 0, bytes }) as never

/** One macrotask: the hub notifies listeners with setImmediate. */
const nextMacrotask = () => new Promise((r) => setImmediate(r))

describe('EventHub', () => {
  it('stamps seq 1, 2, 3… and ts, with head/oldest/size tracking', () => {
    const hub = new EventHub({ maxEvents: 10, maxBytes: 1000 })
    expect([hub.headSeq, hub.oldestSeq, hub.size]).toEqual([0, 1, 0])
    const before = Date.now()
    const stamped = [1, 2, 3].map((i) => hub.append(note('e1', `n${i}`)))
    expect(stamped.map((e) => e.seq)).toEqual([1, 2, 3])
    for (const e of stamped) expect(e.ts).toBeGreaterThanOrEqual(before)
    expect([hub.headSeq, hub.oldestSeq, hub.size, hub.evicted]).toEqual([3, 1, 3, 0])
    expect(hub.serverId).toMatch(/^[0-9a-f]{12}$/)
    expect(new EventHub({ maxEvents: 1, maxBytes: 1 }).serverId).not.toBe(hub.serverId)
  })

  it('evicts the oldest by count, counts what it evicted, and keeps seq continuous across ring wrap-around', () => {
    const hub = new EventHub({ maxEvents: 5, maxBytes: 1e9 })
    for (let i = 1; i <= 23; i++) hub.append(note('e1', `n${i}`))
    expect(hub.size).toBe(5)
    expect(hub.evicted).toBe(18)
    expect(hub.oldestSeq).toBe(19)
    expect(hub.headSeq).toBe(23)
    const held = hub.after(0)
    expect(held.map((e) => e.seq)).toEqual([19, 20, 21, 22, 23])
    expect(held.map((e) => (e as unknown as { text: string }).text)).toEqual(['n19', 'n20', 'n21', 'n22', 'n23'])
  })

  it('evicts by payload bytes and keeps storedBytes within maxBytes', () => {
    const hub = new EventHub({ maxEvents: 1000, maxBytes: 100 })
    for (let i = 0; i < 10; i++) {
      hub.append(data('e1', Buffer.alloc(30, i)))
      expect(hub.storedBytes).toBeLessThanOrEqual(100)
    }
    expect(hub.size).toBe(3)
    expect(hub.storedBytes).toBe(90)
    expect(hub.evicted).toBe(7)
    // Events without payload cost no bytes and are bounded by count only.
    hub.append(note('e1', 'free'))
    expect(hub.storedBytes).toBe(90)
    expect(hub.size).toBe(4)
    expect(hub.after(0).map((e) => e.bytes?.[0])).toEqual([7, 8, 9, undefined])
  })

  it('keeps a single event larger than maxBytes alone rather than dropping the newest', () => {
    const hub = new EventHub({ maxEvents: 10, maxBytes: 100 })
    hub.append(data('e1', Buffer.alloc(50)))
    hub.append(data('e1', Buffer.alloc(150)))
    expect(hub.size).toBe(1)
    expect(hub.headSeq).toBe(2)
    expect(hub.storedBytes).toBe(150)
    hub.append(data('e1', Buffer.alloc(10)))
    expect(hub.size).toBe(1)
    expect(hub.storedBytes).toBe(10)
  })

  it('after(seq, limit, filter) returns later events oldest first; limit counts matches only', () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 1; i <= 20; i++) hub.append(note(i % 2 ? 'odd' : 'even', `n${i}`))
    expect(hub.after(15).map((e) => e.seq)).toEqual([16, 17, 18, 19, 20])
    expect(hub.after(20)).toEqual([])
    expect(hub.after(99)).toEqual([])
    expect(hub.after(0, 3).map((e) => e.seq)).toEqual([1, 2, 3])
    const evens = hub.after(5, 3, (e) => e.endpointId === 'even')
    expect(evens.map((e) => e.seq)).toEqual([6, 8, 10])
    expect(hub.after(2.5).map((e) => e.seq)[0]).toBe(3)
  })

  it('after() narrowed to one endpoint and up to a seq, for data (compact) and other events alike', () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 1; i <= 30; i++) hub.append(i % 3 ? data(i % 2 ? 'a' : 'b', Buffer.from(`d${i}`)) : note(i % 2 ? 'a' : 'b', `n${i}`))
    const mine = hub.after(0, Infinity, { endpointId: 'a' })
    expect(mine.map((e) => e.seq)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29])
    expect(mine.every((e) => e.endpointId === 'a')).toBe(true)
    expect(hub.after(4, 3, { endpointId: 'b', until: 10 }).map((e) => e.seq)).toEqual([6, 8, 10])
    expect(hub.after(4, Infinity, { endpointId: 'b', until: 9 }).map((e) => e.seq)).toEqual([6, 8])
    expect(hub.after(0, Infinity, { endpointId: 'b', filter: (e) => e.type === 'note' }).map((e) => e.seq)).toEqual([6, 12, 18, 24, 30])
    expect(hub.after(0, Infinity, { endpointId: 'nobody' })).toEqual([])
  })

  it('after() below the oldest held starts at the oldest', () => {
    const hub = new EventHub({ maxEvents: 3, maxBytes: 1e6 })
    for (let i = 1; i <= 6; i++) hub.append(note('e1', `n${i}`))
    expect(hub.after(1).map((e) => e.seq)).toEqual([4, 5, 6])
  })

  it('notifies subscribers once per macrotask however many events arrive, until they unsubscribe', async () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    let calls = 0
    const unsubscribe = hub.subscribe(() => calls++)
    for (let i = 0; i < 10; i++) hub.append(note('e1', 'x'))
    expect(calls).toBe(0)
    await nextMacrotask()
    expect(calls).toBe(1)
    hub.append(note('e1', 'y'))
    await nextMacrotask()
    expect(calls).toBe(2)
    unsubscribe()
    hub.append(note('e1', 'z'))
    await nextMacrotask()
    expect(calls).toBe(2)
  })

  it('keeps payload copies that survive reuse of its slabs and of the socket buffers they came from', () => {
    // 4 MiB of history through 1 MiB slabs: slabs are recycled as events are evicted, so a bug in the
    // bookkeeping would overwrite bytes of events still held. Each chunk has its own fill byte.
    const hub = new EventHub({ maxEvents: 100_000, maxBytes: 4 * 1024 * 1024 })
    const source = Buffer.alloc(40_000)
    const corrupt = () =>
      hub.after(0).filter((e) => e.bytes!.length !== 40_000 || !e.bytes!.every((b) => b === ((e.seq - 1) >> 1) % 251))
    for (let i = 0; i < 1000; i++) {
      source.fill(i % 251) // one buffer reused for every "read", so identity alone proves nothing
      hub.append(data('e1', source))
      hub.append(data('e1', source)) // echo: the same bytes recorded again (out), sharing the copy
      if (i % 7 === 0) expect(corrupt().map((e) => e.seq)).toEqual([])
    }
    expect(hub.size).toBeGreaterThan(90)
    expect(hub.evicted).toBeGreaterThan(1000)
    expect(corrupt()).toEqual([])
    expect(hub.storedBytes).toBeLessThanOrEqual(4 * 1024 * 1024)
  })

  it('gives back every field of data events kept in compact form, across ring growth and wrap-around', () => {
    // Starts with 1024 slots and doubles: 3000 events of mixed kinds into a 2500-event history cross both.
    const hub = new EventHub({ maxEvents: 2500, maxBytes: 1e9 })
    const made: Record<string, unknown>[] = []
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(`chunk ${i}`)
      const shapes: Record<string, unknown>[] = [
        { type: 'data', endpointId: `e${i % 3}`, direction: 'in', connectionId: `c${i % 7}`, size: bytes.length, total: i * 1e6, bytes },
        { type: 'data', endpointId: 'relay', connectionId: 'p1', leg: 'target', direction: 'out', size: bytes.length, total: 2 ** 40 + i, origin: i % 2 ? 'inject' : 'relay', bytes },
        { type: 'data', endpointId: 'relay', connectionId: 'p1', leg: 'client', direction: 'in', size: bytes.length, total: i, forwarded: true, bytes },
        { type: 'data', endpointId: 'udp', direction: 'in', peer: { host: '127.0.0.1', port: 4000 + i }, size: bytes.length, total: i, bytes },
        { type: 'data', endpointId: 'client', direction: 'out', size: bytes.length, total: i, origin: 'send', bytes },
        { type: 'note', endpointId: 'e1', text: `n${i}` },
      ]
      const input = shapes[i % shapes.length]!
      const expected = input.bytes ? { ...input, bytes: Buffer.from(bytes) } : { ...input }
      hub.append(input as never)
      made.push({ ...expected, seq: i + 1, ts: (input as { ts: number }).ts })
      bytes.fill(0) // the socket's buffer is reused: the hub must have kept its own copy
    }
    expect(hub.size).toBe(2500)
    expect(hub.after(0)).toEqual(made.slice(500))
    expect(hub.after(2990, 3, (e) => e.type === 'data')).toEqual(made.slice(2990, 2993))
    // The wire form of a compact event is the same JSON as before: no undefined keys, base64 data.
    const wire = JSON.parse(JSON.stringify(toWire(hub.after(2994, 1)[0]!)))
    expect(wire).toEqual({ type: 'data', endpointId: 'e0', direction: 'in', connectionId: 'c5', size: 10, total: 2994e6, data: Buffer.from('chunk 2994').toString('base64'), seq: 2995, ts: made[2994]!.ts })
  })

  it('keeps payloads too big for a slab, and empty ones, as their own Buffers', () => {
    const hub = new EventHub({ maxEvents: 10, maxBytes: 1e7 })
    const big = Buffer.alloc(300 * 1024, 7)
    hub.append(data('e1', big))
    hub.append(data('e1', Buffer.alloc(0)))
    hub.append(data('e1', Buffer.from('small')))
    const [b, empty, small] = hub.after(0)
    expect(b!.bytes!.length).toBe(300 * 1024)
    expect(b!.bytes!.every((x) => x === 7)).toBe(true)
    expect(empty!.bytes!.length).toBe(0)
    expect(small!.bytes!.toString()).toBe('small')
    expect(hub.storedBytes).toBe(300 * 1024 + 5)
  })

  it('toWire turns raw bytes into base64 data and leaves other events alone', () => {
    const hub = new EventHub({ maxEvents: 10, maxBytes: 1e6 })
    const d = hub.append(data('e1', Buffer.from([0xde, 0xad, 0xbe, 0xef])))
    const wire = toWire(d) as Extract<SocklabEvent, { type: 'data' }>
    expect(wire.data).toBe('3q2+7w==')
    expect('bytes' in wire).toBe(false)
    expect(d.bytes).toBeDefined() // the stored event keeps its Buffer
    const n = hub.append(note('e1', 'plain'))
    expect(toWire(n)).toEqual(n)
    expect(JSON.parse(JSON.stringify(toWire(n)))).toMatchObject({ type: 'note', text: 'plain', seq: 2 })
  })
})

/** A FeedSink that keeps what the feed wrote; its buffered amount is whatever the test sets. */
class RecordingSink implements FeedSink {
  messages: ServerMessage[] = []
  buffered = 0
  /** How often the feed asked whether it may send. */
  checks = 0
  send(text: string) {
    this.messages.push(JSON.parse(text))
  }
  bufferedAmount() {
    this.checks++
    return this.buffered
  }
  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as never
  }
  get seqs(): number[] {
    return this.of('events').flatMap((m) => m.events.map((e) => e.seq))
  }
}

function feedOf(hub: EventHub, limits: Partial<FeedLimits> = {}, visible?: ViewFilter) {
  const sink = new RecordingSink()
  const snapshot: EndpointDetail[] = []
  const feed = new LiveFeed(hub, sink, () => snapshot, visible, { ...DEFAULT_FEED_LIMITS, batchDelayMs: 1, ...limits })
  return { sink, feed }
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('LiveFeed', () => {
  it('welcomes a fresh viewer with the state and its history, then streams live events', async () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 0; i < 5; i++) hub.append(note('e1', `old ${i}`))
    const { sink, feed } = feedOf(hub)
    feed.hello()
    expect(sink.messages[0]).toEqual({ type: 'welcome', serverId: hub.serverId, snapshotSeq: 5, oldestSeq: 1, endpoints: [], evicted: 0, resumed: false })
    expect(sink.seqs).toEqual(range(1, 5))
    hub.append(note('e1', 'live 1'))
    hub.append(note('e1', 'live 2'))
    await waitFor(() => sink.seqs.length === 7, 'live events')
    expect(sink.seqs).toEqual(range(1, 7))
    expect(sink.of('gap')).toEqual([])
    feed.close()
  })

  it('a fresh viewer gets at most initialHistory events and a history-limit gap for the rest', () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 0; i < 10; i++) hub.append(note('e1', `n${i}`))
    const { sink, feed } = feedOf(hub, { initialHistory: 3 })
    feed.hello()
    expect(sink.of('gap')).toEqual([{ type: 'gap', fromSeq: 1, toSeq: 7, missed: 7, reason: 'history-limit' }])
    expect(sink.seqs).toEqual([8, 9, 10])
    feed.close()
  })

  it('resumes with after + serverId: exactly the missing events, no duplicates', () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 0; i < 10; i++) hub.append(note('e1', `n${i}`))
    const { sink, feed } = feedOf(hub)
    feed.hello(6, hub.serverId)
    expect(sink.messages[0]).toMatchObject({ type: 'welcome', resumed: true, snapshotSeq: 10 })
    expect(sink.seqs).toEqual([7, 8, 9, 10])
    feed.close()
  })

  it('ignores after from another gateway run (different serverId) or from the future', () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    for (let i = 0; i < 4; i++) hub.append(note('e1', `n${i}`))
    for (const [after, serverId] of [
      [2, 'another-run'],
      [99, hub.serverId],
      [2, undefined],
    ] as const) {
      const { sink, feed } = feedOf(hub)
      feed.hello(after, serverId)
      expect(sink.messages[0]).toMatchObject({ type: 'welcome', resumed: false })
      expect(sink.seqs).toEqual([1, 2, 3, 4])
      feed.close()
    }
  })

  it('a resume point already evicted gets an evicted gap with the right count, then continues', () => {
    const hub = new EventHub({ maxEvents: 5, maxBytes: 1e6 })
    for (let i = 0; i < 12; i++) hub.append(note('e1', `n${i}`))
    const { sink, feed } = feedOf(hub)
    feed.hello(3, hub.serverId)
    expect(sink.messages[0]).toMatchObject({ type: 'welcome', resumed: true, oldestSeq: 8, evicted: 7 })
    expect(sink.of('gap')).toEqual([{ type: 'gap', fromSeq: 4, toSeq: 7, missed: 4, reason: 'evicted' }])
    expect(sink.seqs).toEqual(range(8, 12))
    feed.close()
  })

  it('splits a backlog into batches of maxBatchEvents and maxBatchBytes', async () => {
    const hub = new EventHub({ maxEvents: 1000, maxBytes: 1e7 })
    for (let i = 0; i < 10; i++) hub.append(note('e1', `n${i}`))
    const byCount = feedOf(hub, { maxBatchEvents: 4 })
    byCount.feed.hello()
    await waitFor(() => byCount.sink.seqs.length === 10, 'all ten')
    expect(byCount.sink.of('events').map((m) => m.events.length)).toEqual([4, 4, 2])
    byCount.feed.close()

    const hub2 = new EventHub({ maxEvents: 1000, maxBytes: 1e7 })
    for (let i = 0; i < 6; i++) hub2.append(data('e1', Buffer.alloc(400)))
    const byBytes = feedOf(hub2, { maxBatchBytes: 1000 })
    byBytes.feed.hello()
    await waitFor(() => byBytes.sink.seqs.length === 6, 'all six')
    expect(byBytes.sink.of('events').map((m) => m.events.length)).toEqual([3, 3])
    byBytes.feed.close()
  })

  it('holds back while the socket has too much unsent, then catches up (with a gap if the ring moved on)', async () => {
    const hub = new EventHub({ maxEvents: 5, maxBytes: 1e6 })
    const { sink, feed } = feedOf(hub, { highWaterBytes: 1000 })
    feed.hello()
    sink.buffered = 5000
    const checked = sink.checks
    for (let i = 0; i < 12; i++) hub.append(note('e1', `n${i}`))
    // The feed wakes up and asks several times while the socket is full, and each time sends nothing.
    await waitFor(() => sink.checks >= checked + 3, 'the feed to retry a few times')
    expect(sink.of('events')).toEqual([])
    sink.buffered = 0
    await waitFor(() => sink.seqs.length === 5, 'catch-up')
    expect(sink.of('gap')).toEqual([{ type: 'gap', fromSeq: 1, toSeq: 7, missed: 7, reason: 'evicted' }])
    expect(sink.seqs).toEqual(range(8, 12))
    feed.close()
  })

  it('gives each viewer its payload budget per second in full, then previews marked truncated, then refills', async () => {
    const hub = new EventHub({ maxEvents: 1000, maxBytes: 1e7 })
    const rate = 20_000
    const { sink, feed } = feedOf(hub, { payloadBytesPerSecond: rate, previewBytes: 4 })
    feed.hello()
    const payload = (i: number) => Buffer.alloc(8000, i)
    for (let i = 0; i < 4; i++) hub.append(data('e1', payload(i)))
    const started = performance.now()
    await waitFor(() => sink.seqs.length === 4, 'four data events')
    const wire = sink.of('events').flatMap((m) => m.events) as Extract<SocklabEvent, { type: 'data' }>[]
    // 20 000 bytes of budget: two 8000-byte chunks go in full, the rest as 4-byte previews; sizes stay true.
    expect(wire.map((e) => [e.size, Buffer.from(e.data, 'base64').length, e.truncated])).toEqual([
      [8000, 8000, undefined],
      [8000, 8000, undefined],
      [8000, 4, true],
      [8000, 4, true],
    ])
    expect(Buffer.from(wire[2]!.data, 'base64')).toEqual(Buffer.alloc(4, 2))
    // Events without payload are never held back.
    hub.append(note('e1', 'still here'))
    await waitFor(() => sink.seqs.length === 5, 'the note')
    // The budget refills with time: a later chunk goes in full again.
    await waitFor(() => performance.now() - started >= (8000 / rate) * 1000 + 100, 'the budget to refill', { timeoutMs: 2000 })
    hub.append(data('e1', payload(9)))
    await waitFor(() => sink.seqs.length === 6, 'the later chunk')
    const later = sink.of('events').at(-1)!.events.at(-1) as Extract<SocklabEvent, { type: 'data' }>
    expect([later.size, Buffer.from(later.data, 'base64').length, later.truncated]).toEqual([8000, 8000, undefined])
    feed.close()
  })

  it('sends only visible events but moves its cursor past hidden ones', async () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    const { sink, feed } = feedOf(hub, {}, (e) => e.endpointId === 'mine')
    feed.hello()
    for (let i = 0; i < 6; i++) hub.append(note(i % 2 ? 'mine' : 'theirs', `n${i}`))
    await waitFor(() => sink.seqs.length === 3, 'visible events')
    expect(sink.seqs).toEqual([2, 4, 6])
    hub.append(note('theirs', 'hidden'))
    hub.append(note('mine', 'shown'))
    await waitFor(() => sink.seqs.length === 4, 'next visible')
    expect(sink.seqs).toEqual([2, 4, 6, 8])
    feed.close()
  })

  it('skips hidden endpoints\' data events without building them, and still moves its cursor past them', async () => {
    const hub = new EventHub({ maxEvents: 10_000, maxBytes: 1e8 })
    let built = 0
    const visible: ViewFilter = (e) => (built++, e.endpointId === 'mine')
    visible.dataOf = (id) => id === 'mine'
    const { sink, feed } = feedOf(hub, { maxBatchEvents: 100 }, visible)
    feed.hello()
    // A flood on someone else's endpoint, then one chunk and one note of mine, then more flood.
    for (let i = 0; i < 3000; i++) hub.append(data('theirs', Buffer.from(`flood ${i}`)))
    hub.append(data('mine', Buffer.from('my chunk')))
    hub.append(note('mine', 'my note'))
    hub.append(note('theirs', 'their note'))
    for (let i = 0; i < 3000; i++) hub.append(data('theirs', Buffer.from(`more ${i}`)))
    await waitFor(() => sink.seqs.length === 2, 'my events')
    expect(sink.seqs).toEqual([3001, 3002])
    // Only my two events and their note (not a data event) were built and shown to the rule.
    expect(built).toBe(3)
    hub.append(note('mine', 'after the flood'))
    await waitFor(() => sink.seqs.length === 3, 'the next one')
    expect(sink.seqs).toEqual([3001, 3002, 6004])
    expect(sink.of('gap')).toEqual([])
    feed.close()
  })

  it('after close it sends nothing more', async () => {
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1e6 })
    const { sink, feed } = feedOf(hub)
    const witness = feedOf(hub)
    feed.hello()
    witness.feed.hello()
    const count = sink.messages.length
    feed.close()
    hub.append(note('e1', 'after close'))
    // The open feed on the same hub got it through the same notify and batch delay; the closed one did not.
    await waitFor(() => witness.sink.seqs.length === 1, 'the witness to receive the event')
    expect(sink.messages.length).toBe(count)
    witness.feed.close()
  })
})
