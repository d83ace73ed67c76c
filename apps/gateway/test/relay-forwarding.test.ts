import { createHash } from 'node:crypto'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import {
  assertWellFormed,
  closedPort,
  connectionIdOf,
  createEndpoint,
  eventsOf,
  spawnPythonServer,
  stateOf,
  TcpPeer,
  waitFor,
  waitForEvent,
  waitForEvents,
} from './peers.ts'
import { legBytes, legData, pairOf, relayOf, TargetServer } from './relay-peers.ts'
import { PIPE_HIGH_WATER } from '../src/sockets/relay/fault-pipe.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function target() {
  return cleanup.add(await TargetServer.start(), (t) => t.close())
}
async function relay(targetPort: number, options: Record<string, unknown> = {}) {
  const ep = await createEndpoint(gw, { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: targetPort }, ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { address: string; port: number }; remote: { address: string; port: number }; state: string }
}
async function client(port: number, opts: { allowHalfOpen?: boolean } = {}) {
  return cleanup.add(await TcpPeer.connect(port, opts), (p) => p.destroy())
}
/** Client → relay → target, with the pair open on both legs. */
async function pairThrough(options: Record<string, unknown> = {}, clientOpts: { allowHalfOpen?: boolean } = {}) {
  const t = await target()
  const r = await relay(t.port, options)
  const c = await client(r.local.port, clientOpts)
  const id = await connectionIdOf(gw, r.id, c)
  const s = await t.peer(0)
  await waitForEvent(gw, r.id, stateOf(id, 'open'), 'pair open')
  return { t, r, c, s, id }
}

describe('tcp-relay: forwarding', () => {
  it('listens, forwards both ways, and records one conversation with the leg of every chunk', async () => {
    const { r, c, s, id } = await pairThrough({ name: 'mitm' })
    expect(r.state).toBe('listening')
    expect(r.local.port).toBeGreaterThan(0)

    await c.write('GET /hello\r\n')
    await s.waitForText('GET /hello\r\n')
    await s.write(Buffer.from([0xe4, 0xbd, 0xa0, 0xe5, 0xa5, 0xbd, 0x00, 0xff]))
    await c.waitForBytes(8)
    expect(c.received.equals(Buffer.from([0xe4, 0xbd, 0xa0, 0xe5, 0xa5, 0xbd, 0x00, 0xff]))).toBe(true)

    const events = await waitForEvents(gw, r.id, (ev) => (legData(ev, id, 'target', 'in').length ? ev : null), 'target→client recorded')
    assertWellFormed(events)
    expect(legBytes(events, id, 'client', 'in').toString()).toBe('GET /hello\r\n')
    expect(legBytes(events, id, 'target', 'in').toString('hex')).toBe('e4bda0e5a5bd00ff')
    // No fault reshaped them: each chunk is recorded once, as read, marked forwarded (not again as written).
    expect(legData(events, id, 'client', 'in')[0]).toMatchObject({ forwarded: true, total: 12, size: 12 })
    expect(legData(events, id, 'target', 'in')[0]).toMatchObject({ forwarded: true, total: 8 })
    expect(legData(events, id, 'target', 'out')).toHaveLength(0)
    expect(legData(events, id, 'client', 'out')).toHaveLength(0)

    // The pair is one connection row whose target leg is described too.
    const detail = (await gw.api('GET', `/api/endpoints/${r.id}`)).body
    const row = detail.connections.find((x: any) => x.id === id)
    expect(row).toMatchObject({ state: 'open', bytesIn: 12, bytesOut: 8, remote: { port: c.socket.localPort } })
    expect(row.target).toMatchObject({ remote: { port: s.socket.localPort }, local: { port: s.socket.remotePort }, bytesIn: 8, bytesOut: 12 })
    expect(detail.connections).toHaveLength(1)
    // The pair opened before its target leg connected; the open state carries that leg's addresses, so a
    // live viewer learns them without fetching a snapshot.
    const opened = events.find((e) => e.type === 'connection-opened' && e.connectionId === id)
    expect(opened).toMatchObject({ connection: { state: 'connecting', target: { remote: { port: s.socket.localPort } } } })
    expect((opened as any).connection.target.local).toBeUndefined()
    expect(events.find(stateOf(id, 'open'))).toMatchObject({
      target: { remote: { address: '127.0.0.1', port: s.socket.localPort }, local: { address: '127.0.0.1', port: s.socket.remotePort } },
    })
  })

  it('injects bytes typed by a person into either direction of a live pair', async () => {
    const { r, c, s, id } = await pairThrough()
    const toTarget = await gw.api('POST', `/api/endpoints/${r.id}/send`, { connection: id, toward: 'target', data: '41 42 0d 0a', encoding: 'hex' })
    expect(toTarget).toMatchObject({ status: 200, body: { bytes: 4, connections: 1 } })
    await s.waitForText('AB\r\n')
    const toClient = await gw.api('POST', `/api/endpoints/${r.id}/send`, { connection: id, toward: 'client', data: '你好', encoding: 'gbk' })
    expect(toClient.body).toMatchObject({ bytes: 4, connections: 1 })
    await c.waitForBytes(4)
    expect(c.received.toString('hex')).toBe('c4e3bac3')
    // Nothing was invented on the other legs, and the injected chunks say so.
    expect(c.received.length).toBe(4)
    expect(s.received.length).toBe(4)
    const events = eventsOf(gw, r.id)
    expect(legData(events, id, 'target', 'out')).toMatchObject([{ origin: 'inject', size: 4 }])
    expect(legData(events, id, 'client', 'out')).toMatchObject([{ origin: 'inject', size: 4 }])
    expect(legData(events, id, 'client', 'in')).toHaveLength(0)

    const noWay = await gw.api('POST', `/api/endpoints/${r.id}/send`, { connection: id, data: 'x' })
    expect(noWay).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'toward' } } })
    const badWay = await gw.api('POST', `/api/endpoints/${r.id}/send`, { connection: id, toward: 'sideways', data: 'x' })
    expect(badWay).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'toward' } } })
    const noPair = await gw.api('POST', `/api/endpoints/${r.id}/send`, { connection: 'c999999', toward: 'client', data: 'x' })
    expect(noPair).toMatchObject({ status: 404, body: { error: { code: 'ENOCONN', field: 'connection' } } })
    // The relay is still fine after bad requests.
    await c.write('still here')
    await s.waitForText('still here')
  })

  it('passes half-close through: FIN from the client reaches the target while target→client keeps flowing', async () => {
    const { r, c, s, id } = await pairThrough({}, { allowHalfOpen: true })
    await c.write('request, then FIN')
    c.end()
    await s.ended // the target's recv() returned b''
    expect(s.text()).toBe('request, then FIN')
    expect(c.endedFlag).toBe(false)
    await waitForEvent(gw, r.id, stateOf(id, 'fin-received'), 'fin-received on the pair')

    // The reverse direction still works after the client's FIN.
    await s.write('answer after your FIN')
    await c.waitForText('answer after your FIN')
    s.end()
    await c.ended
    await waitForEvent(gw, r.id, stateOf(id, 'closed'), 'pair closed')
    const notes = eventsOf(gw, r.id).filter((e) => e.type === 'note' && e.connectionId === id).map((e: any) => e.text)
    expect(notes.some((t) => t.startsWith('client sent FIN'))).toBe(true)
    expect(notes.some((t) => t.startsWith('target sent FIN'))).toBe(true)
    expect(relayOf(gw, r.id).stats.connections).toBe(0)
  })

  it('passes FIN from the target to the client first, and the client can still send', async () => {
    const { c, s } = await pairThrough({}, { allowHalfOpen: true })
    s.end()
    await c.ended
    await c.write('late words')
    await s.waitForText('late words')
  })

  it('target down: the client is closed and the reason is on the pair', async () => {
    const port = await closedPort()
    const r = await relay(port)
    expect(r.remote).toMatchObject({ address: '127.0.0.1', port })
    const c = await client(r.local.port)
    const id = await connectionIdOf(gw, r.id, c)
    await c.closed
    expect(c.endedFlag).toBe(true) // an orderly FIN, so a tutorial client's recv() returns b''
    const closed = await waitForEvent<any>(gw, r.id, stateOf(id, 'closed'), 'pair closed')
    expect(closed.reason).toMatchObject({ code: 'ECONNREFUSED' })
    expect(closed.reason.message).toMatch(/cannot reach the target.*refused/)
    await waitForEvent(gw, r.id, (e) => e.type === 'error' && e.connectionId === id && e.error.code === 'ECONNREFUSED', 'error event')
    // The relay keeps listening for the next client.
    expect(relayOf(gw, r.id).state).toBe('listening')
  })

  it('gives up on a target that does not answer after connectTimeoutMs', async () => {
    // A listener that never accepts, its backlog filled: the kernel drops further SYNs, so connect() hangs.
    const silent = cleanup.add(
      await spawnPythonServer(['-c', 'import socket,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1])\nsys.stdin.read()']),
      (p) => p.stop(),
    )
    const fillers: net.Socket[] = []
    cleanup.add(fillers, (list) => list.forEach((f) => f.destroy()))
    // listen(0) keeps one or two handshakes in the queue; connect until one no longer completes.
    for (let i = 0; i < 4; i++) {
      const f = net.connect({ host: '127.0.0.1', port: silent.port })
      fillers.push(f)
      f.on('error', () => {})
      // Bounded wait for an event that may never come (that is the point: the queue is full).
      let timer: NodeJS.Timeout | undefined
      const done = await Promise.race([
        new Promise((r) => f.once('connect', () => r(true))),
        new Promise((r) => (timer = setTimeout(() => r(false), 300))),
      ])
      clearTimeout(timer)
      if (!done) break
    }
    const ep = await relay(silent.port, { connectTimeoutMs: 300 })
    const c = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, c)
    const closed = await waitForEvent<any>(gw, ep.id, stateOf(id, 'closed'), 'pair closed', 5000)
    expect(closed.reason).toMatchObject({ code: 'ETIMEDOUT' })
    expect(closed.reason.message).toMatch(/within 300 ms/)
    await c.closed
  })

  it('passes an RST from the target on to the client as an RST', async () => {
    const { r, c, s, id } = await pairThrough()
    await c.write('x')
    await s.waitForText('x')
    s.socket.resetAndDestroy()
    await c.closed
    expect(c.error?.code).toBe('ECONNRESET')
    const e = await waitForEvent<any>(gw, r.id, stateOf(id, 'reset'), 'pair reset')
    expect(e.reason.code).toBe('ECONNRESET')
  })

  it('honours backpressure: a target that does not read pauses the client, memory stays bounded, nothing is lost', async () => {
    const { r, c, s, id } = await pairThrough()
    s.socket.pause() // the target stops reading
    const total = 24 * 1024 * 1024
    const payload = Buffer.alloc(total)
    for (let i = 0; i < total; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i)
    c.socket.write(payload)

    const pair = pairOf(gw, r.id, id)
    // The relay stops reading from the client once the target's side is full…
    await waitFor(() => pair.client.isPaused(), 'relay paused the client', { timeoutMs: 10_000 })
    const readWhilePaused = pair.bytesIn
    // …and holds only a bounded amount itself; the rest waits in the kernel and the client's own buffer.
    expect(pair.up.waiting + pair.target.writableLength).toBeLessThanOrEqual(PIPE_HIGH_WATER + 256 * 1024)
    expect(readWhilePaused).toBeLessThan(total)
    expect(c.socket.writableLength).toBeGreaterThan(0)

    // Let the target read: every byte arrives, in order.
    const hash = createHash('sha256')
    let got = 0
    const done = new Promise<void>((resolve) => {
      s.socket.removeAllListeners('data')
      s.socket.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        got += chunk.length
        if (got >= total) resolve()
      })
    })
    s.socket.resume()
    await done
    expect(got).toBe(total)
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'))
  })

  it('resets pairs beyond maxConnections, and keeps live pairs relaying after stop-listening', async () => {
    const { r, c, s } = await pairThrough({ maxConnections: 1 })
    const outcome = await TcpPeer.connect(r.local.port).then(
      async (p) => {
        await p.closed
        return p.error?.code
      },
      (err) => err.code,
    )
    expect(outcome).toBe('ECONNRESET')
    await waitForEvent(gw, r.id, (e) => e.type === 'fault' && e.fault === 'refuse' && /limit 1/.test(e.text), 'refused over the limit')
    expect(relayOf(gw, r.id).stats.refused).toBe(1)

    const res = await gw.api('POST', `/api/endpoints/${r.id}/actions`, { action: 'stop-listening' })
    expect(res.body.state).toBe('not-listening')
    await expect(TcpPeer.connect(r.local.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await c.write('still relayed')
    await s.waitForText('still relayed')
  })

  it('refuses bad options with a named field and keeps running', async () => {
    const noTarget = await gw.api('POST', '/api/endpoints', { kind: 'tcp-relay', port: 0 })
    expect(noTarget).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'target' } } })
    const badPort = await gw.api('POST', '/api/endpoints', { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: 0 } })
    expect(badPort).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'target.port' } } })
    const t = await target()
    const taken = await relay(t.port)
    const clash = await gw.api('POST', '/api/endpoints', { kind: 'tcp-relay', port: taken.local.port, target: { host: '127.0.0.1', port: t.port } })
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'EADDRINUSE' } } })
  })

  it('closes every pair and the listener when removed', async () => {
    const { r, c, s } = await pairThrough()
    const del = await gw.api('DELETE', `/api/endpoints/${r.id}`)
    expect(del.status).toBe(204)
    await c.closed
    await s.ended
    await expect(TcpPeer.connect(r.local.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
