/** The logs folder as a managed place: its total against the quota, and the instructor's routes to old logs. Real files, real gateways. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, createEndpoint, isData, TcpPeer, waitForEvent, waitForEvents } from './peers.ts'
import { Client } from '../../../test/security/classroom-clients.ts'

const OLD_A = 'e1-tcp-server-9000-20250101-100000.log'
const OLD_B = 'e2-udp-9001-20250101-100500.log'

const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'))
const action = (g: TestGateway, id: string, body: unknown) => g.api('POST', `/api/endpoints/${id}/actions`, body)

/** Sum of the traffic logs' sizes on disk (other files in logs/ are not logs). */
async function logsOnDisk(dataDir: string): Promise<{ names: string[]; total: number }> {
  const dir = path.join(dataDir, 'logs')
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.log')).sort()
  let total = 0
  for (const n of names) total += (await fs.stat(path.join(dir, n))).size
  return { names, total }
}

/** A fresh data folder, optionally with files already in logs/ (name → size). */
async function dataFolder(cleanup: Cleanup, files: Record<string, number> = {}): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-logs-'))
  cleanup.add(dataDir, (d) => fs.rm(d, { recursive: true, force: true }))
  await fs.mkdir(path.join(dataDir, 'logs'))
  for (const [name, size] of Object.entries(files)) await fs.writeFile(path.join(dataDir, 'logs', name), Buffer.alloc(size, 'x'))
  return dataDir
}

/** Echo a few bytes through a TCP peer and wait until the gateway recorded the echo. */
async function echo(g: TestGateway, id: string, peer: TcpPeer, text: string) {
  peer.clear()
  await peer.write(text)
  await peer.waitForText(text)
  await waitForEvents(g, id, (ev) => ev.some((e) => isData('out')(e) && Buffer.from(e.data, 'base64').toString() === text), `${text} echoed`)
}

describe('logs folder quota', () => {
  const cleanup = new Cleanup()
  afterAll(() => cleanup.run())

  it('refuses a new log while the folder is at its total (counted at start), naming sizes, limit and what to do; deleting makes room', async () => {
    const dataDir = await dataFolder(cleanup, { [OLD_A]: 2048, [OLD_B]: 2048, 'notes.txt': 50_000 })
    const g = cleanup.add(await startGateway({ dataDir, trafficLogsMaxBytes: 4096 }), (x) => x.close())

    // The scan at start counted the two logs, not the other file.
    const before = await g.api('GET', '/api/logs')
    expect(before.status).toBe(200)
    expect(before.body).toMatchObject({ totalBytes: 4096, maxTotalBytes: 4096, full: true })
    expect(before.body.entries.map((e: { name: string }) => e.name).sort()).toEqual([OLD_A, OLD_B])

    // At creation: refused, and nothing is left running.
    const created = await g.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, log: true })
    expect([created.status, created.body.error.code]).toEqual([507, 'ELOGSFULL'])
    const msg = created.body.error.message as string
    expect(msg).toContain('4096 bytes of the 4096 allowed')
    expect(msg).toContain('SOCKLAB_TRAFFIC_LOGS_MAX_BYTES')
    expect(msg).toContain('delete old logs')
    expect((await g.api('GET', '/api/endpoints')).body).toEqual([])

    // While running: refused, the endpoint keeps going, no file was made.
    const ep = await createEndpoint(g, { kind: 'tcp-server', port: 0 })
    cleanup.add(ep.id, (id: string) => g.api('DELETE', `/api/endpoints/${id}`))
    const on = await action(g, ep.id, { action: 'log', on: true })
    expect([on.status, on.body.error.code]).toEqual([507, 'ELOGSFULL'])
    const after = (await g.api('GET', `/api/endpoints/${ep.id}`)).body
    expect([after.state, after.log]).toEqual(['listening', undefined])
    expect((await logsOnDisk(dataDir)).names).toEqual([OLD_A, OLD_B])

    // Delete one old log: the total drops by its size and logging starts.
    expect((await g.api('DELETE', `/api/logs/${OLD_A}`)).status).toBe(204)
    expect((await g.api('GET', '/api/logs')).body).toMatchObject({ totalBytes: 2048, full: false })
    const again = await action(g, ep.id, { action: 'log', on: true })
    expect([again.status, again.body.log?.state]).toEqual([200, 'on'])
    const listed = (await g.api('GET', '/api/logs')).body
    expect(listed.entries[0]).toMatchObject({ name: again.body.log.file, active: true, endpointId: ep.id })
    expect(listed.totalBytes).toBe(2048 + listed.entries[0].size)
  })

  it('stops running logs at the folder total: the last line and the state say why, the folder stays within it, no new log starts', async () => {
    const dataDir = await dataFolder(cleanup)
    const g = cleanup.add(await startGateway({ dataDir, trafficLogsMaxBytes: 8192 }), (x) => x.close())
    // Two endpoints share the total; each keeps room for its own last line.
    const eps = [] as { id: string; peer: TcpPeer }[]
    for (let i = 0; i < 2; i++) {
      const ep = await createEndpoint(g, { kind: 'tcp-server', port: 0, log: true, reply: { mode: 'echo' } })
      cleanup.add(ep.id, (id: string) => g.api('DELETE', `/api/endpoints/${id}`))
      eps.push({ id: ep.id, peer: cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy()) })
    }
    const stopped = new Set<string>()
    for (let i = 0; i < 200 && stopped.size < eps.length; i++) {
      for (const ep of eps) {
        if (stopped.has(ep.id)) continue
        await echo(g, ep.id, ep.peer, `chunk ${String(i).padStart(3, '0')} of ${ep.id}`)
        if ((await g.api('GET', `/api/endpoints/${ep.id}`)).body.log.state !== 'on') stopped.add(ep.id)
      }
    }
    for (const ep of eps) {
      // Viewers hear it at once: a snapshot with the new state.
      const full = await waitForEvent(g, ep.id, (e) => e.type === 'endpoint' && e.endpoint.log?.state === 'folder-full', 'the log to say the folder is full')
      const log = (full as any).endpoint.log
      expect(log.error).toMatchObject({ code: 'ELOGSFULL' })
      expect(log.error.message).toContain('reached its total of 8192 bytes (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES)')
      // Off now waits until the file is closed (it already stopped writing).
      expect((await action(g, ep.id, { action: 'log', on: false })).body.log.state).toBe('folder-full')
      const text = await fs.readFile(path.join(dataDir, 'logs', log.file), 'utf8')
      expect(lines(text).at(-1)).toMatch(
        new RegExp(`${ep.id} !! log stopped: the logs folder reached its total of 8192 bytes \\(SOCKLAB_TRAFFIC_LOGS_MAX_BYTES\\); later traffic is not in this file; delete old logs to log again$`),
      )
      expect(text).toContain(`"chunk 000 of ${ep.id}"`)
      expect(Buffer.byteLength(text)).toBe(log.bytes)
    }
    const disk = await logsOnDisk(dataDir)
    expect(disk.names).toHaveLength(2)
    expect(disk.total).toBeLessThanOrEqual(8192)
    // Close to it, too: the logs stopped because of the total, not much before it.
    expect(disk.total).toBeGreaterThan(8192 - 1024)
    const listed = (await g.api('GET', '/api/logs')).body
    expect([listed.totalBytes, listed.full]).toEqual([disk.total, true])
    expect(listed.entries.every((e: { active: boolean }) => !e.active)).toBe(true)

    // No room for another: on again is refused, saying so.
    const on = await action(g, eps[0]!.id, { action: 'log', on: true })
    expect([on.status, on.body.error.code]).toEqual([507, 'ELOGSFULL'])
    expect(on.body.error.message).toContain(`${disk.total} bytes of the 8192 allowed`)
  })
})

describe('logs folder routes', () => {
  const cleanup = new Cleanup()
  let g: TestGateway
  afterAll(() => cleanup.run())

  it('lists every log (also of removed endpoints), downloads by name, refuses to delete one being written, deletes the rest', async () => {
    const dataDir = await dataFolder(cleanup, { [OLD_A]: 100 })
    g = cleanup.add(await startGateway({ dataDir }), (x) => x.close())
    const ep = await createEndpoint(g, { kind: 'tcp-server', port: 0, log: true, reply: { mode: 'echo' } })
    const file = ep.log.file as string
    const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    await echo(g, ep.id, peer, 'hello log')

    const list = await g.api('GET', '/api/logs')
    expect(list.status).toBe(200)
    expect(list.body.entries.map((e: { name: string }) => e.name)).toEqual([file, OLD_A]) // newest first
    const entry = list.body.entries[0]
    expect(entry).toMatchObject({ name: file, active: true, endpointId: ep.id })
    expect(entry.size).toBeGreaterThan(0)
    expect(entry.mtime).toBeGreaterThan(Date.now() - 60_000)
    expect(list.body.entries[1]).toEqual({ name: OLD_A, size: 100, mtime: expect.any(Number), active: false })
    expect(list.body).toMatchObject({ totalBytes: 100 + entry.size, maxTotalBytes: 2 * 1024 ** 3, full: false, maxFileBytes: 256 * 1024 ** 2 })

    // A log being written downloads as far as it was recorded when asked.
    const res = await fetch(`${g.url}/api/logs/${file}`)
    const text = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(res.headers.get('content-disposition')).toContain(`filename="${file}"`)
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text))
    expect(text).toContain('"hello log"')

    // Being written: not deleted.
    const busy = await g.api('DELETE', `/api/logs/${file}`)
    expect([busy.status, busy.body.error.code]).toEqual([409, 'EBUSY'])
    expect(busy.body.error.message).toContain(`being written by endpoint ${ep.id}`)
    await fs.access(path.join(dataDir, 'logs', file))

    // The endpoint goes away: its log stays, reachable only here.
    expect((await g.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    expect((await g.api('GET', `/api/endpoints/${ep.id}/log`)).status).toBe(404)
    const later = (await g.api('GET', '/api/logs')).body
    expect(later.entries[0]).toMatchObject({ name: file, active: false })
    expect(later.entries[0].endpointId).toBeUndefined()
    const final = await fetch(`${g.url}/api/logs/${file}`).then((r) => r.text())
    expect(lines(final).at(-1)).toMatch(new RegExp(`${ep.id} -- stopped and removed$`))
    expect(later.entries[0].size).toBe(Buffer.byteLength(final))
    expect(later.totalBytes).toBe(100 + Buffer.byteLength(final))

    // Now it may go: gone from disk, from the list and from the total.
    expect((await g.api('DELETE', `/api/logs/${file}`)).status).toBe(204)
    await expect(fs.access(path.join(dataDir, 'logs', file))).rejects.toThrow()
    const gone = (await g.api('GET', '/api/logs')).body
    expect(gone.entries.map((e: { name: string }) => e.name)).toEqual([OLD_A])
    expect(gone.totalBytes).toBe(100)
    for (const method of ['GET', 'DELETE']) {
      const again = await g.api(method, `/api/logs/${file}`)
      expect([again.status, again.body.error.code]).toEqual([404, 'ENOENT'])
      expect(again.body.error.message).toBe(`there is no traffic log ${file} in the logs folder`)
    }

    // Deletes are in the audit log like the files area's, refused ones too.
    const audit = (await g.api('GET', '/api/audit?limit=5000')).body.entries.filter((x: { action: string }) => x.action === 'log.delete')
    expect(audit.map((x: any) => [x.target, x.outcome, x.status])).toEqual([
      [file, 'failed', 409],
      [file, 'ok', 204],
      [file, 'failed', 404],
    ])
  })

  it('refuses traversal and odd names with one answer, whether or not something is there', async () => {
    const dir = path.join(g.dataDir, 'logs')
    // Outside the folder, named like a log; a link to it, and a folder, named like logs.
    const outside = path.join(g.dataDir, 'e9-tcp-server-1-20250101-000000.log')
    await fs.writeFile(outside, 'secret')
    await fs.symlink(outside, path.join(dir, 'e8-tcp-server-1-20250101-000000.log'))
    await fs.mkdir(path.join(dir, 'e7-tcp-server-1-20250101-000000.log'))
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a log')
    await fs.writeFile(path.join(dir, '.e6-tcp-server-1-20250101-000000.log'), 'hidden')
    const names = [
      '..%2fe9-tcp-server-1-20250101-000000.log',
      '..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e%2fe9-tcp-server-1-20250101-000000.log',
      '%252e%252e%252fe9-tcp-server-1-20250101-000000.log',
      '%2Fetc%2Fpasswd',
      encodeURIComponent(outside),
      '..%5ce9-tcp-server-1-20250101-000000.log',
      'e1-tcp-server-9000-20250101-100000.log%5c',
      'C:%5ce9-tcp-server-1-20250101-000000.log',
      'e1-tcp-server-9000-20250101-100000.log%00',
      'notes.txt',
      'e1-tcp-server-9000-20250101-100000.txt',
      'e1-tcp-server-9000-20250101-100000.log.txt',
      'passwd',
      '.e6-tcp-server-1-20250101-000000.log',
      'e8-tcp-server-1-20250101-000000.log',
      'e7-tcp-server-1-20250101-000000.log',
    ]
    let message: string | undefined
    for (const name of names) {
      for (const method of ['GET', 'DELETE']) {
        const res = await g.api(method, `/api/logs/${name}`)
        expect([name, method, res.status, res.body?.error?.code, res.body?.error?.field]).toEqual([name, method, 400, 'EBADPATH', 'name'])
        message ??= res.body.error.message
        expect(res.body.error.message).toBe(message)
      }
    }
    expect(message).toContain('not a traffic log name')
    // Longer than any name the gateway makes: Fastify refuses it before the route (414).
    expect((await g.api('GET', `/api/logs/${'e1-tcp-server-9000-20250101-100000'.padEnd(300, '0')}.log`)).status).toBe(414)
    // Nothing was read or removed.
    expect(await fs.readFile(outside, 'utf8')).toBe('secret')
    expect((await fs.lstat(path.join(dir, 'e8-tcp-server-1-20250101-000000.log'))).isSymbolicLink()).toBe(true)
    expect((await fs.stat(path.join(dir, 'e7-tcp-server-1-20250101-000000.log'))).isDirectory()).toBe(true)
    expect(await fs.readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('not a log')
    // None of them is listed.
    expect((await g.api('GET', '/api/logs')).body.entries.map((e: { name: string }) => e.name)).toEqual([OLD_A])
  })
})

describe('logs folder permissions', () => {
  const TOKEN = 'logs-folder-token-3c1e'
  const CODE = 'LOGS-FOLDER'
  const cleanup = new Cleanup()
  afterAll(() => cleanup.run())

  it('is the instructor\'s: students and observers get 403, nobody logged in 401, and nothing is deleted', async () => {
    const dataDir = await dataFolder(cleanup, { [OLD_A]: 10 })
    const g = cleanup.add(await startGateway({ dataDir, auth: true, token: TOKEN, classCode: CODE, commandsPerSecond: 1000 }), (x) => x.close())
    const teacher = await Client.instructor(g.url, TOKEN)
    const script = Client.bearer(g.url, TOKEN)
    const ann = await Client.join(g.url, CODE, 'ann')
    const olga = await Client.join(g.url, CODE, 'olga', 'observer')
    // Ann's own endpoint logs: still not hers to list or delete here.
    const mine = await ann.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: 0, log: true })
    expect(mine.status).toBe(201)
    cleanup.add(mine.body.id, (id: string) => teacher.api('DELETE', `/api/endpoints/${id}`))

    for (const who of [ann, olga]) {
      for (const [method, url] of [
        ['GET', '/api/logs'],
        ['GET', `/api/logs/${OLD_A}`],
        ['GET', `/api/logs/${mine.body.log.file}`],
        ['DELETE', `/api/logs/${OLD_A}`],
      ] as const) {
        const res = await who.api(method, url)
        expect([method, url, res.status, res.body.error.code]).toEqual([method, url, 403, 'EFORBIDDEN'])
      }
    }
    const nobody = await Client.anonymous(g.url).api('GET', '/api/logs')
    expect([nobody.status, nobody.body.error.code]).toEqual([401, 'EAUTH'])
    expect((await fs.stat(path.join(dataDir, 'logs', OLD_A))).size).toBe(10)

    for (const who of [teacher, script]) {
      const list = await who.api('GET', '/api/logs')
      expect(list.status).toBe(200)
      expect(list.body.entries.map((e: { name: string }) => e.name)).toEqual([mine.body.log.file, OLD_A])
    }
    expect((await teacher.api('GET', `/api/logs/${OLD_A}`)).status).toBe(200)
    expect((await script.api('DELETE', `/api/logs/${OLD_A}`)).status).toBe(204)
    const audit = (await teacher.api('GET', '/api/audit?limit=5000')).body.entries.filter((x: { action: string }) => x.action === 'log.delete')
    expect(audit.map((x: any) => [x.actor.role, x.target, x.outcome])).toEqual([
      ['student', OLD_A, 'denied'],
      ['observer', OLD_A, 'denied'],
      ['instructor', OLD_A, 'ok'],
    ])
  })
})
