import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startGateway, type TestGateway } from './helper.ts'
import { assertWellFormed, eventsOf } from './peers.ts'
import { SEP, filesRoot, namesIn, randomPayload, rawUpload, sha256, tutorialUpload, waitForTransferEnd } from './transfer-peers.ts'

let gw: TestGateway

beforeEach(async () => {
  gw = await startGateway()
})
afterEach(async () => {
  await gw.close()
})

async function create(kind: string, options: Record<string, unknown> = {}) {
  const res = await gw.api('POST', '/api/endpoints', { kind, port: 0, ...options })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return { id: res.body.id as string, port: res.body.local.port as number }
}

const received = (gw: TestGateway, name = '') => path.join(filesRoot(gw), 'received', name)

describe('upload server (the tutorial protocol)', () => {
  it('replies ok, saves [接收]{basename} with the same sha256, and shows the protocol in the log', async () => {
    const server = await create('upload-server')
    const payload = randomPayload(2 * 1024 * 1024 + 3)
    // The tutorial client sends the path it read from; the server keeps only the base name.
    const { reply } = await tutorialUpload(server.port, `C:\\work/homework/report.pdf${SEP}${payload.length}`, payload)
    expect(reply.toString()).toBe('ok')
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'done', direction: 'upload', role: 'server', name: 'report.pdf', path: 'received/[接收]report.pdf', bytesDone: payload.length, bytesTotal: payload.length, sha256: sha256(payload) })
    expect(sha256(await fs.readFile(received(gw, '[接收]report.pdf')))).toBe(sha256(payload))
    expect(await namesIn(received(gw))).toEqual(['[接收]report.pdf'])

    const events = eventsOf(gw, server.id)
    assertWellFormed(events)
    const data = events.filter((e) => e.type === 'data') as Extract<(typeof events)[number], { type: 'data' }>[]
    expect(data.map((e) => [e.direction, Buffer.from(e.data, 'base64').toString()])).toEqual([
      ['in', `C:\\work/homework/report.pdf${SEP}${payload.length}`],
      ['out', 'ok'],
    ])
  })

  it('never overwrites: the same name again becomes "[接收]a (1).txt"', async () => {
    const server = await create('upload-server')
    await tutorialUpload(server.port, `a.txt${SEP}5`, Buffer.from('first'))
    await waitForTransferEnd(gw, server.id, (t) => t.path === 'received/[接收]a.txt')
    await tutorialUpload(server.port, `a.txt${SEP}6`, Buffer.from('second'))
    const second = await waitForTransferEnd(gw, server.id, (t) => t.bytesDone === 6)
    expect(second.path).toBe('received/[接收]a (1).txt')
    expect(await fs.readFile(received(gw, '[接收]a.txt'), 'utf8')).toBe('first')
    expect(await fs.readFile(received(gw, '[接收]a (1).txt'), 'utf8')).toBe('second')
  })

  it('keeps a short upload as ….incomplete, never as the finished name', async () => {
    const server = await create('upload-server', { prefix: '', folder: 'in' })
    const payload = randomPayload(100_000)
    await tutorialUpload(server.port, `part.bin${SEP}${payload.length}`, payload, { sendBytes: 40_000 })
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'incomplete', bytesDone: 40_000, bytesTotal: 100_000, path: 'in/part.bin.incomplete', error: { code: 'ESHORT' } })
    const dir = path.join(filesRoot(gw), 'in')
    expect(await namesIn(dir)).toEqual(['part.bin.incomplete'])
    expect(sha256(await fs.readFile(path.join(dir, 'part.bin.incomplete')))).toBe(sha256(payload.subarray(0, 40_000)))
    const listed = await gw.api('GET', '/api/files?path=in')
    expect(listed.body.entries).toEqual([expect.objectContaining({ name: 'part.bin.incomplete', incomplete: true, size: 40_000 })])
  })

  it('keeps what arrived before a reset as incomplete', async () => {
    const server = await create('upload-server', { prefix: '' })
    const payload = randomPayload(300_000)
    await tutorialUpload(server.port, `cut.bin${SEP}${payload.length}`, payload, { sendBytes: 50_000, reset: true }).catch(() => undefined)
    const t = await waitForTransferEnd(gw, server.id)
    expect(t.state).toBe('incomplete')
    expect(await namesIn(received(gw))).toEqual(['cut.bin.incomplete'])
  })

  it('refuses a file over the cap before any byte is written, in the protocol (-1<SEPARATOR>reason)', async () => {
    const server = await create('upload-server', { maxBytes: 1000 })
    const { reply } = await tutorialUpload(server.port, `big.bin${SEP}5000`, randomPayload(5000))
    expect(reply.toString()).toMatch(new RegExp(`^-1${SEP}.*5000 bytes.*limit of 1000 bytes`))
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'failed', error: { code: 'EFBIG' } })
    expect(await namesIn(received(gw))).toEqual([])
  })

  it('stops a client that sends more than it announced, keeping the announced part as incomplete', async () => {
    const server = await create('upload-server', { prefix: '' })
    // Announce 10 bytes, send 20.
    await tutorialUpload(server.port, `liar.txt${SEP}10`, Buffer.from('01234567890123456789')).catch(() => undefined)
    const t = await waitForTransferEnd(gw, server.id)
    expect(t.state).toBe('incomplete')
    expect(t.error?.code).toBe('EPROTO')
    expect(await namesIn(received(gw))).toEqual(['liar.txt.incomplete'])
  })

  it('answers a malformed header or a hostile name with -1 and saves nothing', async () => {
    const server = await create('upload-server', { prefix: '' })
    for (const header of [`no separator here`, `x.txt${SEP}ten`, `..${SEP}3`, `.bashrc${SEP}3`, `a\u0000b${SEP}3`]) {
      const { reply } = await tutorialUpload(server.port, header, Buffer.from('abc'))
      expect(reply.toString(), header).toMatch(new RegExp(`^-1${SEP}`))
    }
    expect(await namesIn(received(gw))).toEqual([])
    const codes = (await gw.api('GET', '/api/transfers')).body.transfers.map((t: { error: { code: string } }) => t.error.code)
    expect(codes).toEqual(['EPROTO', 'EPROTO', 'EBADPATH', 'EBADPATH', 'EBADPATH'])
  })

  it('receives a 0-byte file', async () => {
    const server = await create('upload-server')
    await tutorialUpload(server.port, `empty.txt${SEP}0`, Buffer.alloc(0))
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'done', bytesDone: 0, sha256: sha256(Buffer.alloc(0)) })
    expect((await fs.stat(received(gw, '[接收]empty.txt'))).size).toBe(0)
  })
})

describe('raw upload server', () => {
  it('saves each connection as the next numbered file and replies when the client is done', async () => {
    const server = await create('raw-upload-server', { reply: '文件上传成功' })
    const one = randomPayload(700_000)
    const two = randomPayload(1234)
    expect((await rawUpload(server.port, one)).toString()).toBe('文件上传成功')
    expect((await rawUpload(server.port, two)).toString()).toBe('文件上传成功')
    expect(await namesIn(received(gw))).toEqual(['upload-1.bin', 'upload-2.bin'])
    expect(sha256(await fs.readFile(received(gw, 'upload-1.bin')))).toBe(sha256(one))
    expect(sha256(await fs.readFile(received(gw, 'upload-2.bin')))).toBe(sha256(two))
    const list = (await gw.api('GET', '/api/transfers')).body.transfers
    expect(list.map((t: { name: string; state: string; sha256: string }) => [t.name, t.state, t.sha256])).toEqual([
      ['upload-1.bin', 'done', sha256(one)],
      ['upload-2.bin', 'done', sha256(two)],
    ])
  })

  it('skips numbers already taken and never overwrites', async () => {
    await fs.mkdir(received(gw), { recursive: true })
    await fs.writeFile(received(gw, 'upload-1.bin'), 'older')
    const server = await create('raw-upload-server')
    await rawUpload(server.port, Buffer.from('new'))
    await waitForTransferEnd(gw, server.id)
    expect(await fs.readFile(received(gw, 'upload-1.bin'), 'utf8')).toBe('older')
    expect(await fs.readFile(received(gw, 'upload-2.bin'), 'utf8')).toBe('new')
  })

  it('keeps a reset stream as incomplete and a stream over the cap is cut and kept as incomplete', async () => {
    const server = await create('raw-upload-server', { maxBytes: 100_000 })
    await rawUpload(server.port, randomPayload(50_000), { reset: true })
    const reset = await waitForTransferEnd(gw, server.id)
    expect(reset.state).toBe('incomplete')
    await rawUpload(server.port, randomPayload(300_000)).catch(() => undefined)
    const capped = await waitForTransferEnd(gw, server.id, (t) => t.id !== reset.id)
    expect(capped).toMatchObject({ state: 'incomplete', error: { code: 'EFBIG' } })
    expect(capped.bytesDone).toBeLessThanOrEqual(100_000)
    const names = await namesIn(received(gw))
    expect(names.every((n) => n.endsWith('.incomplete'))).toBe(true)
    expect(names).toHaveLength(2)
  })
})
