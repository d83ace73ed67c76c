import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { assertWellFormed, connectionIdOf, createEndpoint, eventsOf, stateOf, TcpPeer, waitFor, waitForEvent, waitForEvents } from './peers.ts'
import { legData, pairOf, TargetServer } from './relay-peers.ts'
import { PIPE_HIGH_WATER } from '../src/sockets/relay/fault-pipe.ts'

/*
 * Faults change timing on purpose, so these tests measure time: only the applied delay/rate, with
 * generous bounds (a loaded 2-core machine may run late, never early).
 */

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function pairThrough(faults?: Record<string, unknown>, clientOpts: { allowHalfOpen?: boolean } = {}) {
  const t = cleanup.add(await TargetServer.start(), (x) => x.close())
  const r = await createEndpoint(gw, { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: t.port }, ...(faults ? { faults } : {}) })
  cleanup.add(r.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
  const c = cleanup.add(await TcpPeer.connect(r.local.port, clientOpts), (p) => p.destroy())
  const id = await connectionIdOf(gw, r.id, c)
  const s = await t.peer(0)
  await waitForEvent(gw, r.id, stateOf(id, 'open'), 'pair open')
  return { t, r, c, s, id }
}

const patch = (id: string, body: unknown) => gw.api('PATCH', `/api/endpoints/${id}/faults`, body)
const faultEvents = (endpointId: string, connectionId?: string) =>
  eventsOf(gw, endpointId).filter((e): e is Extract<typeof e, { type: 'fault' }> => e.type === 'fault' && (!connectionId || e.connectionId === connectionId))

/** Arrival times (ms) of the chunks a peer's socket delivers from now on. */
function arrivals(peer: TcpPeer) {
  const list: { at: number; size: number }[] = []
  peer.socket.on('data', (c: Buffer) => list.push({ at: performance.now(), size: c.length }))
  return list
}

describe('tcp-relay: faults', () => {
  it('adds latency per direction, announced on the conversation', async () => {
    const { r, c, s, id } = await pairThrough({ toTarget: { latencyMs: 300 }, toClient: { latencyMs: 150 } })
    const announced = await waitForEvents(gw, r.id, () => (faultEvents(r.id, id).length >= 2 ? faultEvents(r.id, id) : null), 'fault events')
    expect(announced).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fault: 'latency', way: 'toTarget', text: expect.stringContaining('300 ms') }),
        expect.objectContaining({ fault: 'latency', way: 'toClient', text: expect.stringContaining('150 ms') }),
      ]),
    )

    let t0 = performance.now()
    await c.write('ping')
    await s.waitForText('ping', 5000)
    const up = performance.now() - t0
    t0 = performance.now()
    await s.write('pong')
    await c.waitForText('pong', 5000)
    const down = performance.now() - t0
    expect(up).toBeGreaterThanOrEqual(290)
    expect(up).toBeLessThan(300 + 1500)
    expect(down).toBeGreaterThanOrEqual(140)
    expect(down).toBeLessThan(150 + 1500)
  })

  it('limits bandwidth per direction to the configured bytes per second', async () => {
    const { r, c, s } = await pairThrough({ toTarget: { bytesPerSecond: 20_000 }, toClient: { bytesPerSecond: 10_000 } })
    const upBytes = 30_000
    const downBytes = 15_000
    const upTimes = arrivals(s)
    const downTimes = arrivals(c)
    const t0 = performance.now()
    await Promise.all([c.write(Buffer.alloc(upBytes, 0x61)), s.write(Buffer.alloc(downBytes, 0x62))])
    await Promise.all([s.waitForBytes(upBytes, 10_000), c.waitForBytes(downBytes, 10_000)])
    const upSecs = (upTimes.at(-1)!.at - t0) / 1000
    const downSecs = (downTimes.at(-1)!.at - t0) / 1000
    // The first slice (50 ms worth) goes at once; the rest is paced: ≈ 1.45 s each way.
    expect(upSecs).toBeGreaterThan(1.2)
    expect(upSecs).toBeLessThan(4)
    expect(downSecs).toBeGreaterThan(1.2)
    expect(downSecs).toBeLessThan(4)
    // Paced in slices of about 50 ms worth (1000 and 500 bytes).
    expect(Math.max(...upTimes.map((x) => x.size))).toBeLessThanOrEqual(2000)
    const rate = upBytes / upSecs
    expect(rate).toBeLessThan(20_000 * 1.25)
    expect(faultEvents(r.id).some((e) => e.fault === 'bandwidth' && /19\.5 KiB\/s/.test(e.text))).toBe(true)
  })

  it('splits writes into N-byte pieces so recv() sees a message in parts (拆包)', async () => {
    const { r, c, s, id } = await pairThrough({ toTarget: { splitBytes: 4, splitGapMs: 60 } })
    const seen = arrivals(s)
    await c.write('HELLOWORLD12')
    await s.waitForText('HELLOWORLD12')
    const events = eventsOf(gw, r.id)
    expect(legData(events, id, 'client', 'in').map((e) => e.size)).toEqual([12])
    expect(legData(events, id, 'target', 'out').map((e) => Buffer.from(e.data, 'base64').toString())).toEqual(['HELL', 'OWOR', 'LD12'])
    // The receiving program got separate reads, each made of whole pieces, spread over the gaps.
    expect(seen.length).toBeGreaterThanOrEqual(2)
    for (const x of seen) expect(x.size % 4).toBe(0)
    expect(seen.at(-1)!.at - seen[0]!.at).toBeGreaterThanOrEqual(55)
  })

  it('coalesces writes that arrive within a window into one, so recv() gets two sends at once (粘包)', async () => {
    const { r, c, s, id } = await pairThrough({ toTarget: { coalesceMs: 250 } })
    const seen = arrivals(s)
    for (const [n, word] of ['one;', 'two;', 'three;'].entries()) {
      await c.write(word)
      // Each send is read by the relay as its own chunk before the next one goes.
      await waitForEvents(gw, r.id, (ev) => legData(ev, id, 'client', 'in').length === n + 1, `chunk ${n + 1} read`)
    }
    await s.waitForText('one;two;three;')
    expect(seen.map((x) => x.size)).toEqual([14])
    expect(legData(eventsOf(gw, r.id), id, 'target', 'out').map((e) => e.size)).toEqual([14])
  })

  it('changes faults while pairs are live and shows the change on each conversation', async () => {
    const { r, c, s, id } = await pairThrough()
    await c.write('fast')
    await s.waitForText('fast')
    const res = await patch(r.id, { toTarget: { latencyMs: 250 } })
    expect(res).toMatchObject({ status: 200, body: { toTarget: { latencyMs: 250 } } })
    const e = await waitForEvent<any>(gw, r.id, (x) => x.type === 'fault' && x.connectionId === id && x.fault === 'latency', 'latency fault on the pair')
    expect(e.way).toBe('toTarget')
    // The endpoint snapshot carries the new settings, so every viewer's panel updates.
    expect((await gw.api('GET', `/api/endpoints/${r.id}`)).body.options.faults).toEqual({ toTarget: { latencyMs: 250 } })
    const t0 = performance.now()
    await c.write('slow')
    await s.waitForText('fastslow')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240)
    // A PATCH of one way keeps the other; switching a way off says so on the conversation.
    await patch(r.id, { toClient: { latencyMs: 10 } })
    const off = await patch(r.id, { toTarget: {} })
    expect(off.body).toEqual({ toTarget: {}, toClient: { latencyMs: 10 } })
    await waitForEvent(gw, r.id, (x) => x.type === 'note' && x.connectionId === id && /client→target: faults off/.test(x.text), 'faults-off note')
    expect((await gw.api('GET', `/api/endpoints/${r.id}/faults`)).body).toEqual({ toTarget: {}, toClient: { latencyMs: 10 } })
    assertWellFormed(eventsOf(gw, r.id))
  })

  it('refuses new connections with RST while asked to, and accepts again after', async () => {
    const { r } = await pairThrough()
    await patch(r.id, { refuse: true })
    // The handshake completes in the kernel, then the relay resets: the client sees ECONNRESET.
    const outcome = await TcpPeer.connect(r.local.port).then(
      async (p) => {
        await p.closed
        return p.error?.code
      },
      (err) => err.code,
    )
    expect(outcome).toBe('ECONNRESET')
    await waitForEvent(gw, r.id, (e) => e.type === 'fault' && e.fault === 'refuse', 'refuse fault event')
    expect((await gw.api('GET', `/api/endpoints/${r.id}`)).body.stats.refused).toBe(1)
    await patch(r.id, { refuse: false })
    const ok = cleanup.add(await TcpPeer.connect(r.local.port), (p) => p.destroy())
    await connectionIdOf(gw, r.id, ok)
  })

  it('cuts the client side with FIN: it reads end-of-stream, may still send to the target', async () => {
    const { r, c, s, id } = await pairThrough({}, { allowHalfOpen: true })
    const res = await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'client', how: 'fin' })
    expect(res.status).toBe(200)
    await c.ended
    await c.write('still talking')
    await s.waitForText('still talking')
    await waitForEvent(gw, r.id, (e) => e.type === 'fault' && e.connectionId === id && e.fault === 'fin' && e.side === 'client', 'fin fault')
    // What the target sends now has nowhere to go: dropped, and said so once.
    await s.write('into the void')
    await waitForEvent(gw, r.id, (e) => e.type === 'fault' && e.connectionId === id && e.fault === 'dropped', 'dropped fault')
    expect(c.text()).toBe('')
  })

  it('cuts the target side with RST: the target gets ECONNRESET, the client an orderly FIN', async () => {
    const { r, c, s, id } = await pairThrough()
    await s.write('partial answer')
    await c.waitForText('partial answer')
    await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'target', how: 'rst' })
    await s.closed
    expect(s.error?.code).toBe('ECONNRESET')
    await c.ended
    expect(c.error).toBeUndefined()
    const e = await waitForEvent<any>(gw, r.id, stateOf(id, 'reset'), 'pair reset')
    expect(e.reason.message).toMatch(/RST sent to the target/)
  })

  it('cuts the client side with RST: the client gets ECONNRESET, the target FIN', async () => {
    const { r, c, s, id } = await pairThrough()
    await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'client', how: 'rst' })
    await c.closed
    expect(c.error?.code).toBe('ECONNRESET')
    await s.ended
    const again = await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'client', how: 'fin' })
    // The target leg is still half-open (it may answer), but the client side is gone.
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'EPIPE', message: 'the client side was already closed' } } })
    s.end()
    await waitForEvent(gw, r.id, stateOf(id, 'reset'), 'pair finished as reset')
    const late = await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'target', how: 'rst' })
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'ENOTCONN' } } })
  })

  it('keeps memory bounded under latency: the client is paused while the queue is full', async () => {
    const { r, c, s, id } = await pairThrough({ toTarget: { latencyMs: 400 } })
    // 400 ms latency and a 256 KiB queue allow about 640 KiB/s, like a TCP window would.
    const total = 1536 * 1024
    c.socket.write(Buffer.alloc(total, 7))
    const pair = pairOf(gw, r.id, id)
    await waitFor(() => pair.client.isPaused(), 'client paused', { timeoutMs: 5000 })
    expect(pair.up.waiting).toBeLessThanOrEqual(PIPE_HIGH_WATER + 128 * 1024)
    await s.waitForBytes(total, 15_000)
  })

  it('rejects bad fault settings with the field named, and faults on a non-relay', async () => {
    const { r } = await pairThrough()
    const bad = await patch(r.id, { toTarget: { latencyMs: -5 } })
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'toTarget.latencyMs' } } })
    const unknown = await patch(r.id, { toTarget: { jitter: 5 } })
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'toTarget.jitter' } } })
    const badCut = await gw.api('POST', `/api/endpoints/${r.id}/connections/c1/cut`, { side: 'both', how: 'fin' })
    expect(badCut).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'side' } } })
    const server = await createEndpoint(gw, { kind: 'tcp-server', port: 0 })
    cleanup.add(server.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const notRelay = await patch(server.id, { refuse: true })
    expect(notRelay).toMatchObject({ status: 405, body: { error: { code: 'ENOTSUP' } } })
    const missing = await patch('e999999', { refuse: true })
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'ENOENDPOINT' } } })
    expect((await gw.api('GET', `/api/endpoints/${r.id}/faults`)).body).toEqual({})
  })
})
