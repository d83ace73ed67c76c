import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import {
  assertWellFormed,
  closedPort,
  connectionIdOf,
  createEndpoint,
  dataBytes,
  eventsOf,
  isData,
  stateOf,
  TcpPeer,
  waitFor,
  waitForEvent,
  waitForEvents,
} from './peers.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

/** A tcp-server endpoint on 127.0.0.1:0; removed after the test. */
async function server(options: Record<string, unknown> = {}) {
  const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { address: string; port: number }; state: string }
}
async function client(port: number, opts: { allowHalfOpen?: boolean } = {}) {
  return cleanup.add(await TcpPeer.connect(port, opts), (p) => p.destroy())
}

describe('tcp-server', () => {
  it('listens on 127.0.0.1 with port 0 → a real port, honours backlog, and greets each client first', async () => {
    const ep = await server({ host: '127.0.0.1', backlog: 5, greeting: 'welcome to socklab\n', name: 'greeter' })
    expect(ep.state).toBe('listening')
    expect(ep.local.address).toBe('127.0.0.1')
    expect(ep.local.port).toBeGreaterThan(0)
    const list = await gw.api('GET', '/api/endpoints')
    expect(list.body.find((e: any) => e.id === ep.id)).toMatchObject({ kind: 'tcp-server', name: 'greeter', options: { backlog: 5 } })

    const peer = await client(ep.local.port)
    await peer.waitForText('welcome to socklab\n')
    const id = await connectionIdOf(gw, ep.id, peer)
    const out = await waitForEvent(gw, ep.id, (e) => isData('out')(e) && e.connectionId === id, 'greeting data event')
    expect(out).toMatchObject({ origin: 'greeting', size: 19, total: 19 })
  })

  it('without auto-reply records what a client sends and answers nothing', async () => {
    const ep = await server()
    const peer = await client(ep.local.port)
    await peer.write('just listening')
    const e = await waitForEvent(gw, ep.id, isData('in'), 'data in')
    expect(Buffer.from((e as any).data, 'base64').toString()).toBe('just listening')
    // The gateway answered nothing: the echo would have been recorded before the in-event's successors.
    await peer.write('second')
    await waitForEvents(gw, ep.id, (ev) => dataBytes(ev, 'in').toString() === 'just listeningsecond', 'both chunks in')
    expect(eventsOf(gw, ep.id).filter(isData('out'))).toHaveLength(0)
    expect(peer.received.length).toBe(0)
  })

  it('auto-reply echo sends back exactly the bytes received, recorded as origin reply', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const peer = await client(ep.local.port)
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x68, 0x69])
    await peer.write(bytes)
    expect((await peer.waitForBytes(bytes.length)).equals(bytes)).toBe(true)
    const out = await waitForEvent(gw, ep.id, isData('out'), 'reply event')
    expect(out).toMatchObject({ origin: 'reply', size: 8 })
    const events = eventsOf(gw, ep.id)
    assertWellFormed(events)
    expect(dataBytes(events, 'in').equals(bytes)).toBe(true)
  })

  it('auto-reply upper upper-cases like data.decode().upper().encode(), ASCII and beyond', async () => {
    const ep = await server({ reply: { mode: 'upper' } })
    const peer = await client(ep.local.port)
    await peer.write('hello, socket 123\n')
    await peer.waitForText('HELLO, SOCKET 123\n')
    peer.clear()
    await peer.write('grüße')
    await peer.waitForText('GRÜSSE')
  })

  it('upper in gbk decodes and re-encodes with gbk', async () => {
    const ep = await server({ reply: { mode: 'upper' }, encoding: 'gbk' })
    const peer = await client(ep.local.port)
    const sent = Buffer.concat([Buffer.from('abc'), Buffer.from('c4e3bac3', 'hex')]) // abc你好 in gbk
    await peer.write(sent)
    const got = await peer.waitForBytes(7)
    expect(got.toString('hex')).toBe(Buffer.concat([Buffer.from('ABC'), Buffer.from('c4e3bac3', 'hex')]).toString('hex'))
  })

  it('upper on a utf-8 server answers gbk bytes byte for byte (ASCII upper-cased), not as U+FFFD garbage', async () => {
    const ep = await server({ reply: { mode: 'upper' } })
    const peer = await client(ep.local.port)
    await peer.write(Buffer.concat([Buffer.from('hello '), Buffer.from('c4e3bac3', 'hex')])) // "hello 你好" in gbk
    const got = await peer.waitForBytes(10)
    expect(got.toString('hex')).toBe(Buffer.concat([Buffer.from('HELLO '), Buffer.from('c4e3bac3', 'hex')]).toString('hex'))
  })

  it('auto-reply fixed answers 已送达 in gbk (encoding: gbk), and the greeting is gbk too', async () => {
    const ep = await server({ reply: { mode: 'fixed', text: '已送达' }, encoding: 'gbk', greeting: '欢迎' })
    const peer = await client(ep.local.port)
    await peer.waitFor((b) => b.length >= 4, 'gbk greeting')
    expect(peer.received.toString('hex')).toBe('bbb6d3ad')
    peer.clear()
    await peer.write(Buffer.from('c4e3bac3', 'hex'))
    await peer.waitForBytes(6)
    expect(peer.received.toString('hex')).toBe('d2d1cbcdb4ef')
    // Answered once per chunk received.
    peer.clear()
    await peer.write('again')
    await peer.waitForBytes(6)
    expect(peer.received.toString('hex')).toBe('d2d1cbcdb4ef')
  })

  it('close-after-reply answers once, then sends FIN: the client reads the reply and then end-of-stream', async () => {
    const ep = await server({ reply: { mode: 'fixed', text: 'thank you !', close: true } })
    const peer = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, peer)
    await peer.write('hi')
    await peer.ended
    expect(peer.text()).toBe('thank you !')
    await waitForEvent(gw, ep.id, stateOf(id, 'fin-sent'), 'fin-sent')
    await waitForEvent(gw, ep.id, stateOf(id, 'closed'), 'closed')
    const states = eventsOf(gw, ep.id)
      .filter((e) => e.type === 'connection-state' && e.connectionId === id)
      .map((e) => (e as any).state)
    expect(states).toEqual(['fin-sent', 'closed'])
  })

  it('sends to one client by id, or to all (broadcast)', async () => {
    const ep = await server()
    const a = await client(ep.local.port)
    const b = await client(ep.local.port)
    const idA = await connectionIdOf(gw, ep.id, a)
    const idB = await connectionIdOf(gw, ep.id, b)

    const one = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'only a', connection: idA })
    expect(one).toMatchObject({ status: 200, body: { bytes: 6, connections: 1 } })
    await a.waitForText('only a')

    const all = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'to all', lineEnding: 'lf' })
    expect(all).toMatchObject({ status: 200, body: { bytes: 7, connections: 2 } })
    await a.waitForText('only ato all\n')
    await b.waitForText('to all\n')
    expect(b.text()).toBe('to all\n')

    const outs = eventsOf(gw, ep.id).filter(isData('out'))
    expect(outs.map((e) => [e.connectionId, e.origin])).toEqual([
      [idA, 'send'],
      [idA, 'broadcast'],
      [idB, 'broadcast'],
    ])
    const missing = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', connection: 'c999999' })
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'ENOCONN', field: 'connection' } } })
  })

  it('broadcast with no client connected is a clear 404', async () => {
    const ep = await server()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'anyone?' })
    expect(res.status).toBe(404)
    expect(res.body.error).toMatchObject({ code: 'ENOCONN' })
    expect(res.body.error.message).toMatch(/no client/)
  })

  it('disconnects one client with end (FIN, the client may still send) and another with destroy', async () => {
    const ep = await server()
    const a = await client(ep.local.port, { allowHalfOpen: true })
    const b = await client(ep.local.port)
    const idA = await connectionIdOf(gw, ep.id, a)
    const idB = await connectionIdOf(gw, ep.id, b)

    expect((await gw.api('POST', `/api/endpoints/${ep.id}/connections/${idA}/close`, { mode: 'end' })).status).toBe(200)
    await a.ended
    await waitForEvent(gw, ep.id, stateOf(idA, 'fin-sent'), 'fin-sent on a')
    // Half-closed by us: the client still talks and we still hear it.
    await a.write('still here')
    await waitForEvents(gw, ep.id, (ev) => dataBytes(ev, 'in', idA).toString() === 'still here', 'data after our FIN')
    a.end()
    await waitForEvent(gw, ep.id, stateOf(idA, 'closed'), 'a closed')

    expect((await gw.api('POST', `/api/endpoints/${ep.id}/connections/${idB}/close`, { mode: 'destroy' })).status).toBe(200)
    await b.closed
    await waitForEvent(gw, ep.id, stateOf(idB, 'closed'), 'b closed')
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.connections.map((c: any) => [c.id, c.state])).toEqual([
      [idA, 'closed'],
      [idB, 'closed'],
    ])
    expect(detail.stats.connections).toBe(0)
    // A closed connection cannot be sent to.
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', connection: idB })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('EPIPE')
  })

  it('stop-listening: connected clients keep talking, new connects are refused', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const old = await client(ep.local.port)
    await connectionIdOf(gw, ep.id, old)
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-listening' })
    expect(res.status).toBe(200)
    expect(res.body.state).toBe('not-listening')
    await expect(TcpPeer.connect(ep.local.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await old.write('ping')
    await old.waitForText('ping')
    await waitForEvent(gw, ep.id, (e) => e.type === 'note' && /stopped listening/.test(e.text), 'note')
    // Asking again changes nothing.
    expect((await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-listening' })).body.state).toBe('not-listening')
  })

  it('stop (DELETE) closes every client, frees the port and leaves the history', async () => {
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0 })
    const peers = await Promise.all([client(ep.local.port), client(ep.local.port), client(ep.local.port)])
    await waitFor(() => eventsOf(gw, ep.id).filter((e) => e.type === 'connection-opened').length === 3, '3 connections')
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    await Promise.all(peers.map((p) => p.closed))
    expect((await gw.api('GET', `/api/endpoints/${ep.id}`)).status).toBe(404)
    const hist = await gw.api('GET', `/api/endpoints/${ep.id}/events`)
    expect(hist.status).toBe(200)
    const types = hist.body.events.map((e: any) => e.type)
    expect(types.filter((t: string) => t === 'connection-state')).toHaveLength(3)
    expect(types.at(-1)).toBe('endpoint-removed')
    // The port is free again: something else can listen there.
    const again = net.createServer()
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject)
      again.listen(ep.local.port, '127.0.0.1', () => resolve())
    })
    await new Promise((r) => again.close(r))
  })

  it('the close action stops the server too', async () => {
    const ep = await server()
    const peer = await client(ep.local.port)
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'close' })
    expect(res.body.state).toBe('closed')
    await peer.closed
    await expect(TcpPeer.connect(ep.local.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('serves 50 clients at once, each hearing only its own echo', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const peers = await Promise.all(Array.from({ length: 50 }, () => client(ep.local.port)))
    await Promise.all(peers.map((p, i) => p.write(`client ${i} says hi`)))
    await Promise.all(peers.map((p, i) => p.waitForText(`client ${i} says hi`)))
    peers.forEach((p, i) => expect(p.text()).toBe(`client ${i} says hi`))
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.stats).toMatchObject({ connections: 50, totalConnections: 50, refused: 0 })
    expect(detail.connections).toHaveLength(50)
    expect(new Set(detail.connections.map((c: any) => c.remote.port))).toEqual(new Set(peers.map((p) => p.socket.localPort)))
    for (const c of detail.connections) expect(c).toMatchObject({ state: 'open', bytesIn: c.bytesOut, local: { port: ep.local.port } })
    assertWellFormed(eventsOf(gw, ep.id))
  })

  it('echo to a client that sends but does not read stops reading it (flow control) instead of buffering without bound', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const peer = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, peer)
    const conn = gw.endpoints.get(ep.id).connections.get(id) as unknown as { socket: import('node:net').Socket }
    peer.socket.pause() // the client stops reading our answers
    const total = 32 * 1024 * 1024
    const payload = Buffer.alloc(total)
    for (let i = 0; i < total; i += 4) payload.writeUInt32BE(i, i)
    peer.socket.write(payload)
    // Kernel buffers fill both ways, our writes start queueing, and the gateway stops reading.
    await waitFor(() => conn.socket.isPaused(), 'the gateway to pause reading', { timeoutMs: 10_000 })
    const paused = { queued: conn.socket.writableLength, bytesIn: gw.endpoints.get(ep.id).stats.bytesIn }
    expect(paused.bytesIn).toBeLessThan(total)
    // Bounded by one read (≤ 64 KiB) past the stream's high-water mark, not by what the client sent.
    expect(paused.queued).toBeLessThan(conn.socket.writableHighWaterMark + 64 * 1024 + 1)
    // Reading again, every byte comes back, in order.
    peer.socket.resume()
    const back = await peer.waitForBytes(total, 15_000)
    expect(back.equals(payload)).toBe(true)
  })

  it('client half-close: FIN → fin-received, the echo of earlier data still arrives, then the gateway answers FIN', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const peer = await client(ep.local.port, { allowHalfOpen: true })
    const id = await connectionIdOf(gw, ep.id, peer)
    await peer.write('last words')
    peer.end()
    await peer.ended
    expect(peer.text()).toBe('last words')
    await waitForEvent(gw, ep.id, stateOf(id, 'fin-received'), 'fin-received')
    await waitForEvent(gw, ep.id, stateOf(id, 'closed'), 'closed')
    // Once we answered FIN, sending to it is refused clearly instead of failing on the socket.
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', connection: id })
    expect(res.status).toBe(409)
  })

  it('client half-close with nothing pending: the gateway answers FIN and the connection closes', async () => {
    const ep = await server()
    const peer = await client(ep.local.port, { allowHalfOpen: true })
    const id = await connectionIdOf(gw, ep.id, peer)
    peer.end()
    await waitForEvent(gw, ep.id, stateOf(id, 'fin-received'), 'fin-received')
    // The default answers FIN at once; the client sees end-of-stream.
    await peer.ended
    await peer.closed
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.connections[0]).toMatchObject({ id, state: 'closed' })
  })

  it('a client reset (RST) shows as state reset with ECONNRESET', async () => {
    const ep = await server()
    const peer = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, peer)
    peer.socket.resetAndDestroy()
    const e = await waitForEvent(gw, ep.id, stateOf(id, 'reset'), 'reset')
    expect((e as any).reason).toMatchObject({ code: 'ECONNRESET' })
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.connections[0]).toMatchObject({ id, state: 'reset', reason: { code: 'ECONNRESET' } })
    expect(detail.stats.connections).toBe(0)
  })

  it('idleTimeoutMs closes a silent connection and says why', async () => {
    const ep = await server({ idleTimeoutMs: 300, reply: { mode: 'echo' } })
    const silent = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, silent)
    await silent.closed
    const note = await waitForEvent(gw, ep.id, (e) => e.type === 'note' && e.connectionId === id, 'idle note')
    expect((note as any).text).toMatch(/idle for 300 ms/)
    await waitForEvent(gw, ep.id, stateOf(id, 'closed'), 'closed')
  })

  it('maxConnections: the excess connection is closed at once, counted in stats.refused, and noted', async () => {
    const ep = await server({ maxConnections: 2, reply: { mode: 'echo' } })
    const a = await client(ep.local.port)
    const b = await client(ep.local.port)
    await waitFor(() => eventsOf(gw, ep.id).filter((e) => e.type === 'connection-opened').length === 2, 'two connections')
    const c = await client(ep.local.port)
    await c.closed
    const note = await waitForEvent(gw, ep.id, (e) => e.type === 'note' && /refused/.test(e.text), 'refusal note')
    expect((note as any).text).toMatch(/limit 2/)
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.stats).toMatchObject({ connections: 2, totalConnections: 2, refused: 1 })
    // The two admitted clients are unaffected.
    await a.write('a')
    await b.write('b')
    await a.waitForText('a')
    await b.waitForText('b')
    // When one leaves, a new client is admitted again.
    const idA = await connectionIdOf(gw, ep.id, a)
    await a.destroy()
    await waitForEvent(gw, ep.id, stateOf(idA, 'closed'), 'a closed')
    const d = await client(ep.local.port)
    await d.write('d')
    await d.waitForText('d')
  })

  it('refuses a busy port with 409 EADDRINUSE and a sentence; the other endpoint keeps working', async () => {
    const ep = await server({ reply: { mode: 'echo' } })
    const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-server', port: ep.local.port })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('EADDRINUSE')
    expect(res.body.error.message).toMatch(new RegExp(`port ${ep.local.port} .*already in use`))
    const peer = await client(ep.local.port)
    await peer.write('ok?')
    await peer.waitForText('ok?')
    // Nothing half-created was left behind.
    const list = (await gw.api('GET', '/api/endpoints')).body
    expect(list.filter((e: any) => e.local?.port === ep.local.port)).toHaveLength(1)
  })

  it('a port nothing listens on is really refused (sanity check for the refusal tests)', async () => {
    const port = await closedPort()
    await expect(TcpPeer.connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
