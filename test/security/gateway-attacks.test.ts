/**
 * Attacks on the built gateway, run as a real process with auth on (as shipped). Each case asserts the
 * exact outcome; afterwards the gateway must still answer.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { Client, rawRequest, UpgradeRefused, type Viewer } from './classroom-clients.ts'

const TOKEN = 'sec-suite-token-4d1f8a2b'
const CODE = 'SECU-RITY'
let gw: GatewayProcess
let teacher: Client

beforeAll(async () => {
  gw = await spawnGateway({
    SOCKLAB_AUTH: 'on',
    SOCKLAB_TOKEN: TOKEN,
    SOCKLAB_CLASS_CODE: CODE,
    SOCKLAB_COMMANDS_PER_SECOND: '10',
    SOCKLAB_LOG_LEVEL: 'debug',
  })
  teacher = await Client.instructor(gw.url, TOKEN)
})
afterAll(() => gw?.stop())

let people = 0
const join = (name: string, role: 'student' | 'observer' = 'student') => Client.join(gw.url, CODE, `${name}${++people}`, role)

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}
async function refused(p: Promise<Viewer>): Promise<UpgradeRefused> {
  const r = await p.then(
    (v) => (v.close(), new Error('upgraded')),
    (e) => e,
  )
  if (!(r instanceof UpgradeRefused)) throw r
  return r
}
async function alive() {
  expect((await Client.bearer(gw.url, TOKEN).api('GET', '/api/endpoints')).status).toBe(200)
}

describe('attacks on a running gateway', () => {
  it('no credentials: 401 and nothing listening', async () => {
    const port = await freePort()
    const res = await Client.anonymous(gw.url).api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port })
    expect([res.status, res.body.error.code]).toEqual([401, 'EAUTH'])
    expect(await accepts(port)).toBe(false)
    expect((await Client.anonymous(gw.url).api('GET', '/api/endpoints')).status).toBe(401)
  })

  it('WebSocket with a wrong Origin, a cookie without Origin, or a foreign Host: refused before the upgrade', async () => {
    const port = new URL(gw.url).port
    const cases: [string, Promise<Viewer>, number, string][] = [
      ['wrong Origin', teacher.openSocket({ origin: 'http://attacker.example' }), 403, 'EORIGIN'],
      ['cookie, no Origin', teacher.openSocket({ origin: undefined }), 403, 'EORIGIN'],
      ['foreign Host', teacher.openSocket({ host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` }), 403, 'EHOST'],
      ['no session', Client.anonymous(gw.url).openSocket({ origin: gw.url }), 401, 'EAUTH'],
    ]
    for (const [what, attempt, status, code] of cases) {
      const r = await refused(attempt)
      expect([r.status, r.code], what).toEqual([status, code])
    }
    const rebind = await rawRequest(gw.url, { path: '/api/endpoints', headers: { host: 'attacker.example', authorization: `Bearer ${TOKEN}` } })
    expect(rebind.status).toBe(403)
  })

  it('a student touching another student\'s endpoint: 403, and the endpoint is unchanged', async () => {
    const ann = await join('ann')
    const bob = await join('bob')
    const e = (await ann.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0 })).body
    for (const [method, path, body] of [
      ['POST', `/api/endpoints/${e.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: 9 } }],
      ['DELETE', `/api/endpoints/${e.id}`],
      ['GET', `/api/endpoints/${e.id}`],
    ] as [string, string, unknown?][]) {
      const res = await bob.api(method, path, body)
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([403, 'EFORBIDDEN'])
    }
    expect((await ann.api('GET', `/api/endpoints/${e.id}`)).body).toMatchObject({ state: 'bound', stats: { bytesOut: 0 } })
  })

  it('an observer sending: 403', async () => {
    const olga = await join('olga', 'observer')
    const e = (await teacher.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0 })).body
    await teacher.api('POST', `/api/endpoints/${e.id}/share`, { shared: true })
    const res = await olga.api('POST', `/api/endpoints/${e.id}/send`, { data: 'x', to: { host: '127.0.0.1', port: 9 } })
    expect([res.status, res.body.error.code]).toEqual([403, 'EFORBIDDEN'])
    expect((await olga.api('POST', '/api/endpoints', { kind: 'udp', port: 0 })).status).toBe(403)
  })

  it('a revoked session: its socket is closed within 1 s', async () => {
    const cat = await join('cat')
    const v = await cat.openSocket()
    try {
      await v.hello()
      const id = (await cat.api('GET', '/api/auth/me')).body.user.id
      const t0 = Date.now()
      expect((await teacher.api('POST', `/api/people/${id}/revoke`)).status).toBe(200)
      const closed = await Promise.race([v.closed, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('not closed within 1 s')), 1000))])
      expect(closed.code).toBe(1008)
      expect(closed.at - t0).toBeLessThan(1000)
      expect((await cat.api('GET', '/api/endpoints')).status).toBe(401)
    } finally {
      v.close()
    }
  })

  it('an oversize WebSocket frame: closed with 1009', async () => {
    const v = await (await join('dan')).openSocket()
    v.send(Buffer.alloc(64 * 1024 + 1, 0x41).toString())
    expect((await v.closed).code).toBe(1009)
    await alive()
  })

  it('a command flood: throttled with 429', async () => {
    const eve = await join('eve')
    const e = (await eve.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0 })).body
    const results = await Promise.all(Array.from({ length: 60 }, () => eve.api('POST', `/api/endpoints/${e.id}/send`, { data: '.', to: { host: '127.0.0.1', port: 9 } })))
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(30)
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true)
    expect(results.find((r) => r.status === 429)!.body.error.code).toBe('ERATELIMIT')
    await alive()
  })

  it('malformed messages: errors that name the field, state unchanged, gateway alive', async () => {
    const script = Client.bearer(gw.url, TOKEN)
    const before = (await script.api('GET', '/api/endpoints')).body.length
    const rest: [string | object, string, string?][] = [
      ['{not json', 'EBADJSON'],
      ['{"kind":"udp","port":0,"__proto__":{"polluted":1}}', 'EVALIDATION', '__proto__'],
      [{ kind: 'nope', port: 1 }, 'EVALIDATION', 'kind'],
      [{ kind: 'tcp-server', port: 70000 }, 'EVALIDATION', 'port'],
      [{ kind: 'tcp-server', port: -1 }, 'EVALIDATION', 'port'],
      [{ kind: 'tcp-server', port: 1.5 }, 'EVALIDATION', 'port'],
      [{ kind: 'tcp-server', port: '80' }, 'EVALIDATION', 'port'],
    ]
    for (const [body, code, field] of rest) {
      const res = await script.api('POST', '/api/endpoints', body)
      expect([res.status, res.body.error.code, res.body.error.field], JSON.stringify(body)).toEqual([400, code, field])
    }
    expect((await script.api('GET', '/api/endpoints')).body.length).toBe(before)
    const v = await script.openSocket()
    try {
      v.send('][')
      v.send({ type: 'subscribe-all' })
      v.send({ type: 'ping', id: 'x' })
      await v.waitFor(() => v.errors().length >= 3, 'three errors')
      expect(v.errors().map((m) => [m.error.code, m.error.field])).toEqual([
        ['EBADJSON', undefined],
        ['EVALIDATION', 'type'],
        ['EVALIDATION', 'id'],
      ])
      expect((await v.hello()).type).toBe('welcome')
    } finally {
      v.close()
    }
    await alive()
  })

  it('no token in the logs, even after forced errors at debug level', async () => {
    // Errors of every kind, each carrying the token one way or another.
    await Client.anonymous(gw.url).api('GET', `/?token=${TOKEN}`)
    await Client.anonymous(gw.url).api('GET', `/api/endpoints?token=${TOKEN}`)
    const script = Client.bearer(gw.url, TOKEN)
    await script.api('POST', '/api/endpoints', `{"token":"${TOKEN}",`)
    const taken = (await script.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: 0 })).body
    const clash = await script.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: taken.local.port })
    expect(clash.status).toBe(409)
    await script.api('POST', '/api/endpoints/e999999/send', { data: TOKEN })
    await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/login', { token: `${TOKEN}x` })
    await alive()
    expect(gw.output()).toContain('"url":"/?token=[redacted]"') // the request was logged, redacted
    expect(gw.output()).not.toContain(TOKEN)
    const audit = (await script.api('GET', '/api/audit?limit=5000')).body
    expect(JSON.stringify(audit)).not.toContain(TOKEN)
    expect(JSON.stringify(audit)).not.toContain(CODE)
  })
})

describe('login brute force', () => {
  it('is answered with 429 after the allowed failures, for the right token too', async () => {
    const g = await spawnGateway({ SOCKLAB_AUTH: 'on', SOCKLAB_TOKEN: TOKEN, SOCKLAB_LOGIN_ATTEMPTS_PER_MINUTE: '5' })
    try {
      const page = new Client(g.url, { origin: g.url })
      const statuses: number[] = []
      for (let i = 0; i < 8; i++) statuses.push((await page.api('POST', '/api/auth/login', { token: `guess${i}` })).status)
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429])
      const right = await page.api('POST', '/api/auth/login', { token: TOKEN })
      expect([right.status, right.body.error.code]).toEqual([429, 'ERATELIMIT'])
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(50)
    } finally {
      await g.stop()
    }
  })
})
