/** Roles on a real gateway: students own their endpoints, observers watch, the instructor runs the class. */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, TcpPeer, closedPort } from './peers.ts'
import { Client } from '../../../test/security/classroom-clients.ts'

const TOKEN = 'roles-token-51c2'
const CODE = 'ROLE-TEST'
let gw: TestGateway
let teacher: Client
const cleanup = new Cleanup()
let names = 0
/** Each test joins fresh people (names are unique per class). */
const join = (name: string, role: 'student' | 'observer' = 'student') => Client.join(gw.url, CODE, `${name}-${++names}`, role)

beforeAll(async () => {
  gw = await startGateway({ auth: true, token: TOKEN, classCode: CODE, studentPorts: { min: 1024, max: 65535 }, studentMaxEndpoints: 3, commandsPerSecond: 1000 })
  teacher = await Client.instructor(gw.url, TOKEN)
})
afterEach(() => cleanup.run())
afterAll(() => gw.close())

async function tcpServer(who: Client, extra: Record<string, unknown> = {}) {
  const res = await who.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: await closedPort(), reply: { mode: 'echo' }, ...extra })
  if (res.status !== 201) throw new Error(`create → ${res.status} ${JSON.stringify(res.body)}`)
  cleanup.add(res.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
  return res.body
}

describe('students', () => {
  it('own what they create; another student can neither see nor touch it, and nothing changes', async () => {
    const ann = await join('ann')
    const bob = await join('bob')
    const e = await tcpServer(ann)
    expect(e.owner).toMatch(/^ann-/)
    const peer = cleanup.add(await TcpPeer.connect(e.local.port), (p) => p.destroy())
    await peer.write('hi')
    await peer.waitForText('hi')

    expect((await bob.api('GET', '/api/endpoints')).body.map((x: any) => x.id)).not.toContain(e.id)
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/endpoints/${e.id}`],
      ['GET', `/api/endpoints/${e.id}/events`],
      ['POST', `/api/endpoints/${e.id}/send`, { data: 'bob was here' }],
      ['POST', `/api/endpoints/${e.id}/actions`, { action: 'stop-listening' }],
      ['POST', `/api/endpoints/${e.id}/connections/c1/close`, { mode: 'destroy' }],
      ['DELETE', `/api/endpoints/${e.id}`],
      ['POST', `/api/endpoints/${e.id}/share`, { shared: true }],
    ]
    for (const [method, url, body] of attempts) {
      const res = await bob.api(method, url, body)
      expect([res.status, res.body.error.code], `${method} ${url}`).toEqual([403, 'EFORBIDDEN'])
    }
    const after = await ann.api('GET', `/api/endpoints/${e.id}`)
    expect(after.body).toMatchObject({ state: 'listening', stats: { connections: 1, bytesOut: 2 } })
    expect(peer.text()).toBe('hi') // bob's send never arrived

    // Ann may do all of it to her own endpoint.
    expect((await ann.api('POST', `/api/endpoints/${e.id}/send`, { data: '!' })).status).toBe(200)
    await peer.waitForText('hi!')
    expect((await ann.api('DELETE', `/api/endpoints/${e.id}`)).status).toBe(204)
  })

  it('listen only on ports in the class range, and only as many endpoints as allowed', async () => {
    const cy = await join('cy')
    const free = await closedPort()
    const set = await teacher.api('PUT', '/api/people/policy', { studentPortMin: free, studentPortMax: free, maxEndpointsPerStudent: 2 })
    expect(set.body.policy).toEqual({ studentPortMin: free, studentPortMax: free, maxEndpointsPerStudent: 2 })
    try {
      for (const port of [0, free - 1, free + 1]) {
        const res = await cy.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port })
        expect([res.status, res.body.error.code, res.body.error.field], `port ${port}`).toEqual([403, 'EQUOTA', 'port'])
      }
      // A client's port is where it connects to, not a port it takes: any port is fine.
      const target = await tcpServerAt(teacher)
      const client = await cy.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port: target.local.port })
      expect(client.status).toBe(201)
      cleanup.add(client.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
      const inRange = await cy.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: free })
      expect(inRange.status).toBe(201)
      cleanup.add(inRange.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
      const third = await cy.api('POST', '/api/endpoints', { kind: 'tcp-client', host: '127.0.0.1', port: target.local.port })
      expect([third.status, third.body.error.code]).toEqual([403, 'EQUOTA'])
      // The instructor is not bound by the student policy.
      expect((await teacher.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0 })).status).toBe(201)
    } finally {
      await teacher.api('PUT', '/api/people/policy', { studentPortMin: 1024, studentPortMax: 65535, maxEndpointsPerStudent: 3 })
    }
  })

  it('cannot reach the instructor\'s areas', async () => {
    const dee = await join('dee')
    for (const [method, url, body] of [
      ['GET', '/api/people'],
      ['GET', '/api/audit'],
      ['PUT', '/api/people/policy', { maxEndpointsPerStudent: 100 }],
      ['GET', '/api/files'],
      ['PUT', '/api/files/notes.txt', 'text'],
    ] as [string, string, unknown?][]) {
      expect((await dee.api(method, url, body)).status, `${method} ${url}`).toBe(403)
    }
  })
})

async function tcpServerAt(who: Client) {
  const res = await who.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: 0 })
  cleanup.add(res.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
  return res.body
}

describe('observers', () => {
  it('watch what is shared and change nothing', async () => {
    const olga = await join('olga', 'observer')
    const e = await tcpServerAt(teacher)
    expect((await olga.api('GET', '/api/endpoints')).body.map((x: any) => x.id)).not.toContain(e.id)
    const create = await olga.api('POST', '/api/endpoints', { kind: 'udp', port: 0 })
    expect([create.status, create.body.error.code]).toEqual([403, 'EFORBIDDEN'])

    expect((await teacher.api('POST', `/api/endpoints/${e.id}/share`, { shared: true })).body.shared).toBe(true)
    expect((await olga.api('GET', '/api/endpoints')).body.map((x: any) => x.id)).toContain(e.id)
    expect((await olga.api('GET', `/api/endpoints/${e.id}/events`)).status).toBe(200)
    const send = await olga.api('POST', `/api/endpoints/${e.id}/send`, { data: 'x' })
    expect([send.status, send.body.error.code]).toEqual([403, 'EFORBIDDEN'])
    expect((await olga.api('DELETE', `/api/endpoints/${e.id}`)).status).toBe(403)

    expect((await teacher.api('POST', `/api/endpoints/${e.id}/share`, { shared: false })).body.shared).toBe(false)
    expect((await olga.api('GET', `/api/endpoints/${e.id}`)).status).toBe(403)
  })
})

describe('the instructor', () => {
  it('sees and controls every endpoint, shares one with the class, and sees its owner', async () => {
    const eve = await join('eve')
    const fay = await join('fay')
    const e = await tcpServer(eve)
    expect((await teacher.api('GET', '/api/endpoints')).body.find((x: any) => x.id === e.id).owner).toMatch(/^eve-/)
    await teacher.api('POST', `/api/endpoints/${e.id}/share`, { shared: true })
    const seen = (await fay.api('GET', '/api/endpoints')).body.find((x: any) => x.id === e.id)
    expect(seen).toMatchObject({ shared: true, owner: expect.stringMatching(/^eve-/) })
    expect((await fay.api('POST', `/api/endpoints/${e.id}/send`, { data: 'x' })).status).toBe(403) // shared is watch-only
    expect((await teacher.api('POST', `/api/endpoints/${e.id}/actions`, { action: 'stop-listening' })).status).toBe(200)
  })

  it('lists people, moves a student to observer, and revokes them for good', async () => {
    const gus = await join('gus')
    const people = (await teacher.api('GET', '/api/people')).body
    expect(people.classCode).toBe(CODE)
    const me = people.people.find((p: any) => p.name.startsWith('gus-'))
    expect(me).toMatchObject({ role: 'student', revoked: false, endpoints: 0, online: false })

    expect((await teacher.api('PATCH', `/api/people/${me.id}`, { role: 'observer' })).body.role).toBe('observer')
    expect((await gus.api('POST', '/api/endpoints', { kind: 'udp', port: 0 })).status).toBe(403)
    expect((await teacher.api('PATCH', `/api/people/${me.id}`, { role: 'instructor' })).status).toBe(400)

    const revoked = await teacher.api('POST', `/api/people/${me.id}/revoke`)
    expect(revoked.body).toMatchObject({ id: me.id, revoked: true })
    expect((await gus.api('GET', '/api/endpoints')).status).toBe(401)
    const again = await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/join', { code: CODE, name: me.name })
    expect([again.status, again.body.error.code]).toEqual([403, 'EREVOKED'])
    expect((await teacher.api('POST', '/api/people/instructor/revoke')).status).toBe(400)
    expect((await teacher.api('POST', '/api/people/p999/revoke')).status).toBe(404)
  })

  it('rotating the class code stops the old one', async () => {
    const res = await teacher.api('PUT', '/api/people/policy', { rotateClassCode: true })
    const fresh = res.body.classCode
    expect(fresh).not.toBe(CODE)
    try {
      expect((await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/join', { code: CODE, name: 'late-1' })).status).toBe(401)
      expect((await new Client(gw.url, { origin: gw.url }).api('POST', '/api/auth/join', { code: fresh, name: 'late-2' })).status).toBe(201)
    } finally {
      gw.context.access.classCode = CODE
    }
  })

  it('reads an audit log of who did what, with no secrets in it, also on disk', async () => {
    const hal = await join('hal')
    const ivy = await join('ivy')
    const e = await tcpServer(hal)
    const peer = cleanup.add(await TcpPeer.connect(e.local.port), (p) => p.destroy())
    await hal.api('POST', `/api/endpoints/${e.id}/send`, { data: 'hello' })
    await peer.waitForText('hello')
    await ivy.api('DELETE', `/api/endpoints/${e.id}`)
    await hal.api('DELETE', `/api/endpoints/${e.id}`)

    const upload = await teacher.api('PUT', '/api/files/notes/week1.txt', 'socket basics', { 'content-type': 'text/plain' })
    expect(upload.status).toBe(201)
    expect((await ivy.api('PUT', '/api/files/ivy.txt', 'x', { 'content-type': 'text/plain' })).status).toBe(403)

    const log = (await teacher.api('GET', '/api/audit?limit=5000')).body
    expect(log.entries.find((x: any) => x.action === 'files.upload' && x.target === 'ivy.txt')).toMatchObject({ actor: { role: 'student' }, outcome: 'denied', status: 403 })
    expect(log.entries.find((x: any) => x.action === 'files.upload' && x.outcome === 'ok')).toMatchObject({
      actor: { name: 'instructor' },
      target: 'notes/week1.txt',
      detail: '13 bytes',
      outcome: 'ok',
    })
    const mine = log.entries.filter((x: any) => x.target === e.id)
    expect(mine.map((x: any) => [x.actor.name.split('-')[0], x.action, x.outcome])).toEqual([
      ['hal', 'endpoint.create', 'ok'],
      ['hal', 'endpoint.send', 'ok'],
      ['ivy', 'endpoint.stop', 'denied'],
      ['hal', 'endpoint.stop', 'ok'],
    ])
    expect(mine[0].detail).toBe(`tcp-server port ${e.local.port} 127.0.0.1`)
    expect(mine[1].detail).toBe('5 bytes to 1 connection(s)')
    expect(log.entries.find((x: any) => x.action === 'join' && x.actor.id === mine[0].actor.id)).toMatchObject({ outcome: 'ok', detail: `${mine[0].actor.name} as student` })
    const text = JSON.stringify(log)
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain(CODE)
    expect(text).not.toContain('hello') // payloads are not audited, only their size

    await gw.context.access.audit.close() // flush; records go on to memory only afterwards
    const disk = await fs.readFile(path.join(gw.dataDir, 'audit.jsonl'), 'utf8')
    expect(disk).toContain(`"target":"${e.id}"`)
    expect(disk).not.toContain(TOKEN)
  })
})
