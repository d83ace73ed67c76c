/**
 * A disk that cannot take the file: the built gateway runs under a real file-size limit
 * (prlimit --fsize, which makes write() fail with EFBIG the way a full disk fails with ENOSPC).
 * Uploads then fail with a clear error, leave no partial file, and the gateway keeps serving.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GATEWAY_ENTRY } from '../../helpers/gateway-process.ts'
import { runPython, waitFor } from '../../../apps/gateway/test/peers.ts'
import { randomPayload, sha256 } from '../../../apps/gateway/test/transfer-peers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const LIMIT = 1024 * 1024

let child: ChildProcess
let url: string
let dataDir: string
let output = ''

beforeAll(async () => {
  await fs.access(GATEWAY_ENTRY).catch(() => {
    throw new Error(`${GATEWAY_ENTRY} is missing: run \`pnpm --filter @socklab/gateway build\` first`)
  })
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-fsize-'))
  child = spawn('prlimit', [`--fsize=${LIMIT}`, '--', process.execPath, GATEWAY_ENTRY], {
    env: { ...process.env, SOCKLAB_HOST: '127.0.0.1', SOCKLAB_PORT: '0', SOCKLAB_DATA: dataDir, SOCKLAB_AUTH: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  url = await waitFor(() => output.match(/socklab listening on (http:\/\/\S+?)\/?\s/)?.[1], 'the gateway to listen', { timeoutMs: 15_000 })
})

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true })
})

/** Ask until the answer is there, bounded (the gateway is another process: no events to wait on here). */
async function poll<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(url + p, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return { status: res.status, body: await res.json().catch(() => undefined) }
}

describe('when the disk cannot take the file', () => {
  it('an upload from a Python client fails with a clear error, and nothing half-written is left', async () => {
    const ep = await api('POST', '/api/endpoints', { kind: 'upload-server', port: 0 })
    expect(ep.status).toBe(201)
    const src = path.join(dataDir, 'big-source.bin')
    const payload = randomPayload(3 * LIMIT)
    await fs.writeFile(src, payload) // this test process has no limit
    // The client may see the connection reset mid-send; what matters is what the gateway reports.
    await runPython([path.join(here, 'python/upload_client.py'), '127.0.0.1', String(ep.body.local.port), src], { timeoutMs: 30_000 })
    const t = await poll(async () => (await api('GET', '/api/transfers')).body.transfers.find((x: { state: string }) => x.state !== 'running'), 'the transfer to end')
    expect(t).toMatchObject({ state: 'failed', error: { code: 'EFBIG' } })
    expect(t.error.message).toMatch(/largest file/)
    expect(await fs.readdir(path.join(dataDir, 'files/received'))).toEqual([])
  })

  it('a browser upload over the limit answers 413 EFBIG, and a small one still works', async () => {
    const big = await fetch(`${url}/api/files/too-big.bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: randomPayload(2 * LIMIT) })
    expect(big.status).toBe(413)
    expect((await big.json()).error.code).toBe('EFBIG')
    const small = randomPayload(1000)
    const ok = await fetch(`${url}/api/files/small.bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: small })
    expect(ok.status).toBe(201)
    expect((await ok.json()).sha256).toBe(sha256(small))
    const listed = await api('GET', '/api/files')
    expect(listed.body.entries.map((e: { name: string }) => e.name)).toEqual(['received', 'small.bin'])
    expect(child.exitCode).toBe(null)
  })
})
