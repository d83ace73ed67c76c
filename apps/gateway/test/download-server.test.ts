import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { startGateway, type TestGateway } from './helper.ts'
import { LOOPBACK, assertWellFormed, eventsOf, waitFor } from './peers.ts'
import { SEP, putLocal, randomPayload, sha256, transferEvents, tutorialDownload, waitForTransferEnd } from './transfer-peers.ts'

let gw: TestGateway

beforeEach(async () => {
  gw = await startGateway()
})
afterEach(async () => {
  await gw.close()
})

async function downloadServer(options: Record<string, unknown> = {}) {
  const res = await gw.api('POST', '/api/endpoints', { kind: 'download-server', port: 0, ...options })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return { id: res.body.id as string, port: res.body.local.port as number }
}

describe('download server (the tutorial protocol)', () => {
  it('sends 0<SEPARATOR>{size} alone, then the bytes, then closes; reports progress and sha256', async () => {
    const payload = randomPayload(3 * 1024 * 1024 + 17)
    await putLocal(gw, 'lesson.bin', payload)
    const server = await downloadServer()

    const got = await tutorialDownload(server.port, 'lesson.bin')
    // The pause after the header (on by default) gives a single recv(1024) exactly the header.
    expect(got.first.toString()).toBe(`0${SEP}${payload.length}`)
    expect(sha256(got.rest)).toBe(sha256(payload))

    const done = await waitForTransferEnd(gw, server.id)
    expect(done).toMatchObject({
      state: 'done',
      direction: 'download',
      role: 'server',
      name: 'lesson.bin',
      path: 'lesson.bin',
      bytesDone: payload.length,
      bytesTotal: payload.length,
      sha256: sha256(payload),
    })
    const list = await gw.api('GET', '/api/transfers')
    expect(list.body.transfers.find((t: { id: string }) => t.id === done.id)).toMatchObject({ state: 'done', sha256: sha256(payload) })

    // The protocol's small messages are in the traffic log; the file's bytes are not.
    const events = eventsOf(gw, server.id)
    assertWellFormed(events)
    const data = events.filter((e) => e.type === 'data') as Extract<(typeof events)[number], { type: 'data' }>[]
    expect(data.map((e) => [e.direction, Buffer.from(e.data, 'base64').toString()])).toEqual([
      ['in', 'lesson.bin'],
      ['out', `0${SEP}${payload.length}`],
    ])
    const progress = transferEvents(gw, server.id)
    expect(progress[0]!.state).toBe('running')
    expect(progress.length).toBeGreaterThanOrEqual(2)
  })

  it('reports the sha256 of what was sent, also when the file changes between downloads (same size)', async () => {
    const first = randomPayload(256 * 1024)
    const abs = await putLocal(gw, 'notes.bin', first)
    const server = await downloadServer({ headerPauseMs: 0 })
    const a = await tutorialDownload(server.port, 'notes.bin')
    const b = await tutorialDownload(server.port, 'notes.bin')
    expect(sha256(a.all.subarray(a.all.indexOf(SEP) + SEP.length + 6))).toBe(sha256(first))
    expect(b.all.equals(a.all)).toBe(true)
    // Rewrite in place with other bytes of the same length: the digest must follow the new content.
    const second = randomPayload(first.length)
    await fs.writeFile(abs, second)
    const c = await tutorialDownload(server.port, 'notes.bin')
    expect(c.all.subarray(c.all.length - second.length).equals(second)).toBe(true)
    await waitFor(() => transferEvents(gw, server.id).filter((t) => t.state === 'done').length === 3, 'three finished transfers')
    const digests = transferEvents(gw, server.id)
      .filter((t) => t.state === 'done')
      .map((t) => t.sha256)
    expect(digests).toEqual([sha256(first), sha256(first), sha256(second)])
  })

  it('answers a missing file with -1<SEPARATOR>{name}文件不存在 and closes', async () => {
    const server = await downloadServer()
    const got = await tutorialDownload(server.port, 'nope.txt')
    expect(got.all.toString()).toBe(`-1${SEP}nope.txt文件不存在`)
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'failed', name: 'nope.txt', error: { code: 'ENOENT' } })
  })

  it('gives a name outside the served folder the same answer as a missing file', async () => {
    await fs.writeFile(path.join(gw.dataDir, 'secret.txt'), 'teacher only')
    await putLocal(gw, 'public/ok.txt', Buffer.from('fine'))
    const server = await downloadServer({ folder: 'public' })
    for (const name of ['../secret.txt', '../../secret.txt', '/etc/passwd', '..\\secret.txt', '.hidden', '../public/ok.txt']) {
      const got = await tutorialDownload(server.port, name)
      expect(got.all.toString(), name).toBe(`-1${SEP}${name}文件不存在`)
    }
    // A symlink inside the folder that points out is refused too.
    await fs.symlink(path.join(gw.dataDir, 'secret.txt'), path.join(gw.dataDir, 'files/public/link.txt'))
    expect((await tutorialDownload(server.port, 'link.txt')).all.toString()).toBe(`-1${SEP}link.txt文件不存在`)
    // And the folder itself still serves what it holds.
    expect((await tutorialDownload(server.port, 'ok.txt')).rest.toString()).toBe('fine')
  })

  it('serves a 0-byte file as 0<SEPARATOR>0 and a clean close', async () => {
    await putLocal(gw, 'empty.txt', Buffer.alloc(0))
    const server = await downloadServer()
    const got = await tutorialDownload(server.port, 'empty.txt')
    expect(got.all.toString()).toBe(`0${SEP}0`)
    expect(await waitForTransferEnd(gw, server.id)).toMatchObject({ state: 'done', bytesDone: 0, sha256: sha256(Buffer.alloc(0)) })
  })

  it('with headerPauseMs 0 still sends the same bytes (header and file may then share a recv)', async () => {
    const payload = Buffer.from('12345 starts with digits, which is what breaks an unframed client')
    await putLocal(gw, 'digits.txt', payload)
    const server = await downloadServer({ headerPauseMs: 0 })
    const got = await tutorialDownload(server.port, 'digits.txt')
    expect(got.all.equals(Buffer.concat([Buffer.from(`0${SEP}${payload.length}`), payload]))).toBe(true)
  })

  it('refuses a missing or hostile folder when it starts', async () => {
    const missing = await gw.api('POST', '/api/endpoints', { kind: 'download-server', port: 0, folder: 'not-there' })
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatchObject({ code: 'ENOENT', field: 'folder' })
    const hostile = await gw.api('POST', '/api/endpoints', { kind: 'download-server', port: 0, folder: '../' })
    expect(hostile.status).toBe(400)
    expect(hostile.body.error).toMatchObject({ code: 'EBADPATH', field: 'folder' })
    const badPause = await gw.api('POST', '/api/endpoints', { kind: 'download-server', port: 0, headerPauseMs: -1 })
    expect(badPause.status).toBe(400)
    expect(badPause.body.error.field).toBe('headerPauseMs')
  })

  it('reports a client that leaves mid-file as failed and keeps serving others', async () => {
    const payload = randomPayload(32 * 1024 * 1024)
    await putLocal(gw, 'big.bin', payload)
    const server = await downloadServer({ headerPauseMs: 0 })
    // Read the header and a little of the file, then reset.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: LOOPBACK, port: server.port }, () => s.write('big.bin'))
      let n = 0
      s.on('data', (c) => {
        n += c.length
        if (n > 64 * 1024) {
          s.resetAndDestroy()
          resolve()
        }
      })
      s.on('error', reject)
    })
    const failed = await waitForTransferEnd(gw, server.id)
    expect(failed.state).toBe('failed')
    expect(failed.bytesDone).toBeLessThan(payload.length)
    expect(failed.error?.message).toMatch(/closed|reset/i)
    // headerPauseMs 0: the header and the file may share a recv, so strip the header by its known bytes.
    const again = await tutorialDownload(server.port, 'big.bin')
    const header = Buffer.from(`0${SEP}${payload.length}`)
    expect(again.all.subarray(0, header.length).equals(header)).toBe(true)
    expect(sha256(again.all.subarray(header.length))).toBe(sha256(payload))
  })

  it('stops with a transfer running: the connection closes and the transfer says so', async () => {
    const payload = randomPayload(16 * 1024 * 1024)
    await putLocal(gw, 'big.bin', payload)
    const server = await downloadServer({ headerPauseMs: 0 })
    // A client that never reads: the server fills the socket buffers and waits on backpressure.
    const socket = net.connect({ host: LOOPBACK, port: server.port }, () => socket.write('big.bin'))
    socket.pause()
    socket.on('error', () => {})
    const closed = new Promise((r) => socket.once('close', r))
    await waitFor(() => transferEvents(gw, server.id).some((t) => t.bytesDone > 0), 'bytes going out')
    const del = await gw.api('DELETE', `/api/endpoints/${server.id}`)
    expect(del.status).toBe(204)
    socket.resume()
    await closed
    const last = transferEvents(gw, server.id).pop()!
    expect(last.state).toBe('failed')
    // Backpressure held the gateway back: far less than the file was handed to the socket.
    expect(last.bytesDone).toBeLessThan(payload.length)
  })
})
