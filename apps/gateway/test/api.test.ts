/** The REST edge: bad input gets `{ error: { code, message, field? } }`, loses nothing, and the gateway keeps serving. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { assertWellFormed, connectionIdOf, createEndpoint, TcpPeer, UdpPeer, waitForEvents } from './peers.ts'

let gw: TestGateway
beforeAll(async () => {
  gw = await startGateway()
})
afterAll(() => gw.close())

async function endpointCount() {
  return (await gw.api('GET', '/api/endpoints')).body.length as number
}

describe('REST input errors', () => {
  it.each([
    ['70000', 70000],
    ['-1', -1],
    ['1.5', 1.5],
    ['"80" (a string)', '80'],
    ['null', null],
  ])('port %s is 400 EVALIDATION naming port, for every listening kind', async (_label, port) => {
    const before = await endpointCount()
    for (const kind of ['tcp-server', 'tcp-client', 'udp']) {
      const res = await gw.api('POST', '/api/endpoints', { kind, host: '127.0.0.1', port })
      expect(res.status, kind).toBe(400)
      expect(res.body.error, kind).toMatchObject({ code: 'EVALIDATION', field: 'port' })
      expect(res.body.error.message, kind).toMatch(/^port /)
    }
    expect(await endpointCount()).toBe(before)
  })

  it('a missing port is named too', async () => {
    const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-server' })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'EVALIDATION', field: 'port' })
  })

  it('an unknown or missing kind is 400 naming kind and listing the kinds', async () => {
    const unknown = await gw.api('POST', '/api/endpoints', { kind: 'sctp-server', port: 0 })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error).toMatchObject({ code: 'EVALIDATION', field: 'kind' })
    expect(unknown.body.error.message).toMatch(/kind must be one of: .*tcp-server.*tcp-client.*udp/)
    const missing = await gw.api('POST', '/api/endpoints', { port: 0 })
    expect(missing.status).toBe(400)
    expect(missing.body.error).toMatchObject({ code: 'EVALIDATION', field: 'kind' })
  })

  it('unknown fields are named, also nested ones', async () => {
    const top = await gw.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, colour: 'blue' })
    expect(top.status).toBe(400)
    expect(top.body.error).toMatchObject({ code: 'EVALIDATION', field: 'colour', message: 'unknown field "colour"' })
    const nested = await gw.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, reply: { mode: 'echo', delay: 5 } })
    expect(nested.status).toBe(400)
    expect(nested.body.error).toMatchObject({ code: 'EVALIDATION', field: 'reply.delay' })
    const badMode = await gw.api('POST', '/api/endpoints', { kind: 'udp', port: 0, reply: { mode: 'shout' } })
    expect(badMode.status).toBe(400)
    expect(badMode.body.error).toMatchObject({ code: 'EVALIDATION', field: 'reply.mode' })
  })

  it('malformed JSON is 400 EBADJSON; a non-object body is 400 EVALIDATION', async () => {
    for (const text of ['{"kind": ', "{kind: 'udp'}", '{"kind":"udp",}']) {
      const res = await gw.api('POST', '/api/endpoints', text)
      expect(res.status, text).toBe(400)
      expect(res.body.error, text).toEqual({ code: 'EBADJSON', message: 'request body is not valid JSON' })
    }
    for (const text of ['[1,2]', '"udp"', '42']) {
      const res = await gw.api('POST', '/api/endpoints', text)
      expect(res.status, text).toBe(400)
      expect(res.body.error.code, text).toBe('EVALIDATION')
    }
  })

  it('unknown endpoints and connections are 404 with their own codes', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/endpoints/e999999', undefined],
      ['DELETE', '/api/endpoints/e999999', undefined],
      ['POST', '/api/endpoints/e999999/send', { data: 'x' }],
      ['POST', '/api/endpoints/e999999/actions', { action: 'close' }],
      ['GET', '/api/endpoints/e999999/events', undefined],
    ] as const) {
      const res = await gw.api(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.body.error, `${method} ${path}`).toMatchObject({ code: 'ENOENDPOINT', message: 'no endpoint e999999' })
    }
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0 })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/connections/c424242/close`, { mode: 'destroy' })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('ENOCONN')
    const badMode = await gw.api('POST', `/api/endpoints/${ep.id}/connections/c1/close`, { mode: 'explode' })
    expect(badMode.body.error).toMatchObject({ code: 'EVALIDATION', field: 'mode' })
    const badAction = await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'dance' })
    expect(badAction.body.error).toMatchObject({ code: 'EVALIDATION', field: 'action' })
    await gw.api('DELETE', `/api/endpoints/${ep.id}`)
  })

  it('after all that bad input the gateway still creates, serves and removes endpoints', async () => {
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
    const peer = await TcpPeer.connect(ep.local.port)
    await peer.write('alive')
    await peer.waitForText('alive')
    await peer.destroy()
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(404)
  })
})

describe('REST reads', () => {
  it('GET /api/endpoints/:id shows the endpoint with its connections and stats', async () => {
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
    const a = await TcpPeer.connect(ep.local.port)
    const b = await TcpPeer.connect(ep.local.port)
    const idA = await connectionIdOf(gw, ep.id, a)
    const idB = await connectionIdOf(gw, ep.id, b)
    await a.write('12345')
    await a.waitForText('12345')
    const res = await gw.api('GET', `/api/endpoints/${ep.id}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      id: ep.id,
      kind: 'tcp-server',
      state: 'listening',
      local: { address: '127.0.0.1', port: ep.local.port },
      options: { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } },
      stats: { connections: 2, totalConnections: 2, refused: 0, bytesIn: 5, bytesOut: 5 },
    })
    expect(res.body.connections).toEqual([
      expect.objectContaining({ id: idA, endpointId: ep.id, state: 'open', bytesIn: 5, bytesOut: 5, remote: expect.objectContaining({ port: a.socket.localPort }) }),
      expect.objectContaining({ id: idB, state: 'open', bytesIn: 0, bytesOut: 0 }),
    ])
    await a.destroy()
    await b.destroy()
    await gw.api('DELETE', `/api/endpoints/${ep.id}`)
  })

  it('GET /api/endpoints/:id/events returns only that endpoint, in seq order, after the given seq, limited', async () => {
    const one = await createEndpoint(gw, { kind: 'udp', port: 0 })
    const other = await createEndpoint(gw, { kind: 'udp', port: 0 })
    const peer = await UdpPeer.bind()
    // Interleave traffic to both endpoints.
    for (let i = 0; i < 10; i++) {
      await peer.send(`one ${i}`, one.local.port)
      await peer.send(`other ${i}`, other.local.port)
    }
    await waitForEvents(gw, one.id, (ev) => ev.filter((e) => e.type === 'data').length === 10, 'ten datagrams at one')
    await waitForEvents(gw, other.id, (ev) => ev.filter((e) => e.type === 'data').length === 10, 'ten datagrams at other')

    const all = await gw.api('GET', `/api/endpoints/${one.id}/events`)
    expect(all.status).toBe(200)
    const events = all.body.events
    assertWellFormed(events)
    expect(events.every((e: any) => e.endpointId === one.id)).toBe(true)
    expect(events[0]).toMatchObject({ type: 'endpoint', endpoint: { id: one.id, state: 'bound' } })
    const datas = events.filter((e: any) => e.type === 'data')
    expect(datas.map((e: any) => Buffer.from(e.data, 'base64').toString())).toEqual(Array.from({ length: 10 }, (_, i) => `one ${i}`))
    expect(all.body.headSeq).toBeGreaterThanOrEqual(events.at(-1).seq)
    expect(all.body).toMatchObject({ evicted: 0 })

    const cut = datas[4].seq
    const after = (await gw.api('GET', `/api/endpoints/${one.id}/events?after=${cut}`)).body.events
    expect(after.map((e: any) => e.seq)).toEqual(events.filter((e: any) => e.seq > cut).map((e: any) => e.seq))
    expect(after.map((e: any) => Buffer.from(e.data, 'base64').toString())).toEqual(['one 5', 'one 6', 'one 7', 'one 8', 'one 9'])

    const limited = (await gw.api('GET', `/api/endpoints/${one.id}/events?after=${cut}&limit=2`)).body.events
    expect(limited.map((e: any) => e.seq)).toEqual(after.slice(0, 2).map((e: any) => e.seq))
    const none = (await gw.api('GET', `/api/endpoints/${one.id}/events?after=${events.at(-1).seq}`)).body.events
    expect(none).toEqual([])

    for (const q of ['after=-1', 'after=abc', 'after=1&after=2', 'limit=0', 'limit=10001']) {
      const res = await gw.api('GET', `/api/endpoints/${one.id}/events?${q}`)
      expect(res.status, q).toBe(400)
      expect(res.body.error, q).toMatchObject({ code: 'EVALIDATION', field: q.split('=')[0] })
    }
    await peer.close()
    await gw.api('DELETE', `/api/endpoints/${one.id}`)
    await gw.api('DELETE', `/api/endpoints/${other.id}`)
    const afterDelete = (await gw.api('GET', `/api/endpoints/${one.id}/events?after=${events.at(-1).seq}`)).body.events
    expect(afterDelete.map((e: any) => e.type)).toEqual(['endpoint', 'endpoint-removed'])
  })
})
