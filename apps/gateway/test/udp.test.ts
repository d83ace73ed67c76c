import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { assertWellFormed, createEndpoint, eventsOf, isData, UdpPeer, waitForEvent, waitForEvents } from './peers.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function udp(options: Record<string, unknown> = {}) {
  const ep = await createEndpoint(gw, { kind: 'udp', port: 0, ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; state: string; local: { address: string; port: number } }
}
async function peer() {
  return cleanup.add(await UdpPeer.bind(), (p) => p.close())
}

describe('udp', () => {
  it('binds 127.0.0.1 port 0 and records each datagram with its sender', async () => {
    const ep = await udp({ host: '127.0.0.1' })
    expect(ep).toMatchObject({ state: 'bound', local: { address: '127.0.0.1' } })
    expect(ep.local.port).toBeGreaterThan(0)
    const p = await peer()
    await p.send('first', ep.local.port)
    await p.send('second', ep.local.port)
    const events = await waitForEvents(gw, ep.id, (ev) => (ev.filter(isData('in')).length === 2 ? ev : null), 'two datagrams')
    const ins = events.filter(isData('in'))
    expect(ins.map((e) => Buffer.from(e.data, 'base64').toString())).toEqual(['first', 'second'])
    for (const e of ins) expect(e.peer).toMatchObject({ address: '127.0.0.1', port: p.port })
    expect(ins.map((e) => e.total)).toEqual([5, 11])
    assertWellFormed(events)
  })

  it('sends to host:port; the receiver sees the endpoint as sender', async () => {
    const ep = await udp()
    const p = await peer()
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'to you', to: { host: '127.0.0.1', port: p.port } })
    expect(res).toMatchObject({ status: 200, body: { bytes: 6 } })
    const { msg, rinfo } = await p.next()
    expect(msg.toString()).toBe('to you')
    expect(rinfo.port).toBe(ep.local.port)
    const out = await waitForEvent(gw, ep.id, isData('out'), 'out event')
    expect(out).toMatchObject({ peer: { address: '127.0.0.1', port: p.port }, size: 6, origin: 'send' })
  })

  it('sends to the default remote when no `to` is given; with neither it says where is missing', async () => {
    const p = await peer()
    const withRemote = await udp({ remote: { host: '127.0.0.1', port: p.port } })
    await gw.api('POST', `/api/endpoints/${withRemote.id}/send`, { data: 'default' })
    expect((await p.next()).msg.toString()).toBe('default')

    const without = await udp()
    const res = await gw.api('POST', `/api/endpoints/${without.id}/send`, { data: 'where?' })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'EDESTADDRREQ', field: 'to' })
    const zero = await gw.api('POST', `/api/endpoints/${without.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: 0 } })
    expect(zero.status).toBe(400)
    expect(zero.body.error).toMatchObject({ code: 'EINVAL', field: 'to.port' })
  })

  it('replies to the sender: echo, upper and fixed', async () => {
    const p = await peer()
    const echo = await udp({ reply: { mode: 'echo' } })
    await p.send(Buffer.from([1, 2, 3, 0xff]), echo.local.port)
    const e1 = await p.next()
    expect([...e1.msg]).toEqual([1, 2, 3, 0xff])
    expect(e1.rinfo.port).toBe(echo.local.port)

    const upper = await udp({ reply: { mode: 'upper' } })
    await p.send('quiet please', upper.local.port)
    expect((await p.next()).msg.toString()).toBe('QUIET PLEASE')

    const fixed = await udp({ reply: { mode: 'fixed', text: '已送达' }, encoding: 'gbk' })
    await p.send(Buffer.from('c4e3bac3', 'hex'), fixed.local.port)
    expect((await p.next()).msg.toString('hex')).toBe('d2d1cbcdb4ef')
    const out = await waitForEvent(gw, fixed.id, isData('out'), 'reply out')
    expect(out).toMatchObject({ origin: 'reply', size: 6, peer: { port: p.port } })
  })

  it('empty datagrams travel both ways (and are echoed)', async () => {
    const p = await peer()
    const ep = await udp({ reply: { mode: 'echo' } })
    await p.send(Buffer.alloc(0), ep.local.port)
    const back = await p.next()
    expect(back.msg.length).toBe(0)
    const e = await waitForEvent(gw, ep.id, isData('in'), 'empty datagram in')
    expect(e).toMatchObject({ size: 0, data: '', peer: { port: p.port } })

    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: '', to: { host: '127.0.0.1', port: p.port } })
    expect(res.body.bytes).toBe(0)
    expect((await p.next()).msg.length).toBe(0)
  })

  it('the largest datagram (65507 bytes) goes; 65508 bytes is 400 EMSGSIZE with the numbers', async () => {
    const p = await peer()
    const ep = await udp()
    const ok = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'a'.repeat(65507), to: { host: '127.0.0.1', port: p.port } })
    expect(ok.status).toBe(200)
    expect((await p.next()).msg.length).toBe(65507)
    const big = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'a'.repeat(65508), to: { host: '127.0.0.1', port: p.port } })
    expect(big.status).toBe(400)
    expect(big.body.error).toMatchObject({ code: 'EMSGSIZE', field: 'data' })
    expect(big.body.error.message).toMatch(/65508 bytes.*65507/)
    // Nothing was sent for the rejected one and the socket still works.
    await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'after', to: { host: '127.0.0.1', port: p.port } })
    expect((await p.next()).msg.toString()).toBe('after')
    expect(eventsOf(gw, ep.id).filter(isData('out')).map((e) => e.size)).toEqual([65507, 5])
  })

  it('a busy UDP port is 409 EADDRINUSE', async () => {
    const p = await peer()
    const res = await gw.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: p.port })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('EADDRINUSE')
    expect(res.body.error.message).toMatch(new RegExp(`port ${p.port} on 127.0.0.1 is already in use`))
  })

  it('after DELETE the port is free and sending to the removed endpoint is 404', async () => {
    const ep = await createEndpoint(gw, { kind: 'udp', port: 0 })
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    const again = await udp({ port: ep.local.port })
    expect(again.local.port).toBe(ep.local.port)
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: 9 } })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('ENOENDPOINT')
  })

  it('has no connections to close or actions to run: 405 ENOTSUP', async () => {
    const ep = await udp()
    const close = await gw.api('POST', `/api/endpoints/${ep.id}/connections/c1/close`, { mode: 'end' })
    expect(close.status).toBe(405)
    expect(close.body.error.code).toBe('ENOTSUP')
    const action = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'half-close' })
    expect(action.status).toBe(405)
  })
})
