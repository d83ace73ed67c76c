import net from 'node:net'
import type { SocklabEvent } from '@socklab/shared'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, connectionIdOf, createEndpoint, eventsOf, isData, TcpPeer, UdpPeer, waitFor, waitForEvent, waitForEvents } from './peers.ts'

let gw: TestGateway
const cleanup = new Cleanup()
beforeAll(async () => {
  gw = await startGateway()
})
afterEach(() => cleanup.run())
afterAll(() => gw.close())

/**
 * How long we listen for a datagram or chunk that must NOT come after a repeat stopped: ten intervals of
 * the 20 ms repeats used here, so a timer that survived would have fired several times by then.
 */
const GRACE_MS = 200

async function endpoint(body: Record<string, unknown>) {
  const ep = await createEndpoint(gw, body)
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number } }
}
async function udpPeer() {
  return cleanup.add(await UdpPeer.bind(), (p) => p.close())
}
/** A gateway TCP server with one real client connected; returns both and the gateway's connection id. */
async function tcpServerWithClient() {
  const ep = await endpoint({ kind: 'tcp-server', port: 0 })
  const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
  const cid = await connectionIdOf(gw, ep.id, peer)
  return { ep, peer, cid }
}
/** A plain Node server for the gateway's TCP client to connect to. */
async function peerServer() {
  const accepted: TcpPeer[] = []
  const server = net.createServer((s) => accepted.push(new TcpPeer(s)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  cleanup.add(server, (s) => {
    for (const p of accepted) p.socket.destroy()
    return new Promise((r) => s.close(r))
  })
  return { port: (server.address() as net.AddressInfo).port, first: () => waitFor(() => accepted[0], 'accepted connection') }
}

const repeatOuts = (events: SocklabEvent[]) => events.filter(isData('out')).filter((e) => e.origin === 'repeat')
type EndpointEvent = Extract<SocklabEvent, { type: 'endpoint' }>
const endpointEvents = (events: SocklabEvent[]) => events.filter((e): e is EndpointEvent => e.type === 'endpoint')
/** Wait until the last `endpoint` event shows no running repeat (after one that did). */
function repeatEnded(endpointId: string) {
  return waitForEvents(
    gw,
    endpointId,
    (events) => {
      const eps = endpointEvents(events)
      const startedAt = eps.findIndex((e) => e.endpoint.repeats?.length)
      return startedAt >= 0 && eps.length > startedAt + 1 && !eps.at(-1)!.endpoint.repeats ? eps : null
    },
    'an endpoint event showing the repeat ended',
  )
}
/** The next datagram, or null if none comes within the grace window. */
async function nextOrNothing(peer: UdpPeer): Promise<Buffer | null> {
  return peer.next(GRACE_MS).then(
    (d) => d.msg,
    () => null,
  )
}

describe('checksums on the wire', () => {
  it('TCP server: Modbus RTU CRC goes low byte first, CRC-32 before the line ending', async () => {
    const { ep, peer } = await tcpServerWithClient()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '01 03 00 00 00 0A', encoding: 'hex', checksum: 'crc16-modbus' })
    expect(res).toMatchObject({ status: 200, body: { bytes: 8, connections: 1 } })
    expect((await peer.waitForBytes(8)).toString('hex')).toBe('01030000000ac5cd')
    peer.clear()
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '123456789', checksum: 'crc32', lineEnding: 'crlf' })
    expect((await peer.waitForBytes(15)).toString('hex')).toBe(Buffer.from('123456789').toString('hex') + 'cbf43926' + '0d0a')
  })

  it('TCP client: CRC-16/CCITT big-endian', async () => {
    const server = await peerServer()
    const ep = await endpoint({ kind: 'tcp-client', host: '127.0.0.1', port: server.port })
    const peer = await server.first()
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '123456789', checksum: 'crc16-ccitt' })
    expect((await peer.waitForBytes(11)).toString('hex')).toBe(Buffer.from('123456789').toString('hex') + '29b1')
  })

  it('UDP: sum8, xor8 and crc8 each end the datagram; the out event records the bytes sent', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    const to = { host: '127.0.0.1', port: p.port }
    for (const [checksum, check] of [['sum8', 'dd'], ['xor8', '31'], ['crc8', 'f4'], ['none', '']] as const) {
      await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '123456789', checksum, to })
      expect((await p.next()).msg.toString('hex')).toBe(Buffer.from('123456789').toString('hex') + check)
    }
    const outs = eventsOf(gw, ep.id).filter(isData('out'))
    expect(outs.map((e) => e.size)).toEqual([10, 10, 10, 9])
    expect(Buffer.from(outs[2]!.data, 'base64').toString('hex').slice(-2)).toBe('f4')
  })

  it('rejects an unknown checksum naming the field, and sends nothing', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', checksum: 'md5', to: { host: '127.0.0.1', port: p.port } })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'EVALIDATION', field: 'checksum' })
    expect(eventsOf(gw, ep.id).filter(isData('out'))).toHaveLength(0)
  })
})

describe('timed resend', () => {
  it('UDP count=3 at 20 ms: exactly 3 datagrams, each an ordinary data event with origin repeat; every viewer sees it start and end', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    const to = { host: '127.0.0.1', port: p.port }
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'tick', to, repeat: { intervalMs: 20, count: 3 } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ bytes: 4, repeat: { target: `127.0.0.1:${p.port}`, intervalMs: 20, count: 3, sent: 1 } })
    for (let i = 0; i < 3; i++) expect((await p.next()).msg.toString()).toBe('tick')
    const eps = await repeatEnded(ep.id)
    expect(eps.find((e) => e.endpoint.repeats?.length)!.endpoint.repeats![0]).toMatchObject({ target: `127.0.0.1:${p.port}`, count: 3 })
    expect(repeatOuts(eventsOf(gw, ep.id))).toHaveLength(3)
    // A marker sent after the repeat ended must be the very next datagram: no fourth copy went before it.
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'marker', to })
    expect((await p.next()).msg.toString()).toBe('marker')
    expect((await gw.api('GET', `/api/endpoints/${ep.id}`)).body.repeats).toBeUndefined()
  })

  it('TCP server count=3 at 20 ms with a checksum: the client reads exactly three framed copies', async () => {
    const { ep, peer, cid } = await tcpServerWithClient()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, {
      data: '01 03 00 00 00 0A',
      encoding: 'hex',
      checksum: 'crc16-modbus',
      connection: cid,
      repeat: { intervalMs: 20, count: 3 },
    })
    expect(res.body).toMatchObject({ bytes: 8, repeat: { target: cid, sent: 1 } })
    await peer.waitForBytes(24)
    await repeatEnded(ep.id)
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '!', connection: cid })
    const wire = (await peer.waitForBytes(25)).toString('hex')
    expect(wire).toBe('01030000000ac5cd'.repeat(3) + '21')
    expect(repeatOuts(eventsOf(gw, ep.id)).map((e) => e.connectionId)).toEqual([cid, cid, cid])
  })

  it('stop-repeat stops it: the peer gets exactly what the gateway recorded before the stop, then nothing', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    const to = { host: '127.0.0.1', port: p.port }
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'again', to, repeat: { intervalMs: 20 } })
    await p.next()
    await p.next()
    const stopped = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-repeat' })
    expect(stopped.status).toBe(200)
    expect(stopped.body.repeats).toBeUndefined()
    const sent = repeatOuts(eventsOf(gw, ep.id)).length
    expect(sent).toBeGreaterThanOrEqual(2)
    for (let i = 2; i < sent; i++) expect((await p.next()).msg.toString()).toBe('again')
    expect(await nextOrNothing(p)).toBeNull()
    expect(repeatOuts(eventsOf(gw, ep.id))).toHaveLength(sent)
    // Stopping again is harmless, like pressing Stop twice.
    expect((await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-repeat' })).status).toBe(200)
  })

  it('a new repeat to the same target replaces the running one; other targets keep theirs', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const a = await udpPeer()
    const b = await udpPeer()
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'old', to: { host: '127.0.0.1', port: a.port }, repeat: { intervalMs: 20 } })
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'b', to: { host: '127.0.0.1', port: b.port }, repeat: { intervalMs: 20 } })
    await a.next()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'new', to: { host: '127.0.0.1', port: a.port }, repeat: { intervalMs: 20, count: 2 } })
    expect(res.body.repeat).toMatchObject({ count: 2, sent: 1 })
    const detail = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body
    expect(detail.repeats.map((r: { target: string }) => r.target).sort()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort())
    // Whatever "old" copies were already on their way come first; after the first "new", only "new".
    const seen: string[] = []
    while (seen.filter((s) => s === 'new').length < 2) seen.push((await a.next()).msg.toString())
    expect(seen.slice(seen.indexOf('new'))).toEqual(['new', 'new'])
    expect(await nextOrNothing(a)).toBeNull()
    // b's repeat is untouched until stopped by name.
    await b.next()
    const stopB = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-repeat', target: `127.0.0.1:${b.port}` })
    expect(stopB.body.repeats).toBeUndefined()
  })

  it('deleting the endpoint clears the timer: no send or error is recorded after it is removed', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: p.port }, repeat: { intervalMs: 20 } })
    await p.next()
    await p.next()
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    const removed = await waitForEvent(gw, ep.id, (e) => e.type === 'endpoint-removed', 'endpoint-removed')
    const lastInfo = endpointEvents(eventsOf(gw, ep.id)).at(-1)!
    expect(lastInfo.endpoint.repeats).toBeUndefined()
    // A surviving timer would try to send on the closed socket within a few intervals and record an error.
    await new Promise((r) => setTimeout(r, GRACE_MS))
    expect(eventsOf(gw, ep.id).filter((e) => e.seq > removed.seq)).toEqual([])
  })

  it('TCP client: the peer going away stops the repeat with an error saying why', async () => {
    const server = await peerServer()
    const ep = await endpoint({ kind: 'tcp-client', host: '127.0.0.1', port: server.port })
    const peer = await server.first()
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'ping\n', repeat: { intervalMs: 20 } })
    await peer.waitForText('ping\nping\n')
    peer.socket.destroy()
    const error = await waitForEvent<Extract<SocklabEvent, { type: 'error' }>>(gw, ep.id, (e) => e.type === 'error', 'the repeat error')
    expect(error.error.message).toMatch(/^repeat to connection stopped after \d+ sends: /)
    await repeatEnded(ep.id)
    expect((await gw.api('GET', `/api/endpoints/${ep.id}`)).body.repeats).toBeUndefined()
  })

  it('a TCP peer that does not read holds back the repeat: at most one copy waits in our buffer', async () => {
    const { ep, peer, cid } = await tcpServerWithClient()
    peer.socket.pause()
    const payload = 'x'.repeat(512 * 1024)
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: payload, connection: cid, repeat: { intervalMs: 10 } })
    expect(res.status).toBe(200)
    const socket = (gw.endpoints.get(ep.id).connections.get(cid) as unknown as { socket: net.Socket }).socket
    await waitFor(() => socket.writableNeedDrain, 'the gateway socket to fill up')
    // Twenty intervals: without the guard every tick would queue another copy here.
    await new Promise((r) => setTimeout(r, GRACE_MS))
    expect(socket.writableLength).toBeLessThanOrEqual(payload.length + 64 * 1024)
    await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-repeat' })
    const sent = repeatOuts(eventsOf(gw, ep.id)).length
    peer.socket.resume()
    // Every copy the gateway recorded arrives whole once the peer reads again.
    await peer.waitForBytes(sent * payload.length, 10_000)
    expect(peer.length).toBe(sent * payload.length)
  })

  it('a repeat whose first send fails starts nothing and answers with that error', async () => {
    const ep = await endpoint({ kind: 'tcp-server', port: 0 })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', repeat: { intervalMs: 20 } })
    expect(res.status).toBe(404)
    expect(res.body.error).toMatchObject({ code: 'ENOCONN' })
    expect((await gw.api('GET', `/api/endpoints/${ep.id}`)).body.repeats).toBeUndefined()
  })

  it.each([
    [{ intervalMs: 5 }, 'repeat.intervalMs'],
    [{ intervalMs: 20, count: 0 }, 'repeat.count'],
    [{ intervalMs: 20, forever: true }, 'repeat.forever'],
  ])('validation: repeat %j → 400 naming %s, nothing sent', async (repeat, field) => {
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const p = await udpPeer()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: p.port }, repeat })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'EVALIDATION', field })
    expect(eventsOf(gw, ep.id).filter(isData('out'))).toHaveLength(0)
  })

  it('kinds that cannot repeat say so instead of ignoring it', async () => {
    const ep = await endpoint({ kind: 'http-static', port: 0 })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', repeat: { intervalMs: 20 } })
    expect(res.status).toBe(405)
    expect(res.body.error).toMatchObject({ code: 'ENOTSUP', field: 'repeat' })
    const stop = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-repeat' })
    expect(stop.body.error).toMatchObject({ code: 'ENOTSUP' })
  })
})
