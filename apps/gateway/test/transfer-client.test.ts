import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fs from 'node:fs/promises'
import path from 'node:path'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, assertWellFormed, eventsOf, waitForEvent } from './peers.ts'
import { splitSizeDigits } from '../src/sockets/file-client.ts'
import { SEP, filesRoot, namesIn, peerServer, putLocal, randomPayload, sha256, waitForTransferEnd } from './transfer-peers.ts'

let gw: TestGateway
const cleanup = new Cleanup()

beforeEach(async () => {
  gw = await startGateway()
})
afterEach(async () => {
  await cleanup.run()
  await gw.close()
})

/** A tutorial download server: no pause, header and file in back-to-back sends (often one segment). */
async function tutorialDownloadServer(files: Record<string, Buffer>, opts: { oneWrite?: boolean; cutAfter?: number } = {}) {
  /** Each connection's port on the client's side, as this server saw it. */
  const peerPorts: number[] = []
  const server = await peerServer((socket) => {
    peerPorts.push(socket.remotePort!)
    socket.once('data', (nameBytes) => {
      const name = nameBytes.toString()
      const file = files[name]
      if (!file) return socket.end(`-1${SEP}${name}文件不存在`)
      const header = Buffer.from(`0${SEP}${file.length}`)
      const body = opts.cutAfter !== undefined ? file.subarray(0, opts.cutAfter) : file
      if (opts.oneWrite) socket.end(Buffer.concat([header, body]))
      else {
        socket.write(header)
        socket.end(body)
      }
    })
  })
  return { ...cleanup.add(server, (s) => s.close()), peerPorts }
}

/** A tutorial upload server: read the header, answer ok, read until the client closes. */
async function tutorialUploadServer() {
  const got: { header: string; body: Buffer }[] = []
  const server = await peerServer((socket) => {
    const chunks: Buffer[] = []
    let header: string | undefined
    socket.on('data', (c) => {
      if (header === undefined) {
        header = c.toString()
        socket.write('ok')
      } else chunks.push(c)
    })
    socket.on('end', () => {
      got.push({ header: header ?? '', body: Buffer.concat(chunks) })
      socket.end()
    })
  })
  return { ...cleanup.add(server, (s) => s.close()), got }
}

async function startTransfer(body: Record<string, unknown>) {
  return gw.api('POST', '/api/transfers', { host: '127.0.0.1', ...body })
}

describe('splitting a header whose size ran into the file', () => {
  it('finds the one split where size = bytes that followed it', () => {
    expect(splitSizeDigits('10', 10)).toBe(2) // "0<SEPARATOR>10" alone, then 10 bytes
    expect(splitSizeDigits('291234567890', 19)).toBe(2) // size 29, the file starts with "1234567890"
    expect(splitSizeDigits('3123', 0)).toBe(1) // size 3, the whole file is "123"
    expect(splitSizeDigits('10', 3)).toBeUndefined() // no split fits: the stream ended short
  })
})

describe('file client: download', () => {
  it('downloads from a tutorial server into received/ with the same sha256; the endpoint ends closed', async () => {
    const payload = randomPayload(5 * 1024 * 1024 + 1)
    const server = await tutorialDownloadServer({ 'data.bin': payload })
    const res = await startTransfer({ direction: 'download', port: server.port, name: 'data.bin' })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.transfer).toMatchObject({ direction: 'download', role: 'client', name: 'data.bin', state: 'running' })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'done', path: 'received/data.bin', bytesDone: payload.length, bytesTotal: payload.length, sha256: sha256(payload) })
    expect(sha256(await fs.readFile(path.join(filesRoot(gw), 'received/data.bin')))).toBe(sha256(payload))
    await waitForEvent(gw, res.body.endpointId, (e) => e.type === 'endpoint' && e.endpoint.state === 'closed', 'endpoint closed')
    const events = eventsOf(gw, res.body.endpointId)
    assertWellFormed(events)
    const data = events.filter((e) => e.type === 'data') as Extract<(typeof events)[number], { type: 'data' }>[]
    expect(data[0]).toMatchObject({ direction: 'out' })
    expect(Buffer.from(data[0]!.data, 'base64').toString()).toBe('data.bin')
    expect(data.length).toBeLessThanOrEqual(2) // name out, header in: the file's bytes are not logged
    // The connection opened while dialing (no addresses); its open state says where it went and from where.
    const opened = events.find((e) => e.type === 'connection-opened')!
    expect(opened).toMatchObject({ connection: { state: 'connecting', remote: { port: 0 } } })
    const open = events.find((e) => e.type === 'connection-state' && e.state === 'open')
    expect(open).toMatchObject({ connectionId: (opened as { connectionId: string }).connectionId, remote: { address: '127.0.0.1', port: server.port }, local: { address: '127.0.0.1' } })
    expect(server.peerPorts).toEqual([(open as { local: { port: number } }).local.port])
  })

  it('untangles a header whose size digits ran into a file that starts with digits', async () => {
    const payload = Buffer.from('1234567890 and then some text')
    const server = await tutorialDownloadServer({ 'n.txt': payload }, { oneWrite: true })
    const res = await startTransfer({ direction: 'download', port: server.port, name: 'n.txt', as: 'numbers.txt' })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'done', path: 'received/numbers.txt', bytesTotal: payload.length, bytesDone: payload.length, sha256: sha256(payload) })
    expect(await fs.readFile(path.join(filesRoot(gw), 'received/numbers.txt'), 'utf8')).toBe(payload.toString())
  })

  it('reports the server’s -1 answer as a failed transfer and a failed endpoint', async () => {
    const server = await tutorialDownloadServer({})
    const res = await startTransfer({ direction: 'download', port: server.port, name: 'missing.txt' })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'failed', error: { code: 'ENOENT' } })
    expect(t.error!.message).toContain('missing.txt文件不存在')
    const ep = await gw.api('GET', `/api/endpoints/${res.body.endpointId}`)
    expect(ep.body).toMatchObject({ kind: 'file-client', state: 'failed', error: { code: 'ENOENT' } })
    expect(await namesIn(path.join(filesRoot(gw), 'received'))).toEqual([])
  })

  it('keeps a download the server cut short as incomplete', async () => {
    const payload = randomPayload(200_000)
    const server = await tutorialDownloadServer({ 'cut.bin': payload }, { cutAfter: 80_000 })
    const res = await startTransfer({ direction: 'download', port: server.port, name: 'cut.bin' })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'incomplete', bytesDone: 80_000, path: 'received/cut.bin.incomplete', error: { code: 'ESHORT' } })
    expect(await namesIn(path.join(filesRoot(gw), 'received'))).toEqual(['cut.bin.incomplete'])
  })

  it('stops at maxBytes and keeps nothing', async () => {
    const server = await tutorialDownloadServer({ 'big.bin': randomPayload(100_000) })
    const res = await startTransfer({ direction: 'download', port: server.port, name: 'big.bin', maxBytes: 10_000 })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'failed', error: { code: 'EFBIG' } })
    expect(await namesIn(path.join(filesRoot(gw), 'received'))).toEqual([])
  })

  it('round-trips through socklab’s own download server', async () => {
    const payload = randomPayload(1024 * 1024)
    await putLocal(gw, 'share/x.bin', payload)
    const srv = await gw.api('POST', '/api/endpoints', { kind: 'download-server', port: 0, folder: 'share' })
    const res = await startTransfer({ direction: 'download', port: srv.body.local.port, name: 'x.bin', folder: 'copies' })
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'done', path: 'copies/x.bin', sha256: sha256(payload) })
    const served = await waitForTransferEnd(gw, srv.body.id)
    expect(served.sha256).toBe(t.sha256)
  })
})

describe('file client: upload', () => {
  it('uploads a file of the files area to a tutorial server with the same sha256', async () => {
    const payload = randomPayload(3 * 1024 * 1024 + 5)
    await putLocal(gw, 'outbox/essay.docx', payload)
    const server = await tutorialUploadServer()
    const res = await startTransfer({ direction: 'upload', port: server.port, name: 'essay.docx', folder: 'outbox' })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const t = await waitForTransferEnd(gw, res.body.endpointId)
    expect(t).toMatchObject({ state: 'done', role: 'client', direction: 'upload', name: 'essay.docx', path: 'outbox/essay.docx', bytesDone: payload.length, sha256: sha256(payload) })
    await waitForEvent(gw, res.body.endpointId, (e) => e.type === 'endpoint' && e.endpoint.state === 'closed', 'endpoint closed')
    expect(server.got).toHaveLength(1)
    expect(server.got[0]!.header).toBe(`essay.docx${SEP}${payload.length}`)
    expect(sha256(server.got[0]!.body)).toBe(sha256(payload))
  })

  it('round-trips through socklab’s own upload server, and a refusal there fails the client', async () => {
    const payload = randomPayload(64 * 1024)
    await putLocal(gw, 'p.bin', payload)
    const up = await gw.api('POST', '/api/endpoints', { kind: 'upload-server', port: 0, maxBytes: 100_000 })
    const ok = await startTransfer({ direction: 'upload', port: up.body.local.port, name: 'p.bin', as: 'renamed.bin' })
    expect((await waitForTransferEnd(gw, ok.body.endpointId)).state).toBe('done')
    const saved = await waitForTransferEnd(gw, up.body.id)
    expect(saved).toMatchObject({ state: 'done', path: 'received/[接收]renamed.bin', sha256: sha256(payload) })

    await putLocal(gw, 'huge.bin', randomPayload(200_000))
    const refused = await startTransfer({ direction: 'upload', port: up.body.local.port, name: 'huge.bin' })
    const t = await waitForTransferEnd(gw, refused.body.endpointId)
    expect(t).toMatchObject({ state: 'failed', error: { code: 'EREFUSED' } })
    expect(t.error!.message).toMatch(/limit of 100000 bytes/)
  })

  it('checks the local file before connecting: a missing or hostile name never reaches the network', async () => {
    const server = await tutorialUploadServer()
    const missing = await startTransfer({ direction: 'upload', port: server.port, name: 'ghost.bin' })
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatchObject({ code: 'ENOENT', field: 'name' })
    const hostile = await startTransfer({ direction: 'upload', port: server.port, name: '../../etc/passwd' })
    expect(hostile.status).toBe(400)
    expect(hostile.body.error).toMatchObject({ code: 'EBADPATH', field: 'name' })
    expect(server.connections()).toBe(0)
    expect((await gw.api('GET', '/api/endpoints')).body.filter((e: { kind: string }) => e.kind === 'file-client')).toEqual([])
  })
})

describe('POST /api/transfers input', () => {
  it('says which field is wrong, and a refused connection is a clear error with nothing left behind', async () => {
    const bad = await startTransfer({ direction: 'sideways', port: 1, name: 'x' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ code: 'EVALIDATION', field: 'direction' })
    const extra = await startTransfer({ direction: 'download', port: 1, name: 'x', bogus: 1 })
    expect(extra.body.error).toMatchObject({ code: 'EVALIDATION', field: 'bogus' })

    const closed = await peerServer(() => {})
    const port = closed.port
    await closed.close()
    const refused = await startTransfer({ direction: 'download', port, name: 'x' })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    expect(refused.body.error.code).toBe('ECONNREFUSED')
    expect((await gw.api('GET', '/api/transfers')).body.transfers).toEqual([])
  })
})
