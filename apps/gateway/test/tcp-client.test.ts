import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import {
  assertWellFormed,
  closedPort,
  createEndpoint,
  dataBytes,
  eventsOf,
  isData,
  spawnPythonServer,
  stateOf,
  TcpPeer,
  waitFor,
  waitForEvent,
  waitForEvents,
} from './peers.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

/** A plain Node server the gateway's client connects to; hands out each accepted socket as a TcpPeer. */
async function peerServer(opts: { allowHalfOpen?: boolean } = {}) {
  const accepted: TcpPeer[] = []
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (s) => accepted.push(new TcpPeer(s)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  cleanup.add(server, (s) => {
    for (const p of accepted) p.socket.destroy()
    return new Promise((r) => s.close(r))
  })
  const port = (server.address() as net.AddressInfo).port
  return { port, accepted, nth: (i: number) => waitFor(() => accepted[i], `accepted connection #${i + 1}`) }
}

async function tcpClient(options: Record<string, unknown>) {
  const ep = await createEndpoint(gw, { kind: 'tcp-client', host: '127.0.0.1', ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep
}

describe('tcp-client', () => {
  it('connects: state connected, local and remote addresses, a connection row that went connecting → open', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port, name: 'to peer' })
    expect(ep).toMatchObject({ kind: 'tcp-client', state: 'connected', remote: { address: '127.0.0.1', port: srv.port } })
    const peer = await srv.nth(0)
    expect(ep.local.port).toBe(peer.socket.remotePort)
    expect(ep.connections).toHaveLength(1)
    const id = ep.connections[0].id
    expect(ep.connections[0]).toMatchObject({ state: 'open', remote: { port: srv.port } })
    const events = eventsOf(gw, ep.id)
    assertWellFormed(events)
    const opened = events.find((e) => e.type === 'connection-opened')!
    expect(opened).toMatchObject({ connectionId: id, connection: { state: 'connecting' } })
    expect(events.some(stateOf(id, 'open'))).toBe(true)
    expect(events.filter((e) => e.type === 'endpoint').map((e) => (e as any).endpoint.state)).toEqual(['connecting', 'connected'])
  })

  it('announces the open state with the addresses connecting taught, and the log file names them', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port, log: true })
    const peer = await srv.nth(0)
    const id = ep.connections[0].id
    const events = eventsOf(gw, ep.id)
    assertWellFormed(events)
    // Opened while dialing: no addresses yet.
    const opened = events.find((e) => e.type === 'connection-opened')!
    expect(opened).toMatchObject({ connectionId: id, connection: { state: 'connecting', remote: { port: 0 }, local: { port: 0 } } })
    // Open: both addresses, as the peer sees them.
    const me = { address: '127.0.0.1', port: peer.socket.remotePort }
    const server = { address: '127.0.0.1', port: srv.port }
    expect(events.find(stateOf(id, 'open'))).toMatchObject({ local: me, remote: server })

    // A reconnect is a new row with its own open state and a new local port.
    await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'reconnect' })
    const peer2 = await srv.nth(1)
    const id2 = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body.connections.find((c: { state: string }) => c.state === 'open').id
    expect(id2).not.toBe(id)
    const open2 = await waitForEvent(gw, ep.id, stateOf(id2, 'open'), 'second open')
    expect(open2).toMatchObject({ local: { address: '127.0.0.1', port: peer2.socket.remotePort }, remote: server })
    expect(peer2.socket.remotePort).not.toBe(me.port)

    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'hi' })
    await peer2.waitForText('hi')
    await waitForEvent(gw, ep.id, isData('out'), 'data out')
    const log = await (await fetch(`${gw.url}/api/endpoints/${ep.id}/log`)).text()
    const rest = log.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/^\S+ /, ''))
    expect(rest).toContain(`${id} -- connecting to 127.0.0.1:${srv.port}`)
    expect(rest).toContain(`${id} -- connected to 127.0.0.1:${srv.port} from 127.0.0.1:${me.port}`)
    expect(rest).toContain(`${id2} -- connected to 127.0.0.1:${srv.port} from 127.0.0.1:${peer2.socket.remotePort}`)
    // Bytes name the peer the open state taught.
    expect(rest.find((l) => l.startsWith(`${id2} -> 127.0.0.1:${srv.port} 2 bytes`))).toMatch(/"hi" \| 68 69$/)
  })

  it('sends text the peer reads, and records what the peer sends back', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port })
    const peer = await srv.nth(0)
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'hello server', lineEnding: 'crlf' })
    expect(res).toMatchObject({ status: 200, body: { bytes: 14, connections: 1 } })
    await peer.waitForText('hello server\r\n')
    await peer.write('hello client')
    const e = await waitForEvent(gw, ep.id, isData('in'), 'data in')
    expect(e).toMatchObject({ connectionId: ep.connections[0].id, size: 12, total: 12 })
    expect(Buffer.from((e as any).data, 'base64').toString()).toBe('hello client')
  })

  it('auto-reply on a client answers what the server sends', async () => {
    const srv = await peerServer()
    await tcpClient({ port: srv.port, reply: { mode: 'upper' } })
    const peer = await srv.nth(0)
    await peer.write('shout this')
    await peer.waitForText('SHOUT THIS')
  })

  it('half-close: the peer reads end-of-stream, can still send, and we receive it', async () => {
    const srv = await peerServer({ allowHalfOpen: true })
    const ep = await tcpClient({ port: srv.port })
    const id = ep.connections[0].id
    const peer = await srv.nth(0)
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'request' })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'half-close' })
    expect(res.status).toBe(200)
    expect(res.body.connections[0]).toMatchObject({ id, state: 'fin-sent' })
    await peer.ended
    expect(peer.text()).toBe('request')
    // Our side is shut for writing: a send is refused clearly.
    const refused = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'more' })
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('EPIPE')
    // The peer answers after our FIN, then closes.
    await peer.write('response after your FIN')
    peer.end()
    await waitForEvents(gw, ep.id, (ev) => dataBytes(ev, 'in', id).toString() === 'response after your FIN', 'answer after FIN')
    await waitForEvent(gw, ep.id, stateOf(id, 'closed'), 'closed')
    await waitFor(() => gw.endpoints.get(ep.id).state === 'closed', 'endpoint closed')
  })

  it('close, then send is 409 ENOTCONN; reconnect opens a new connection row', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port })
    const first = ep.connections[0].id
    const closed = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'close' })
    expect(closed.body).toMatchObject({ state: 'closed', connections: [{ id: first, state: 'closed' }] })
    await (await srv.nth(0)).closed

    const send = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x' })
    expect(send.status).toBe(409)
    expect(send.body.error).toMatchObject({ code: 'ENOTCONN' })
    expect(send.body.error.message).toMatch(/reconnect/)

    const again = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'reconnect' })
    expect(again.body.state).toBe('connected')
    expect(again.body.connections.map((c: any) => c.state)).toEqual(['closed', 'open'])
    const second = again.body.connections[1].id
    expect(second).not.toBe(first)
    const peer2 = await srv.nth(1)
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'second life' })
    await peer2.waitForText('second life')

    // Reconnect while connected drops the current connection first.
    const third = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'reconnect' })
    expect(third.body.connections.map((c: any) => c.state)).toEqual(['closed', 'closed', 'open'])
    await peer2.closed
    await srv.nth(2)
  })

  it('the server closing the connection closes the endpoint (state closed), with FIN answered', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port })
    const id = ep.connections[0].id
    const peer = await srv.nth(0)
    peer.end()
    await waitForEvent(gw, ep.id, stateOf(id, 'fin-received'), 'fin-received')
    await peer.closed
    await waitForEvent(gw, ep.id, (e) => e.type === 'endpoint' && e.endpoint.state === 'closed', 'endpoint closed')
  })

  it('a refused connection is a clear error and leaves no endpoint behind', async () => {
    const port = await closedPort()
    const before = (await gw.api('GET', '/api/endpoints')).body.length
    const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('ECONNREFUSED')
    expect(res.body.error.message).toBe(`connection refused by 127.0.0.1:${port}: nothing is listening there`)
    expect((await gw.api('GET', '/api/endpoints')).body.length).toBe(before)
  })

  it('times out (ETIMEDOUT, naming the limit) on a listener whose accept queue is full', async () => {
    // A Python listener with backlog 0 that never accepts: once one connection fills its queue, the kernel drops
    // further SYNs, so our connect gets no answer at all — a real timeout on loopback.
    const listener = cleanup.add(
      await spawnPythonServer([
        '-c',
        "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1])\ntime.sleep(30)",
      ]),
      (p) => p.stop(),
    )
    const filler = cleanup.add(await TcpPeer.connect(listener.port), (p) => p.destroy())
    expect(filler.socket.remotePort).toBe(listener.port)
    const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port: listener.port, timeoutMs: 300 })
    expect(res.status).toBe(422)
    expect(res.body.error).toEqual({ code: 'ETIMEDOUT', message: `no answer from 127.0.0.1:${listener.port} within 300 ms` })
  })

  it('a host name that does not resolve is ENOTFOUND with the name in the sentence', async () => {
    const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', host: 'nonexistent.invalid', port: 80, timeoutMs: 3000 })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('ENOTFOUND')
    expect(res.body.error.message).toBe('host name "nonexistent.invalid" could not be resolved')
  })

  it('validates the client options: port 0 and unknown fields are 400 naming the field', async () => {
    const zero = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port: 0 })
    expect(zero.status).toBe(400)
    expect(zero.body.error).toMatchObject({ code: 'EVALIDATION', field: 'port' })
    const noHost = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', port: 80 })
    expect(noHost.status).toBe(400)
    expect(noHost.body.error).toMatchObject({ code: 'EVALIDATION', field: 'host' })
    const extra = await gw.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port: 80, backlog: 5 })
    expect(extra.status).toBe(400)
    expect(extra.body.error).toMatchObject({ code: 'EVALIDATION', field: 'backlog' })
  })

  it('stop-listening is not a client action: 405 ENOTSUP', async () => {
    const srv = await peerServer()
    const ep = await tcpClient({ port: srv.port })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-listening' })
    expect(res.status).toBe(405)
    expect(res.body.error.code).toBe('ENOTSUP')
  })
})
