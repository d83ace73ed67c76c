/**
 * The edge of a real gateway with auth on: Host and Origin checks before any work (also before the
 * WebSocket handshake), revocation closing sockets, per-viewer filtering of the live feed, limits,
 * and malformed input.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, TcpPeer } from './peers.ts'
import { Client, rawRequest, UpgradeRefused, type Viewer } from '../../../test/security/classroom-clients.ts'

const TOKEN = 'edge-token-0b9e'
const CODE = 'EDGE-CODE'
let gw: TestGateway
let teacher: Client
const cleanup = new Cleanup()
let n = 0
const join = (name: string, role: 'student' | 'observer' = 'student') => Client.join(gw.url, CODE, `${name}-${++n}`, role)

beforeAll(async () => {
  gw = await startGateway({ auth: true, token: TOKEN, classCode: CODE, commandsPerSecond: 1000 })
  teacher = await Client.instructor(gw.url, TOKEN)
})
afterEach(() => cleanup.run())
afterAll(() => gw.close())

async function refusedUpgrade(p: Promise<Viewer>): Promise<UpgradeRefused> {
  const err = await p.then(
    (v) => (v.close(), new Error('the upgrade was accepted')),
    (e) => e,
  )
  if (!(err instanceof UpgradeRefused)) throw err
  return err
}
const viewer = async (who: Client, extra: Record<string, string | undefined> = {}) => cleanup.add(await who.openSocket(extra), (v) => v.close())

async function endpoint(who: Client, body: Record<string, unknown>) {
  const res = await who.api('POST', '/api/endpoints', body)
  if (res.status !== 201) throw new Error(`create → ${res.status} ${JSON.stringify(res.body)}`)
  cleanup.add(res.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
  return res.body
}

describe('Host allow-list (DNS rebinding)', () => {
  it('a foreign Host is refused on the API, the panel and the WebSocket; loopback names pass', async () => {
    const port = new URL(gw.url).port
    for (const path of ['/api/endpoints', '/', '/api/auth/me']) {
      const res = await rawRequest(gw.url, { path, headers: { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` } })
      expect([res.status, JSON.parse(res.body).error.code], path).toEqual([403, 'EHOST'])
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(gw.url, { path: '/api/endpoints', headers: { host, authorization: `Bearer ${TOKEN}` } })).status, host).toBe(200)
    }
    const err = await refusedUpgrade(Client.bearer(gw.url, TOKEN).openSocket({ host: `rebind.evil.example:${port}` }))
    expect([err.status, err.code]).toEqual([403, 'EHOST'])
  })
})

describe('Origin (cross-site requests)', () => {
  it('refuses a cross-site form post, and a cookie request that changes something without an Origin', async () => {
    const before = gw.endpoints.list().length
    const form = await teacher.api('POST', '/api/endpoints', 'kind=udp&port=0', { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' })
    expect([form.status, form.body.error.code]).toEqual([403, 'EORIGIN'])
    const plain = await teacher.api('POST', '/api/endpoints', '{"kind":"udp","port":0}', { origin: 'http://evil.example', 'content-type': 'text/plain' })
    expect(plain.status).toBe(403)
    const noOrigin = await teacher.with({ origin: undefined }).api('POST', '/api/endpoints', { kind: 'udp', port: 0 })
    expect([noOrigin.status, noOrigin.body.error.code]).toEqual([403, 'EORIGIN'])
    const fetchMeta = await teacher.with({ origin: undefined }).api('GET', '/api/endpoints', undefined, { 'sec-fetch-site': 'cross-site' })
    expect(fetchMeta.status).toBe(403)
    expect(gw.endpoints.list().length).toBe(before)
    // The page's own origin passes; a script with a Bearer token needs none.
    expect((await teacher.api('GET', '/api/endpoints')).status).toBe(200)
    expect((await endpoint(Client.bearer(gw.url, TOKEN), { kind: 'udp', port: 0 })).state).toBe('bound')
  })

  it('also with auth off: a loopback gateway is not a target for other websites', async () => {
    const open = await startGateway({ auth: false })
    try {
      const res = await Client.anonymous(open.url).api('POST', '/api/endpoints', { kind: 'udp', port: 0 }, { origin: 'http://evil.example' })
      expect([res.status, res.body.error.code]).toEqual([403, 'EORIGIN'])
      expect(open.endpoints.list()).toEqual([])
      await expect(refusedUpgrade(Client.anonymous(open.url).openSocket({ origin: 'http://evil.example' }))).resolves.toMatchObject({ status: 403 })
    } finally {
      await open.close()
    }
  })
})

describe('WebSocket upgrade', () => {
  it('is refused before the handshake without a session, with a wrong Origin, or with a cookie and no Origin', async () => {
    const anon = await refusedUpgrade(Client.anonymous(gw.url).openSocket())
    expect([anon.status, anon.code]).toEqual([401, 'EAUTH'])
    const wrongOrigin = await refusedUpgrade(teacher.openSocket({ origin: 'http://evil.example' }))
    expect([wrongOrigin.status, wrongOrigin.code]).toEqual([403, 'EORIGIN'])
    const missing = await refusedUpgrade(teacher.openSocket({ origin: undefined }))
    expect([missing.status, missing.code]).toEqual([403, 'EORIGIN'])
    const stale = await refusedUpgrade(new Client(gw.url, { cookie: 'socklab_session=made-up', origin: gw.url }).openSocket())
    expect(stale.status).toBe(401)
  })

  it('opens with a session cookie and the page\'s Origin, or with a Bearer token', async () => {
    const v = await viewer(teacher)
    expect((await v.hello()).type).toBe('welcome')
    const script = await viewer(Client.bearer(gw.url, TOKEN))
    expect((await script.hello()).type).toBe('welcome')
  })

  it('a frame over 64 KiB closes the socket with 1009', async () => {
    const v = await viewer(await join('big'))
    v.send('x'.repeat(64 * 1024 + 1))
    expect((await v.closed).code).toBe(1009)
  })
})

describe('revoking', () => {
  it('closes the person\'s WebSockets within a second (1008) and their cookie stops working', async () => {
    const kim = await join('kim')
    const a = await viewer(kim)
    const b = await viewer(kim)
    await a.hello()
    const id = (await kim.api('GET', '/api/auth/me')).body.user.id
    expect((await teacher.api('GET', '/api/people')).body.people.find((p: any) => p.id === id)).toMatchObject({ online: true, sockets: 2 })
    const t0 = Date.now()
    await teacher.api('POST', `/api/people/${id}/revoke`)
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open 1 s after revoke')), 1000))
    const [ca, cb] = await Promise.race([Promise.all([a.closed, b.closed]), deadline])
    expect([ca.code, cb.code]).toEqual([1008, 1008])
    expect(Math.max(ca.at, cb.at) - t0).toBeLessThan(1000)
    expect((await refusedUpgrade(kim.openSocket())).status).toBe(401)
  })

  it('logging out closes that browser\'s socket only', async () => {
    const lee = await join('lee')
    const other = await Client.join(gw.url, CODE, `lee-laptop-${++n}`) // a different person, for contrast
    const mine = await viewer(lee)
    const theirs = await viewer(other)
    await lee.api('POST', '/api/auth/logout')
    expect((await mine.closed).code).toBe(1008)
    expect((await theirs.hello()).type).toBe('welcome')
  })
})

describe('what each viewer receives', () => {
  it('a student\'s feed carries only their own endpoints, and shared ones once shared', async () => {
    const ann = await join('ann')
    const bob = await join('bob')
    const annView = await viewer(ann)
    const teacherView = await viewer(teacher)
    await annView.hello()
    await teacherView.hello()

    const bobs = await endpoint(bob, { kind: 'tcp-server', host: '127.0.0.1', port: 0, reply: { mode: 'echo' } })
    const peer = cleanup.add(await TcpPeer.connect(bobs.local.port), (p) => p.destroy())
    await peer.write('secret')
    await peer.waitForText('secret')
    const anns = await endpoint(ann, { kind: 'udp', host: '127.0.0.1', port: 0 })
    // Ann's own endpoint arrives after all of Bob's traffic, so by then she would have had Bob's too.
    await annView.waitFor(() => annView.events.find((e) => e.endpointId === anns.id), 'ann sees her endpoint')
    await teacherView.waitFor(() => teacherView.events.find((e) => e.endpointId === anns.id), 'instructor sees ann\'s endpoint')
    expect(annView.events.filter((e) => e.endpointId === bobs.id)).toEqual([])
    expect(teacherView.events.filter((e) => e.endpointId === bobs.id && e.type === 'data').length).toBe(2)
    const fresh = await viewer(ann)
    expect((await fresh.hello()).endpoints.map((e) => e.id)).toEqual([anns.id])

    await teacher.api('POST', `/api/endpoints/${bobs.id}/share`, { shared: true })
    await peer.write('now public')
    await annView.waitFor(() => annView.events.find((e) => e.endpointId === bobs.id && e.type === 'data' && e.direction === 'in'), 'shared data reaches ann')
    expect((await (await viewer(ann)).hello()).endpoints.map((e) => e.id).sort()).toEqual([anns.id, bobs.id].sort())

    // Unsharing is announced to everyone (so panels drop it); nothing after it reaches ann.
    await teacher.api('POST', `/api/endpoints/${bobs.id}/share`, { shared: false })
    await annView.waitFor(() => annView.events.find((e) => e.endpointId === bobs.id && e.type === 'endpoint' && e.endpoint.shared === false), 'unshare announced')
    const seenBefore = annView.events.length
    await peer.write('private again')
    await peer.waitForText('private again')
    await endpoint(ann, { kind: 'udp', host: '127.0.0.1', port: 0 }).then((e) => annView.waitFor(() => annView.events.find((x) => x.endpointId === e.id), 'marker'))
    expect(annView.events.slice(seenBefore).filter((e) => e.endpointId === bobs.id)).toEqual([])
  })

  it('an observer\'s feed is empty until something is shared', async () => {
    const olga = await join('olga', 'observer')
    const v = await viewer(olga)
    const welcome = await v.hello()
    expect(welcome.endpoints.filter((e) => !e.shared)).toEqual([])
  })
})

describe('limits and malformed input', () => {
  it('a command flood is throttled with 429 and Retry-After; the person can go on afterwards', async () => {
    const flood = await startGateway({ auth: true, token: TOKEN, classCode: CODE, commandsPerSecond: 5 })
    try {
      const pat = await Client.join(flood.url, CODE, 'pat')
      const e = (await pat.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0 })).body
      const results = await Promise.all(Array.from({ length: 30 }, () => pat.api('POST', `/api/endpoints/${e.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: 9 } })))
      const limited = results.filter((r) => r.status === 429)
      expect(limited.length).toBeGreaterThanOrEqual(15)
      expect(limited[0]!.body.error).toMatchObject({ code: 'ERATELIMIT', message: expect.stringContaining('per second') })
      expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      // Others are not slowed by pat's flood.
      expect((await Client.bearer(flood.url, TOKEN).api('POST', '/api/endpoints', { kind: 'udp', port: 0 })).status).toBe(201)

      const v = await pat.openSocket()
      try {
        for (let i = 0; i < 30; i++) v.send({ type: 'ping', id: i })
        await v.waitFor(() => v.errors().find((m) => m.error.code === 'ERATELIMIT'), 'rate-limit error on the socket')
        expect(v.closeInfo).toBeUndefined()
      } finally {
        v.close()
      }
    } finally {
      await flood.close()
    }
  })

  it('malformed REST bodies get errors naming the field; nothing changes; the gateway answers on', async () => {
    const script = Client.bearer(gw.url, TOKEN)
    const before = gw.endpoints.list().length
    const cases: [string | object, string, string?][] = [
      ['{"kind":"udp",', 'EBADJSON'],
      ['{"kind":"udp","port":0,"__proto__":{"admin":true}}', 'EVALIDATION', '__proto__'],
      ['{"kind":"udp","port":0,"reply":{"mode":"echo","constructor":{"prototype":{"x":1}}}}', 'EVALIDATION', 'reply.constructor'],
      [{ kind: 'teleporter', port: 1 }, 'EVALIDATION', 'kind'],
      [{ kind: 'udp', port: 70000 }, 'EVALIDATION', 'port'],
      [{ kind: 'udp', port: -1 }, 'EVALIDATION', 'port'],
      [{ kind: 'udp', port: 1.5 }, 'EVALIDATION', 'port'],
      [{ kind: 'udp', port: '80' }, 'EVALIDATION', 'port'],
      [{ kind: 'udp', port: 0, sneaky: 1 }, 'EVALIDATION', 'sneaky'],
      [[1, 2], 'EVALIDATION'],
    ]
    for (const [body, code, field] of cases) {
      const res = await script.api('POST', '/api/endpoints', body)
      expect([res.status, res.body.error.code, res.body.error.field], JSON.stringify(body)).toEqual([400, code, field])
    }
    expect(({} as any).admin).toBeUndefined()
    expect(gw.endpoints.list().length).toBe(before)
    const huge = await script.api('POST', '/api/endpoints', JSON.stringify({ kind: 'udp', port: 0, name: 'x'.repeat(2 * 1024 * 1024) }))
    expect([huge.status, huge.body.error.code]).toEqual([413, 'FST_ERR_CTP_BODY_TOO_LARGE'])
    expect((await script.api('GET', '/api/endpoints')).status).toBe(200)
  })

  it('malformed WebSocket messages get error messages and the socket stays usable', async () => {
    const v = await viewer(teacher)
    v.send('not json')
    v.send({ type: 'launch-missiles' })
    v.send({ type: 'hello', after: 'yesterday' })
    v.send(Buffer.from([0xff, 0x00, 0x13]))
    await v.waitFor(() => v.errors().length >= 4, 'four errors')
    expect(v.errors().map((m) => m.error.code)).toEqual(['EBADJSON', 'EVALIDATION', 'EVALIDATION', 'EBADJSON'])
    expect((await v.hello()).type).toBe('welcome')
  })
})
