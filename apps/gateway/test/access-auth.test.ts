/** Logging in on a real gateway with auth on: token, class code, cookie, Bearer, the login link, brute force. */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { closedPort } from './peers.ts'
import { Client } from '../../../test/security/classroom-clients.ts'

const TOKEN = 'teacher-secret-7f3a9c'
const CODE = 'ABCD-EFGH'
const gateways: TestGateway[] = []
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()))
})
async function gateway(overrides: Parameters<typeof startGateway>[0] = {}) {
  const gw = await startGateway({ auth: true, token: TOKEN, classCode: CODE, ...overrides })
  gateways.push(gw)
  return gw
}

/** Whether anything accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}

describe('without credentials', () => {
  it('every API call is 401 and nothing is opened', async () => {
    const gw = await gateway()
    const anon = Client.anonymous(gw.url)
    const port = await closedPort()
    const create = await anon.api('POST', '/api/endpoints', { kind: 'tcp-server', port })
    expect(create.status).toBe(401)
    expect(create.body.error.code).toBe('EAUTH')
    expect(await listening(port)).toBe(false)
    expect(gw.endpoints.list()).toEqual([])
    for (const [method, path] of [
      ['GET', '/api/endpoints'],
      ['GET', '/api/people'],
      ['GET', '/api/audit'],
      ['DELETE', '/api/endpoints/e1'],
      ['GET', '/api/files'],
    ]) {
      expect((await anon.api(method!, path!)).status, `${method} ${path}`).toBe(401)
    }
    // The panel itself and "who am I" stay reachable so a browser can show the login page.
    expect((await anon.api('GET', '/')).status).toBe(200)
    expect((await anon.api('GET', '/api/auth/me')).body).toEqual({ auth: true, user: null })
  })

  it('a huge body from nobody is refused before it is read', async () => {
    const gw = await gateway()
    const res = await Client.anonymous(gw.url).api('POST', '/api/endpoints', JSON.stringify({ kind: 'udp', port: 0, pad: 'x'.repeat(3 * 1024 * 1024) }))
    expect(res.status).toBe(401)
  })
})

describe('the instructor', () => {
  it('trades the token for an HttpOnly, SameSite=Strict cookie that works until logout', async () => {
    const gw = await gateway()
    const login = await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/login', { token: TOKEN })
    expect(login.status).toBe(200)
    expect(login.body).toEqual({ auth: true, user: { id: 'instructor', name: 'instructor', role: 'instructor' } })
    const cookie = login.headers.get('set-cookie')!
    expect(cookie).toMatch(/^socklab_session=[A-Za-z0-9_-]{40,};/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/')
    expect(cookie).not.toContain(TOKEN)
    const me = new Client(gw.url, { cookie: cookie.split(';')[0]!, origin: gw.url })
    expect((await me.api('GET', '/api/endpoints')).status).toBe(200)
    const out = await me.api('POST', '/api/auth/logout')
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^socklab_session=;.*Max-Age=0/)
    expect((await me.api('GET', '/api/endpoints')).status).toBe(401)
  })

  it('the printed link /?token= sets the cookie and sends the browser on without the token in the URL', async () => {
    const gw = await gateway()
    const res = await Client.anonymous(gw.url).api('GET', `/?lang=zh&token=${TOKEN}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/?lang=zh')
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!
    const me = await new Client(gw.url, { cookie }).api('GET', '/api/auth/me')
    expect(me.body.user.role).toBe('instructor')

    const wrong = await Client.anonymous(gw.url).api('GET', '/?token=guess')
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    expect(String(wrong.body)).not.toContain('guess')
  })

  it('scripts use Authorization: Bearer; a wrong token is 401 and is not echoed', async () => {
    const gw = await gateway()
    const script = Client.bearer(gw.url, TOKEN)
    const made = await script.api('POST', '/api/endpoints', { kind: 'udp', port: 0 })
    expect(made.status).toBe(201)
    expect(made.body.owner).toBe('instructor')
    const wrong = await Client.bearer(gw.url, 'not-the-token-123').api('GET', '/api/endpoints')
    expect(wrong.status).toBe(401)
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-token-123')
    const bad = await Client.anonymous(gw.url).api('GET', '/api/endpoints', undefined, { authorization: 'Basic abc' })
    expect(bad.status).toBe(401)
  })
})

describe('students and observers', () => {
  it('join with the class code (typed loosely) and a display name', async () => {
    const gw = await gateway()
    const res = await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/join', { code: 'abcd efgh', name: '  Ann Lee ' })
    expect(res.status).toBe(201)
    expect(res.body.user).toMatchObject({ name: 'Ann Lee', role: 'student' })
    const obs = await Client.join(gw.url, CODE, 'Watcher', 'observer')
    expect((await obs.api('GET', '/api/auth/me')).body.user).toMatchObject({ name: 'Watcher', role: 'observer' })
  })

  it('a wrong code, a taken name, a reserved name or a bad name are clear errors', async () => {
    const gw = await gateway()
    const page = new Client(gw.url, { origin: gw.url })
    await Client.join(gw.url, CODE, 'Ann')
    const cases: [unknown, number, string, string?][] = [
      [{ code: 'WRONG-CODE', name: 'Bob' }, 401, 'EAUTH', 'code'],
      [{ code: CODE, name: 'ann' }, 409, 'ENAMETAKEN', 'name'],
      [{ code: CODE, name: 'Instructor' }, 409, 'ENAMETAKEN', 'name'],
      [{ code: CODE, name: '' }, 400, 'EVALIDATION', 'name'],
      [{ code: CODE, name: 'a\u0007b' }, 400, 'EVALIDATION', 'name'],
      [{ code: CODE, name: 'x'.repeat(41) }, 400, 'EVALIDATION', 'name'],
      [{ code: CODE, name: 'Cy', role: 'instructor' }, 400, 'EVALIDATION', 'role'],
      [{ code: CODE, name: 'Cy', admin: true }, 400, 'EVALIDATION', 'admin'],
    ]
    for (const [body, status, code, field] of cases) {
      const res = await page.api('POST', '/api/auth/join', body)
      expect([res.status, res.body.error.code, res.body.error.field], JSON.stringify(body)).toEqual([status, code, field])
      expect(JSON.stringify(res.body)).not.toContain(CODE)
    }
  })
})

describe('brute force', () => {
  it('after the allowed failures per minute, logins from that address get 429 with Retry-After — even the right token', async () => {
    const gw = await gateway({ loginAttemptsPerMinute: 3 })
    const page = new Client(gw.url, { origin: gw.url })
    for (let i = 0; i < 3; i++) expect((await page.api('POST', '/api/auth/login', { token: `guess-${i}` })).status).toBe(401)
    const blocked = await page.api('POST', '/api/auth/login', { token: TOKEN })
    expect(blocked.status).toBe(429)
    expect(blocked.body.error.code).toBe('ERATELIMIT')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // Every door shares the limit: class codes, the link, and Bearer tokens.
    expect((await page.api('POST', '/api/auth/join', { code: CODE, name: 'Eve' })).status).toBe(429)
    expect((await page.api('GET', `/?token=${TOKEN}`)).status).toBe(429)
    expect((await Client.bearer(gw.url, TOKEN).api('GET', '/api/endpoints')).status).toBe(429)
  })

  it('wrong Bearer tokens count as failed logins', async () => {
    const gw = await gateway({ loginAttemptsPerMinute: 2 })
    for (let i = 0; i < 2; i++) expect((await Client.bearer(gw.url, `nope-${i}`).api('GET', '/api/endpoints')).status).toBe(401)
    expect((await Client.bearer(gw.url, 'nope-3').api('GET', '/api/endpoints')).status).toBe(429)
  })
})

describe('auth off', () => {
  it('is allowed on loopback: everyone is the local instructor and login is unnecessary', async () => {
    const gw = await startGateway({ auth: false })
    gateways.push(gw)
    expect((await Client.anonymous(gw.url).api('GET', '/api/auth/me')).body).toEqual({ auth: false, user: { id: 'local', name: 'local', role: 'instructor' } })
    expect((await Client.anonymous(gw.url).api('POST', '/api/endpoints', { kind: 'udp', port: 0 })).status).toBe(201)
    const login = await Client.anonymous(gw.url).api('POST', '/api/auth/login', { token: 'x' })
    expect([login.status, login.body.error.code]).toEqual([400, 'EINVAL'])
  })

  it('is refused on any other address, before anything listens', async () => {
    await expect(startGateway({ auth: false, host: '0.0.0.0' })).rejects.toThrow(/auth cannot be turned off on a non-loopback address/)
  })
})
