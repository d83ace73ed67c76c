/** The access layer's plain modules, on real values, real files and the real clock where it matters. */
import fs from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FailureWindow, TokenBucket } from '../src/access/rate-limit.ts'
import { normalizeClassCode, randomClassCode, randomSecret, redactUrl, secretsEqual } from '../src/access/secrets.ts'
import { allowedHostnames, hostnameOf, isLoopbackHost, originAllowed } from '../src/access/edge.ts'
import { ruleFor } from '../src/access/route-rules.ts'
import { pollutingKey } from '../src/access/safe-json.ts'
import { AuditLog } from '../src/access/audit-log.ts'
import { canControl, canSee } from '../src/access/roles.ts'
import { Sessions } from '../src/access/sessions.ts'
import { configFromEnv } from '../src/config.ts'

describe('rate limits', () => {
  it('a token bucket allows its burst, then refuses with a wait, then refills with time', () => {
    const b = new TokenBucket(5, 5)
    const t0 = 1_000_000
    for (let i = 0; i < 5; i++) expect(b.take('ann', t0).ok).toBe(true)
    const refused = b.take('ann', t0)
    expect(refused).toEqual({ ok: false, retryAfterMs: 200 })
    expect(b.take('bob', t0).ok).toBe(true) // per key
    expect(b.take('ann', t0 + 200).ok).toBe(true) // one token back after 1/5 s
    expect(b.take('ann', t0 + 200).ok).toBe(false)
  })

  it('a failure window blocks after max failures until the oldest leaves the window', () => {
    const w = new FailureWindow(3, 60_000)
    const t0 = 5_000_000
    for (let i = 0; i < 3; i++) {
      expect(w.blockedFor('1.2.3.4', t0 + i)).toBe(0)
      w.fail('1.2.3.4', t0 + i)
    }
    expect(w.blockedFor('1.2.3.4', t0 + 10)).toBe(60_000 - 10)
    expect(w.blockedFor('5.6.7.8', t0 + 10)).toBe(0)
    expect(w.blockedFor('1.2.3.4', t0 + 60_000)).toBe(0) // the first failure has left the window
  })
})

describe('secrets', () => {
  it('compares in constant time whatever the lengths, and only equal strings match', () => {
    const s = randomSecret()
    expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(secretsEqual(s, s)).toBe(true)
    expect(secretsEqual(s + 'x', s)).toBe(false)
    expect(secretsEqual('', s)).toBe(false)
    expect(secretsEqual(s.slice(0, -1), s)).toBe(false)
  })

  it('class codes are typed by hand: case, spaces and dashes do not matter', () => {
    const code = randomClassCode()
    expect(code).toMatch(/^[A-HJ-KM-NP-Z2-9]{4}-[A-HJ-KM-NP-Z2-9]{4}$/)
    expect(normalizeClassCode(` ${code.toLowerCase().replace('-', ' ')} `)).toBe(normalizeClassCode(code))
  })

  it('redacts tokens and codes from URLs before logging', () => {
    expect(redactUrl('/?token=abc&x=1')).toBe('/?token=[redacted]&x=1')
    expect(redactUrl('/a?x=1&TOKEN=abc#f')).toBe('/a?x=1&TOKEN=[redacted]#f')
    expect(redactUrl('/api/endpoints')).toBe('/api/endpoints')
  })
})

describe('the edge', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect(isLoopbackHost(h)).toBe(true)
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.org', '127.0.0.1.evil.com']) expect(isLoopbackHost(h)).toBe(false)
  })

  it('reads the host name out of Host headers', () => {
    expect(hostnameOf('127.0.0.1:8080')).toBe('127.0.0.1')
    expect(hostnameOf('[::1]:8080')).toBe('::1')
    expect(hostnameOf('Example.ORG')).toBe('example.org')
    expect(hostnameOf(undefined)).toBeUndefined()
    expect(hostnameOf('a:b:c')).toBeUndefined()
  })

  it('allows loopback names always, the bound address, and what the operator adds', () => {
    const lan = allowedHostnames('192.168.7.7', ['lab-pc.school.lan'])
    for (const h of ['localhost', '127.0.0.1', '::1', '192.168.7.7', 'lab-pc.school.lan']) expect(lan.has(h)).toBe(true)
    expect(lan.has('evil.example')).toBe(false)
    const every = allowedHostnames('0.0.0.0')
    expect(every.has(os.hostname().toLowerCase())).toBe(true)
  })

  it('accepts the page\'s own origin and listed ones only', () => {
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true)
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:8080')).toBe(false)
    expect(originAllowed('http://evil.example', '127.0.0.1:8080')).toBe(false)
    expect(originAllowed('null', '127.0.0.1:8080')).toBe(false)
    expect(originAllowed('http://localhost:5173', '127.0.0.1:8080', ['http://localhost:5173/'])).toBe(true)
  })
})

describe('roles and route rules', () => {
  const ann = { id: 'p1', name: 'ann', role: 'student' as const }
  const obs = { id: 'p2', name: 'obs', role: 'observer' as const }
  const teacher = { id: 'instructor', name: 'instructor', role: 'instructor' as const }

  it('instructor all; student own and shared; observer shared only, and never changes', () => {
    const annsPrivate = { ownerId: 'p1', shared: false }
    const othersShared = { ownerId: 'p9', shared: true }
    expect([canSee(ann, annsPrivate), canControl(ann, annsPrivate)]).toEqual([true, true])
    expect([canSee(ann, othersShared), canControl(ann, othersShared)]).toEqual([true, false])
    expect([canSee(obs, annsPrivate), canSee(obs, othersShared), canControl(obs, othersShared)]).toEqual([false, true, false])
    expect([canSee(teacher, annsPrivate), canControl(teacher, annsPrivate)]).toEqual([true, true])
    expect(canSee(ann, { shared: false })).toBe(false) // nobody's endpoint (made with auth off) is the instructor's
  })

  it('maps routes to what they need, with safe defaults for routes added later', () => {
    expect(ruleFor('GET', '/', '/')).toEqual({ need: 'public' })
    expect(ruleFor('POST', '/api/auth/join', '/api/auth/join')).toEqual({ need: 'public' })
    expect(ruleFor('POST', '/api/endpoints', '/api/endpoints')).toEqual({ need: 'actor' })
    expect(ruleFor('POST', '/api/endpoints/:id/send', '/api/endpoints/e1/send')).toEqual({ need: 'actor', endpoint: 'control' })
    expect(ruleFor('GET', '/api/endpoints/:id/events', '/api/endpoints/e1/events')).toEqual({ need: 'viewer', endpoint: 'see' })
    expect(ruleFor('POST', '/api/endpoints/:id/relay/cut', '/api/endpoints/e1/relay/cut')).toEqual({ need: 'actor', endpoint: 'control' })
    expect(ruleFor('PUT', '/api/files/*', '/api/files/a.txt')).toEqual({ need: 'instructor' })
    expect(ruleFor('GET', '/api/files', '/api/files')).toEqual({ need: 'instructor' })
    expect(ruleFor('POST', '/api/something-new', '/api/something-new')).toEqual({ need: 'instructor' })
    expect(ruleFor('GET', '/api/something-new', '/api/something-new')).toEqual({ need: 'viewer' })
    expect(ruleFor('GET', undefined, '/api/nothing-here')).toEqual({ need: 'viewer' })
  })
})

describe('people and sessions', () => {
  it('names are unique without regard to case; reserved and revoked names cannot be taken', () => {
    const s = new Sessions()
    const ann = s.join('Ann', 'student')
    expect(() => s.join('ann', 'observer')).toThrow(expect.objectContaining({ code: 'ENAMETAKEN', field: 'name' }))
    expect(() => s.join('Instructor', 'student')).toThrow(expect.objectContaining({ code: 'ENAMETAKEN' }))
    const sid = s.open(ann)
    expect(s.resolve(sid)?.person.name).toBe('Ann')
    let closed = 0
    s.track(ann.id, undefined, () => closed++)
    s.revoke(ann.id)
    expect(closed).toBe(1)
    expect(s.resolve(sid)).toBeUndefined()
    expect(() => s.join('ANN', 'student')).toThrow(expect.objectContaining({ code: 'EREVOKED' }))
    expect(() => s.revoke(s.instructor().id)).toThrow(expect.objectContaining({ code: 'EINVAL' }))
  })

  it('logging out one session closes only that session\'s sockets', () => {
    const s = new Sessions()
    const bob = s.join('bob', 'student')
    const a = s.open(bob)
    const b = s.open(bob)
    const closed: string[] = []
    s.track(bob.id, s.resolve(a)!.sessionKey, () => closed.push('a'))
    s.track(bob.id, s.resolve(b)!.sessionKey, () => closed.push('b'))
    s.end(a)
    expect(closed).toEqual(['a'])
    expect(s.resolve(a)).toBeUndefined()
    expect(s.resolve(b)?.person.id).toBe(bob.id)
  })

  it('forgets sessions idle longer than the limit', async () => {
    const s = new Sessions({ idleMs: 1, maxPeople: 10 })
    const sid = s.open(s.join('cat', 'student'))
    const t = Date.now()
    await new Promise<void>((resolve) => {
      const check = () => (Date.now() - t > 2 ? resolve() : setImmediate(check))
      check()
    })
    expect(s.resolve(sid)).toBeUndefined()
  })
})

describe('prototype keys in JSON', () => {
  it('finds __proto__ and constructor.prototype anywhere, by path', () => {
    expect(pollutingKey(JSON.parse('{"kind":"udp","__proto__":{"x":1}}'))).toBe('__proto__')
    expect(pollutingKey(JSON.parse('{"reply":{"mode":"echo","__proto__":{}}}'))).toBe('reply.__proto__')
    expect(pollutingKey(JSON.parse('{"a":[{"constructor":{"prototype":{}}}]}'))).toBe('a.0.constructor')
    expect(pollutingKey(JSON.parse('{"constructor":"fine","name":"__proto__"}'))).toBeUndefined()
  })
})

describe('audit log', () => {
  it('keeps a bounded ring and appends JSON lines to a file, rotating it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-audit-'))
    const file = path.join(dir, 'audit.jsonl')
    try {
      const log = new AuditLog(file, { maxEntries: 3, maxFileBytes: 400 })
      for (let i = 0; i < 5; i++) log.record({ actor: { id: 'p1', name: 'ann', role: 'student' }, action: 'endpoint.send', target: `e${i}`, outcome: 'ok' })
      expect(log.after(0).map((e) => e.target)).toEqual(['e2', 'e3', 'e4'])
      expect(log.after(4).map((e) => e.seq)).toEqual([5])
      await log.close()
      const lines = [file + '.1', file].flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean))
      expect(lines.map((l: string) => JSON.parse(l).target)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4'])
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('configuration', () => {
  const withEnv = <T>(env: Record<string, string | undefined>, fn: () => T): T => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    Object.assign(process.env, env)
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]
    try {
      return fn()
    } finally {
      for (const [k, v] of Object.entries(saved)) (v === undefined ? delete process.env[k] : (process.env[k] = v))
    }
  }

  it('auth is on unless SOCKLAB_AUTH says off; anything else is an error that says which variable', () => {
    expect(withEnv({ SOCKLAB_AUTH: undefined }, () => configFromEnv().auth)).toBe(true)
    expect(withEnv({ SOCKLAB_AUTH: 'off' }, () => configFromEnv().auth)).toBe(false)
    expect(withEnv({ SOCKLAB_AUTH: 'ON' }, () => configFromEnv().auth)).toBe(true)
    expect(() => withEnv({ SOCKLAB_AUTH: 'maybe' }, () => configFromEnv())).toThrow(/SOCKLAB_AUTH must be "on" or "off"/)
    expect(() => withEnv({ SOCKLAB_STUDENT_PORTS: '9000-80' }, () => configFromEnv())).toThrow(/SOCKLAB_STUDENT_PORTS must be a port range/)
    expect(withEnv({ SOCKLAB_STUDENT_PORTS: '9000-9099', SOCKLAB_ALLOWED_HOSTS: 'a.lan, b.lan' }, () => configFromEnv())).toMatchObject({
      studentPorts: { min: 9000, max: 9099 },
      allowedHosts: ['a.lan', 'b.lan'],
    })
  })
})
