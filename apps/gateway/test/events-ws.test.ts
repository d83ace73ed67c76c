/** The live feed over a real WebSocket (`ws`): welcome, live events, resume, gaps, bad frames, a slow viewer. */
import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EndpointDetailSchema, validate, type SocklabEvent } from '@socklab/shared'
import { gatewayForFile, startGateway, type TestGateway } from './helper.ts'
import { assertWellFormed, connectionIdOf, createEndpoint, TcpPeer, UdpPeer, waitFor, WsViewer } from './peers.ts'
import { DEFAULT_FEED_LIMITS } from '../src/events/live-feed.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function viewer(g: TestGateway = gw) {
  return cleanup.add(await WsViewer.open(g.wsUrl), (v) => v.close())
}

/** `count` datagrams into a udp endpoint, in bursts the socket buffer surely holds, each burst awaited at the hub. */
async function datagrams(g: TestGateway, port: number, count: number) {
  const peer = await UdpPeer.bind()
  try {
    for (let sent = 0; sent < count; ) {
      const burst = Math.min(100, count - sent)
      const target = g.hub.headSeq + burst
      for (let i = 0; i < burst; i++) await peer.send(`d${sent + i}`, port)
      sent += burst
      await waitFor(() => g.hub.headSeq >= target, `${sent} datagrams recorded`)
    }
  } finally {
    await peer.close()
  }
}

/** Every seq from `from` to `to` is either received once or inside exactly one gap. */
function accountFor(v: WsViewer, from: number, to: number) {
  const seen = new Map<number, number>()
  for (const e of v.events) if (e.seq >= from && e.seq <= to) seen.set(e.seq, (seen.get(e.seq) ?? 0) + 1)
  for (const g of v.of('gap')) for (let s = g.fromSeq; s <= g.toSeq; s++) if (s >= from) seen.set(s, (seen.get(s) ?? 0) + 1)
  const problems: string[] = []
  for (let s = from; s <= to; s++) if (seen.get(s) !== 1) problems.push(`${s}×${seen.get(s) ?? 0}`)
  expect(problems.slice(0, 10), 'seqs not received exactly once (or gapped)').toEqual([])
}

describe('WebSocket /api/events', () => {
  it('welcomes with a snapshot of every endpoint and its connections', async () => {
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, name: 'snap' })
    cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
    const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    const cid = await connectionIdOf(gw, ep.id, peer)
    const v = await viewer()
    const welcome = await v.hello()
    expect(welcome).toMatchObject({ type: 'welcome', serverId: gw.hub.serverId, resumed: false, evicted: 0, snapshotSeq: gw.hub.headSeq, oldestSeq: 1 })
    const mine = welcome.endpoints.find((e) => e.id === ep.id)!
    expect(mine).toMatchObject({ kind: 'tcp-server', name: 'snap', state: 'listening', stats: { connections: 1 } })
    expect(mine.connections).toEqual([expect.objectContaining({ id: cid, state: 'open', remote: expect.objectContaining({ port: peer.socket.localPort }) })])
    for (const e of welcome.endpoints) expect(validate(EndpointDetailSchema, e).ok).toBe(true)
    // History up to the snapshot follows the welcome.
    await v.waitFor(() => v.lastSeq === welcome.snapshotSeq, 'history up to the snapshot')
    assertWellFormed(v.events)
  })

  it('streams live events as they happen, well-formed and in seq order', async () => {
    const v = await viewer()
    const welcome = await v.hello()
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
    cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
    const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    await peer.write('live!')
    await peer.waitForText('live!')
    const mine = (events: SocklabEvent[]) => events.filter((e) => e.endpointId === ep.id)
    await v.waitFor(() => mine(v.events).some((e) => e.type === 'data' && e.direction === 'out'), 'the echo as a live event')
    const types = mine(v.events).map((e) => (e.type === 'data' ? `data-${e.direction}` : e.type))
    expect(types).toEqual(['endpoint', 'connection-opened', 'data-in', 'data-out'])
    accountFor(v, welcome.oldestSeq, v.lastSeq)
    assertWellFormed(v.events)
    const dataIn = mine(v.events).find((e) => e.type === 'data')!
    expect(Buffer.from((dataIn as any).data, 'base64').toString()).toBe('live!')
  })

  it('resume with hello{after, serverId} gives exactly the missing events, no duplicates', async () => {
    const ep = await createEndpoint(gw, { kind: 'udp', port: 0 })
    cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
    const first = await viewer()
    await first.hello()
    await datagrams(gw, ep.local.port, 20)
    await first.waitFor(() => first.lastSeq === gw.hub.headSeq, 'first viewer up to date')
    const resumeAt = first.lastSeq
    await first.close()

    await datagrams(gw, ep.local.port, 30)
    const second = await viewer()
    const welcome = await second.hello(resumeAt, gw.hub.serverId)
    expect(welcome.resumed).toBe(true)
    const head = gw.hub.headSeq
    await second.waitFor(() => second.lastSeq === head, 'the missing events')
    expect(second.events.map((e) => e.seq)).toEqual(gw.hub.after(resumeAt).map((e) => e.seq))
    expect(second.events[0]!.seq).toBe(resumeAt + 1)
    expect(second.of('gap')).toEqual([])

    // The same after from another gateway run is not honoured: a fresh start instead.
    const third = await viewer()
    expect((await third.hello(resumeAt, 'not-this-run')).resumed).toBe(false)
    await third.waitFor(() => third.lastSeq === gw.hub.headSeq, 'full history')
    expect(third.events[0]!.seq).toBe(gw.hub.oldestSeq)
  })

  it('a hello on an open socket restarts the feed from the new point', async () => {
    const v = await viewer()
    await v.hello()
    await v.waitFor(() => v.lastSeq === gw.hub.headSeq, 'up to date')
    const ep = await createEndpoint(gw, { kind: 'udp', port: 0 })
    cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
    const at = v.lastSeq
    await v.waitFor(() => v.lastSeq > at, 'the endpoint event')
    const from = v.events.length
    const welcome = await v.hello(at, gw.hub.serverId)
    expect(welcome.resumed).toBe(true)
    await v.waitFor(() => v.lastSeq === gw.hub.headSeq && v.events.length > from, 'replay')
    expect(v.events.slice(from).map((e) => e.seq)).toEqual(gw.hub.after(at).map((e) => e.seq))
  })

  it('a fresh viewer gets the last initialHistory events and a history-limit gap for the older ones', async () => {
    const ep = await createEndpoint(gw, { kind: 'udp', port: 0 })
    cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
    const limit = DEFAULT_FEED_LIMITS.initialHistory
    const needed = limit + 50 - gw.hub.headSeq
    if (needed > 0) await datagrams(gw, ep.local.port, needed)
    const v = await viewer()
    const welcome = await v.hello()
    const head = welcome.snapshotSeq
    await v.waitFor(() => v.lastSeq >= head, 'the initial history')
    const gaps = v.of('gap')
    expect(gaps).toEqual([{ type: 'gap', fromSeq: welcome.oldestSeq, toSeq: head - limit, missed: head - limit - welcome.oldestSeq + 1, reason: 'history-limit' }])
    const initial = v.events.filter((e) => e.seq <= head)
    expect(initial).toHaveLength(limit)
    expect(initial[0]!.seq).toBe(head - limit + 1)
    accountFor(v, welcome.oldestSeq, head)
  })

  it('answers malformed frames with an error message and keeps serving', async () => {
    const v = await viewer()
    let from = v.messages.length
    const errorAfter = async (frame: unknown, binary = false) => {
      from = v.messages.length
      if (binary) v.ws.send(Buffer.from(String(frame)), { binary: true })
      else v.send(frame)
      return (await v.next('error', from)).error
    }
    expect(await errorAfter('this is not json')).toEqual({ code: 'EBADJSON', message: 'message is not valid JSON' })
    expect((await errorAfter('{"type":"hello"', false)).code).toBe('EBADJSON')
    expect((await errorAfter('{"type":"hello"}', true)).code).toBe('EBADJSON')
    expect(await errorAfter({ type: 'subscribe' })).toMatchObject({ code: 'EVALIDATION' })
    expect(await errorAfter({ type: 'hello', after: -1 })).toMatchObject({ code: 'EVALIDATION', field: 'after' })
    expect(await errorAfter({ type: 'hello', after: 'ten' })).toMatchObject({ code: 'EVALIDATION', field: 'after' })
    // (Which field gets named here is up to shared validate() across the hello|ping union.)
    expect(await errorAfter({ type: 'hello', verbose: true })).toMatchObject({ code: 'EVALIDATION' })
    expect(await errorAfter('null')).toMatchObject({ code: 'EVALIDATION' })
    expect(await errorAfter('[]')).toMatchObject({ code: 'EVALIDATION' })
    // Still the same socket, still answering.
    from = v.messages.length
    v.send({ type: 'ping', id: 7 })
    expect(await v.next('pong', from)).toEqual({ type: 'pong', id: 7, seq: gw.hub.headSeq })
    expect((await v.hello()).type).toBe('welcome')
  })

  it('a frame over the size limit closes only that socket (1009); the gateway serves others', async () => {
    const big = await viewer()
    big.send('x'.repeat(65 * 1024))
    expect((await big.closed).code).toBe(1009)
    const other = await viewer()
    expect((await other.hello()).serverId).toBe(gw.hub.serverId)
    expect((await gw.api('GET', '/api/endpoints')).status).toBe(200)
  })
})

describe('WebSocket feed with a small history', () => {
  let small: TestGateway
  beforeAll(async () => {
    small = await startGateway({ historyEvents: 100 })
  })
  afterAll(() => small.close())

  it('a viewer resuming after eviction gets a gap with the right missed count, then the rest', async () => {
    const ep = await createEndpoint(small, { kind: 'udp', port: 0 })
    const first = await viewer(small)
    await first.hello()
    await datagrams(small, ep.local.port, 10)
    await first.waitFor(() => first.lastSeq === small.hub.headSeq, 'first viewer up to date')
    const resumeAt = first.lastSeq
    await first.close()

    await datagrams(small, ep.local.port, 250)
    expect(small.hub.size).toBe(100)
    expect(small.hub.oldestSeq).toBeGreaterThan(resumeAt + 1)
    const second = await viewer(small)
    const welcome = await second.hello(resumeAt, small.hub.serverId)
    expect(welcome).toMatchObject({ resumed: true, oldestSeq: small.hub.oldestSeq, evicted: small.hub.evicted })
    const head = small.hub.headSeq
    await second.waitFor(() => second.lastSeq === head, 'what is still held')
    expect(second.of('gap')).toEqual([
      { type: 'gap', fromSeq: resumeAt + 1, toSeq: welcome.oldestSeq - 1, missed: welcome.oldestSeq - 1 - resumeAt, reason: 'evicted' },
    ])
    expect(second.events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => welcome.oldestSeq + i))
    await gw.api('DELETE', `/api/endpoints/${ep.id}`)
  })
})

describe('a slow viewer', () => {
  const limits = { historyEvents: 2000, historyBytes: 2 * 1024 * 1024 }
  let slow: TestGateway
  beforeAll(async () => {
    slow = await startGateway(limits)
  })
  afterAll(() => slow.close())

  it('does not hold up a TCP echo, and the hub and the socket buffer stay within their limits', async () => {
    const ep = await createEndpoint(slow, { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
    const v = await viewer(slow)
    const welcome = await v.hello()
    // Stop reading: the gateway's writes to this viewer back up in the kernel, then in its WebSocket buffer.
    ;(v.ws as unknown as { _socket: import('node:net').Socket })._socket.pause()

    const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    const chunk = Buffer.alloc(16 * 1024)
    const total = 16 * 1024 * 1024
    const sentHash = createHash('sha256')
    let peakEvents = 0
    let peakBytes = 0
    let peakBuffered = 0
    const sample = () => {
      peakEvents = Math.max(peakEvents, slow.hub.size)
      peakBytes = Math.max(peakBytes, slow.hub.storedBytes)
      for (const client of (slow.context as any).websocketServer.clients) peakBuffered = Math.max(peakBuffered, client.bufferedAmount)
    }
    peer.socket.on('data', sample)
    for (let sent = 0, i = 0; sent < total; sent += chunk.length, i++) {
      chunk.fill(i & 0xff)
      sentHash.update(chunk)
      if (!peer.socket.write(chunk)) await new Promise((r) => peer.socket.once('drain', r))
    }
    await peer.waitForBytes(total, 20_000)
    sample()
    expect(createHash('sha256').update(peer.received).digest('hex')).toBe(sentHash.digest('hex'))
    expect(peakEvents).toBeLessThanOrEqual(limits.historyEvents)
    expect(peakBytes).toBeLessThanOrEqual(limits.historyBytes)
    // The feed stops adding at highWaterBytes; one batch (base64 + JSON) may be in flight on top.
    expect(peakBuffered).toBeLessThan(DEFAULT_FEED_LIMITS.highWaterBytes + 2 * DEFAULT_FEED_LIMITS.maxBatchBytes)
    expect(slow.hub.evicted).toBeGreaterThan(0)

    // Reading again, the viewer is told what it missed and catches up to the head.
    ;(v.ws as unknown as { _socket: import('node:net').Socket })._socket.resume()
    const head = slow.hub.headSeq
    await v.waitFor(() => v.lastSeq >= head, 'the viewer to catch up', 15_000)
    expect(v.of('gap').length).toBeGreaterThan(0)
    expect(v.of('gap').every((g) => g.reason === 'evicted')).toBe(true)
    accountFor(v, welcome.snapshotSeq + 1, head)
  })
})
