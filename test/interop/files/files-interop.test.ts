/**
 * File transfer against the programs a class actually writes: Python 3 clients and servers in the style
 * of the tutorials (blocking sockets, recv(1024) for the header, 10/40 KiB loops). socklab plays the
 * server for the Python clients, and the client for the Python servers; every file moved is compared
 * by sha256.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../../../apps/gateway/test/helper.ts'
import { Cleanup, createEndpoint, runPython, spawnPythonServer, waitFor, waitForEvent } from '../../../apps/gateway/test/peers.ts'
import { putLocal, randomPayload, sha256, waitForTransferEnd } from '../../../apps/gateway/test/transfer-peers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const program = (name: string) => path.join(here, 'python', name)
const HOST = '127.0.0.1'

let gw: TestGateway
let work: string
const cleanup = new Cleanup()
beforeAll(async () => {
  gw = await startGateway()
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-py-files-'))
})
afterEach(() => cleanup.run())
afterAll(async () => {
  await gw.close()
  await fs.rm(work, { recursive: true, force: true })
})

async function endpoint(options: Record<string, unknown>) {
  const ep = await createEndpoint(gw, options)
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep
}

async function python(name: string, args: (string | number)[]) {
  return runPython([program(name), ...args.map(String)], { timeoutMs: 30_000 })
}

async function workDir(name: string) {
  const dir = path.join(work, name)
  await fs.mkdir(dir, { recursive: true })
  return dir
}

describe('Python clients against socklab servers', () => {
  it('download_client.py gets an existing file byte for byte (header alone in its recv(1024))', async () => {
    const payload = randomPayload(4 * 1024 * 1024 + 99)
    await putLocal(gw, 'class/lecture.bin', payload)
    const ep = await endpoint({ kind: 'download-server', port: 0, folder: 'class' })
    const out = await workDir('dl')
    const run = await python('download_client.py', [HOST, ep.local.port, 'lecture.bin', out])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.trim()).toBe(`received ${payload.length} of ${payload.length} bytes`)
    expect(sha256(await fs.readFile(path.join(out, 'lecture.bin')))).toBe(sha256(payload))
    expect(await waitForTransferEnd(gw, ep.id)).toMatchObject({ state: 'done', sha256: sha256(payload) })
  })

  it('download_client.py asking for a missing file prints the server’s 文件不存在 answer', async () => {
    const ep = await endpoint({ kind: 'download-server', port: 0 })
    const run = await python('download_client.py', [HOST, ep.local.port, 'homework.zip', await workDir('dl-missing')])
    expect(run.code).toBe(2)
    expect(run.stdout.trim()).toBe('homework.zip文件不存在')
  })

  it('download_client.py gets a 0-byte file', async () => {
    await putLocal(gw, 'empty.txt', Buffer.alloc(0))
    const ep = await endpoint({ kind: 'download-server', port: 0 })
    const out = await workDir('dl-empty')
    const run = await python('download_client.py', [HOST, ep.local.port, 'empty.txt', out])
    expect(run.code, run.stderr).toBe(0)
    expect((await fs.stat(path.join(out, 'empty.txt'))).size).toBe(0)
  })

  it('upload_client.py sends a file that is saved as [接收]{name} with the same sha256', async () => {
    const payload = randomPayload(3 * 1024 * 1024 + 7)
    const src = path.join(await workDir('up'), '作业.bin')
    await fs.writeFile(src, payload)
    const ep = await endpoint({ kind: 'upload-server', port: 0 })
    const run = await python('upload_client.py', [HOST, ep.local.port, src])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.trim().split('\n')).toEqual(['reply: ok', `sent ${payload.length} bytes`])
    const t = await waitForTransferEnd(gw, ep.id)
    expect(t).toMatchObject({ state: 'done', name: '作业.bin', path: 'received/[接收]作业.bin', sha256: sha256(payload) })
    expect(sha256(await fs.readFile(path.join(gw.dataDir, 'files/received/[接收]作业.bin')))).toBe(sha256(payload))
  })

  it('raw_upload_client.py: the whole stream becomes a numbered file and the reply comes back', async () => {
    const payload = randomPayload(1024 * 1024 + 5)
    const src = path.join(await workDir('raw'), 'photo.jpg')
    await fs.writeFile(src, payload)
    const ep = await endpoint({ kind: 'raw-upload-server', port: 0, folder: 'raw', reply: '文件上传成功' })
    const run = await python('raw_upload_client.py', [HOST, ep.local.port, src])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.trim()).toBe('reply: 文件上传成功')
    const t = await waitForTransferEnd(gw, ep.id)
    expect(t).toMatchObject({ state: 'done', path: 'raw/upload-1.bin', sha256: sha256(payload) })
  })
})

describe('socklab file clients against Python servers', () => {
  it('downloads from download_server.py (no pause after its header) with the same sha256', async () => {
    const folder = await workDir('py-serves')
    const payload = randomPayload(6 * 1024 * 1024 + 3)
    await fs.writeFile(path.join(folder, 'dataset.bin'), payload)
    const server = await spawnPythonServer([program('download_server.py'), HOST, folder, '2'])
    cleanup.add(server, (s) => s.stop())

    const ok = await gw.api('POST', '/api/transfers', { direction: 'download', host: HOST, port: server.port, name: 'dataset.bin' })
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    const t = await waitForTransferEnd(gw, ok.body.endpointId, undefined, 20_000)
    expect(t).toMatchObject({ state: 'done', bytesDone: payload.length, sha256: sha256(payload) })
    expect(sha256(await fs.readFile(path.join(gw.dataDir, 'files', t.path!)))).toBe(sha256(payload))

    const missing = await gw.api('POST', '/api/transfers', { direction: 'download', host: HOST, port: server.port, name: 'nothing.txt' })
    const failed = await waitForTransferEnd(gw, missing.body.endpointId)
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'ENOENT' } })
    expect(failed.error!.message).toContain('nothing.txt文件不存在')
  })

  it('uploads to upload_server.py, which saves [接收]{name} with the same sha256', async () => {
    const folder = await workDir('py-receives')
    const payload = randomPayload(2 * 1024 * 1024 + 1)
    await putLocal(gw, 'outbox/report.pdf', payload)
    const server = await spawnPythonServer([program('upload_server.py'), HOST, folder, '1'])
    cleanup.add(server, (s) => s.stop())

    const res = await gw.api('POST', '/api/transfers', { direction: 'upload', host: HOST, port: server.port, name: 'outbox/report.pdf' })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const t = await waitForTransferEnd(gw, res.body.endpointId, undefined, 20_000)
    expect(t).toMatchObject({ state: 'done', name: 'report.pdf', sha256: sha256(payload) })
    // The Python server prints once it has closed the file.
    await waitForEvent(gw, res.body.endpointId, (e) => e.type === 'endpoint' && e.endpoint.state === 'closed', 'the client endpoint to close')
    const saved = path.join(folder, '[接收]report.pdf')
    await waitFor(() => server.output().includes('saved [接收]report.pdf'), 'upload_server.py to save the file', { timeoutMs: 10_000 })
    expect(server.output()).toContain(`saved [接收]report.pdf (${payload.length} bytes announced)`)
    expect(sha256(await fs.readFile(saved))).toBe(sha256(payload))
  })
})
