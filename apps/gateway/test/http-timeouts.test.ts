import net from 'node:net'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { createEndpoint, waitForEvent } from './peers.ts'
import { buildSite, parseResponse } from './http-peers.ts'

/*
 * A slow or silent client must not hold the server forever. Each limit is set short here and the test
 * measures that the server let go of the connection after about that long (generous upper bounds).
 */

let gw: TestGateway
const cleanup = gatewayForFile(async (g) => {
  gw = g
  await buildSite(path.join(gw.dataDir, 'files'))
})

async function httpServer(options: Record<string, unknown>) {
  const ep = await createEndpoint(gw, { kind: 'http-static', port: 0, folder: 'site', ...options })
  cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number } }
}

/** A raw client; resolves with what it received and how long until the server closed the connection. */
function rawClient(port: number, opts: { first?: string; dribble?: { text: string; everyMs: number } } = {}) {
  const socket = cleanup.add(net.connect({ host: '127.0.0.1', port }), (s) => s.destroy())
  const chunks: Buffer[] = []
  let timer: NodeJS.Timeout | undefined
  const connected = new Promise<number>((resolve) => socket.once('connect', () => resolve(performance.now())))
  let firstDataAt: number | undefined
  const closed = new Promise<{ raw: Buffer; elapsedMs: number; firstDataMs?: number }>((resolve) => {
    socket.on('data', (c) => {
      firstDataAt ??= performance.now()
      chunks.push(c)
    })
    socket.on('error', () => {})
    socket.on('close', async () => {
      clearInterval(timer)
      const start = await connected
      resolve({ raw: Buffer.concat(chunks), elapsedMs: performance.now() - start, ...(firstDataAt ? { firstDataMs: firstDataAt - start } : {}) })
    })
  })
  void connected.then(() => {
    if (opts.first) socket.write(opts.first)
    // The slow-loris client: one more header line every so often, never the blank line that ends them.
    if (opts.dribble) timer = setInterval(() => socket.writable && socket.write(opts.dribble!.text), opts.dribble.everyMs)
  })
  return closed
}

describe('http-static: timeouts', () => {
  it('answers 408 and closes when headers trickle in slower than headersTimeoutMs (slow loris)', async () => {
    const ep = await httpServer({ headersTimeoutMs: 600 })
    const { raw, elapsedMs } = await rawClient(ep.local.port, { first: 'GET / HTTP/1.1\r\nHost: x\r\n', dribble: { text: 'X-Slow: 1\r\n', everyMs: 100 } })
    expect(parseResponse(raw).status).toBe(408)
    expect(elapsedMs).toBeGreaterThanOrEqual(550)
    expect(elapsedMs).toBeLessThan(3000)
    const e = await waitForEvent<any>(gw, ep.id, (x) => x.type === 'http-request' && x.status === 408, '408 logged')
    expect(e.reason).toMatch(/within 600 ms/)
  })

  it('closes a connection on which nothing moves for idleTimeoutMs', async () => {
    const ep = await httpServer({ idleTimeoutMs: 400 })
    const { raw, elapsedMs } = await rawClient(ep.local.port)
    expect(raw.length).toBe(0)
    expect(elapsedMs).toBeGreaterThanOrEqual(350)
    expect(elapsedMs).toBeLessThan(3000)
    await waitForEvent(gw, ep.id, (x) => x.type === 'note' && /nothing moved for 400 ms/.test(x.text), 'idle note')
  })

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const ep = await httpServer({ keepAliveTimeoutMs: 300 })
    // HTTP/1.1 without "Connection: close": the server keeps the connection for the next request, then lets go.
    const { raw, elapsedMs, firstDataMs } = await rawClient(ep.local.port, { first: 'GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n' })
    const res = parseResponse(raw)
    expect(res.status).toBe(200)
    expect(res.headers.connection).toBe('keep-alive')
    const idleFor = elapsedMs - firstDataMs!
    expect(idleFor).toBeGreaterThanOrEqual(250)
    expect(idleFor).toBeLessThan(3000)
  })

  it('answers bytes that are not HTTP with 400 and keeps serving others', async () => {
    const ep = await httpServer({})
    const { raw } = await rawClient(ep.local.port, { first: 'HELLO SERVER\x00\x01\r\n\r\n' })
    expect(parseResponse(raw).status).toBe(400)
    await waitForEvent<any>(gw, ep.id, (x) => x.type === 'http-request' && x.status === 400 && /not valid HTTP/.test(x.reason ?? ''), '400 logged')
    const ok = await fetch(`http://127.0.0.1:${ep.local.port}/style.css`)
    expect(ok.status).toBe(200)
  })
})
