import http from 'node:http'
import path from 'node:path'
import fs from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { SocklabEvent } from '@socklab/shared'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { assertWellFormed, createEndpoint, dataBytes, eventsOf, waitForEvent, waitForEvents } from './peers.ts'
import { buildSite, PNG_1X1, rawExchange } from './http-peers.ts'

type HttpEvent = Extract<SocklabEvent, { type: 'http-request' }>

let gw: TestGateway
let site: Awaited<ReturnType<typeof buildSite>>
const cleanup = gatewayForFile(async (g) => {
  gw = g
  site = await buildSite(path.join(gw.dataDir, 'files'))
})

async function httpServer(options: Record<string, unknown> = {}) {
  const ep = await createEndpoint(gw, { kind: 'http-static', port: 0, folder: 'site', ...options })
  cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number }; state: string }
}
const requests = (id: string) => eventsOf(gw, id).filter((e): e is HttpEvent => e.type === 'http-request')
function waitRequests(id: string, n: number) {
  return waitForEvents(gw, id, () => (requests(id).length >= n ? requests(id) : null), `${n} http-request events`)
}

/** node:http with an explicit agent so keep-alive is under the test's control. */
function get(port: number, urlPath: string, opts: { method?: string; headers?: Record<string, string>; agent?: http.Agent } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; localPort: number }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), localPort: req.socket!.localPort! }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('http-static: serving a folder', () => {
  it('serves / as index.html with the right Content-Type, and assets by extension', async () => {
    const ep = await httpServer({ name: 'class site' })
    expect(ep.state).toBe('listening')
    const base = `http://127.0.0.1:${ep.local.port}`
    const page = await fetch(base + '/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toBe(site.index)
    const css = await fetch(base + '/style.css')
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const png = await fetch(base + '/img/logo.png')
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await png.arrayBuffer()).equals(PNG_1X1)).toBe(true)
    const txt = await fetch(base + '/sub/notes.txt')
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const bin = await fetch(base + '/big.bin', { method: 'HEAD' })
    expect(bin.headers.get('content-type')).toBe('application/octet-stream')
  })

  it('answers a missing file with 404 and a small body, and says why in the log', async () => {
    const ep = await httpServer()
    const res = await get(ep.local.port, '/nope.html')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body.toString()).toBe('404 Not Found: /nope.html\n')
    const [e] = await waitRequests(ep.id, 1)
    expect(e).toMatchObject({ method: 'GET', url: '/nope.html', status: 404, statusText: 'Not Found', bodyBytes: 26, reason: 'no file /nope.html' })
  })

  it('answers HEAD with the GET headers and no body', async () => {
    const ep = await httpServer()
    const res = await rawExchange(ep.local.port, 'HEAD /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBe(String(site.big.length))
    expect(res.headers['accept-ranges']).toBe('bytes')
    expect(res.body.length).toBe(0)
    const [e] = await waitRequests(ep.id, 1)
    expect(e).toMatchObject({ method: 'HEAD', status: 200, bodyBytes: 0, file: 'big.bin' })
  })

  it('redirects a folder without its slash, and serves the folder index with it', async () => {
    const ep = await httpServer()
    const moved = await get(ep.local.port, '/sub')
    expect(moved.status).toBe(301)
    expect(moved.headers.location).toBe('/sub/')
    const sub = await get(ep.local.port, '/sub/')
    expect(sub.body.toString()).toBe('<p>sub</p>\n')
    const noIndex = await get(ep.local.port, '/img/')
    expect(noIndex.status).toBe(404)
  })

  it('keeps a connection alive across requests: one connection, requests numbered on it', async () => {
    const ep = await httpServer()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    cleanup.add(agent, (a) => a.destroy())
    const a = await get(ep.local.port, '/style.css', { agent })
    const b = await get(ep.local.port, '/sub/notes.txt', { agent })
    const c = await get(ep.local.port, '/img/logo.png', { agent })
    expect(a.headers.connection).toBe('keep-alive')
    expect(new Set([a.localPort, b.localPort, c.localPort]).size).toBe(1)
    const events = await waitRequests(ep.id, 3)
    expect(new Set(events.map((e) => e.connectionId)).size).toBe(1)
    expect(events.map((e) => e.index)).toEqual([1, 2, 3])
    expect(eventsOf(gw, ep.id).filter((e) => e.type === 'connection-opened')).toHaveLength(1)
  })

  it('serves byte ranges of a large file (206, suffix, open-ended, 416)', async () => {
    const ep = await httpServer()
    const mid = await get(ep.local.port, '/big.bin', { headers: { range: 'bytes=1000-1999' } })
    expect(mid.status).toBe(206)
    expect(mid.headers['content-range']).toBe(`bytes 1000-1999/${site.big.length}`)
    expect(mid.body.equals(site.big.subarray(1000, 2000))).toBe(true)
    const tail = await get(ep.local.port, '/big.bin', { headers: { range: 'bytes=-10' } })
    expect(tail.body.equals(site.big.subarray(site.big.length - 10))).toBe(true)
    const rest = await get(ep.local.port, '/big.bin', { headers: { range: `bytes=${site.big.length - 5}-` } })
    expect(rest.status).toBe(206)
    expect(rest.body.length).toBe(5)
    const beyond = await get(ep.local.port, '/big.bin', { headers: { range: `bytes=${site.big.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers['content-range']).toBe(`bytes */${site.big.length}`)
    // A changed validator in If-Range means "send me the whole thing".
    const stale = await get(ep.local.port, '/big.bin', { headers: { range: 'bytes=0-9', 'if-range': 'W/"old"' } })
    expect(stale.status).toBe(200)
    expect(stale.body.length).toBe(site.big.length)
  })

  it('streams a large file whole and intact, and revalidates with ETag (304)', async () => {
    const ep = await httpServer()
    const res = await get(ep.local.port, '/big.bin')
    expect(res.status).toBe(200)
    expect(createHash('sha256').update(res.body).digest('hex')).toBe(createHash('sha256').update(site.big).digest('hex'))
    const again = await get(ep.local.port, '/big.bin', { headers: { 'if-none-match': String(res.headers.etag) } })
    expect(again.status).toBe(304)
    expect(again.body.length).toBe(0)
    const events = await waitRequests(ep.id, 2)
    expect(events[0]).toMatchObject({ status: 200, bodyBytes: site.big.length, file: 'big.bin' })
    expect(events[0]!.durationMs).toBeGreaterThan(0)
    expect(events[1]).toMatchObject({ status: 304, bodyBytes: 0 })
  })

  it('refuses methods other than GET and HEAD with 405 and Allow', async () => {
    const ep = await httpServer()
    const res = await get(ep.local.port, '/index.html', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(await fs.readFile(path.join(site.site, 'index.html'), 'utf8')).toBe(site.index)
  })

  it('records the raw request bytes as data events of the connection, and logs the request line and headers', async () => {
    const ep = await httpServer()
    const request = 'GET /style.css?v=1 HTTP/1.1\r\nHost: lab.local\r\nUser-Agent: tutorial/1.0\r\nX-Class: 网络\r\nConnection: close\r\n\r\n'
    const res = await rawExchange(ep.local.port, Buffer.from(request, 'utf8'))
    expect(res.status).toBe(200)
    const [e] = await waitRequests(ep.id, 1)
    expect(e).toMatchObject({
      method: 'GET',
      url: '/style.css?v=1',
      httpVersion: '1.1',
      status: 200,
      file: 'style.css',
      headers: { host: 'lab.local', 'user-agent': 'tutorial/1.0' },
      responseHeaders: { 'content-type': 'text/css; charset=utf-8' },
    })
    const events = await waitForEvents(gw, ep.id, (ev) => (ev.some((x) => x.type === 'connection-state' && x.state === 'closed') ? ev : null), 'connection closed')
    assertWellFormed(events)
    expect(dataBytes(events, 'in', e!.connectionId).equals(Buffer.from(request, 'utf8'))).toBe(true)
    // What went out on the wire is recorded too, byte for byte.
    expect(dataBytes(events, 'out', e!.connectionId).equals(res.raw)).toBe(true)
  })

  it('fixed-response mode answers anything like the tutorial server, even a hand-typed request without Host', async () => {
    const ep = await httpServer({ folder: undefined, fixed: {} })
    const res = await rawExchange(ep.local.port, 'GET /anything HTTP/1.1\r\nConnection: close\r\n\r\n')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body.toString()).toBe('hello world')
    const custom = await httpServer({ fixed: { status: 503, contentType: 'text/html; charset=utf-8', body: '<h1>维护中</h1>' } })
    const post = await get(custom.local.port, '/x', { method: 'POST' })
    expect(post.status).toBe(503)
    expect(post.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(post.body.toString()).toBe('<h1>维护中</h1>')
    await waitForEvent(gw, custom.id, (e) => e.type === 'http-request' && e.status === 503 && e.method === 'POST', 'logged')
  })

  it('serves the files area root by default, and checks the folder option', async () => {
    await fs.writeFile(path.join(gw.dataDir, 'files', 'root.txt'), 'at the root\n')
    const ep = await httpServer({ folder: undefined })
    expect((await get(ep.local.port, '/root.txt')).body.toString()).toBe('at the root\n')
    expect((await get(ep.local.port, '/site/style.css')).status).toBe(200)

    const out = await gw.api('POST', '/api/endpoints', { kind: 'http-static', port: 0, folder: '../..' })
    expect(out).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'folder' } } })
    const missing = await gw.api('POST', '/api/endpoints', { kind: 'http-static', port: 0, folder: 'no-such-folder' })
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'ENOENT', field: 'folder' } } })
    const file = await gw.api('POST', '/api/endpoints', { kind: 'http-static', port: 0, folder: 'site/style.css' })
    expect(file).toMatchObject({ body: { error: { code: 'ENOTDIR', field: 'folder' } } })
    const badFixed = await gw.api('POST', '/api/endpoints', { kind: 'http-static', port: 0, fixed: { status: 99 } })
    expect(badFixed).toMatchObject({ status: 400, body: { error: { code: 'EVALIDATION', field: 'fixed.status' } } })
    const taken = await gw.api('POST', '/api/endpoints', { kind: 'http-static', port: ep.local.port })
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'EADDRINUSE' } } })
  })

  it('closes its connections and the listener when removed', async () => {
    const ep = await httpServer()
    const agent = new http.Agent({ keepAlive: true })
    cleanup.add(agent, (a) => a.destroy())
    await get(ep.local.port, '/', { agent })
    const socket = Object.values(agent.freeSockets)[0]![0]!
    const closed = new Promise((r) => socket.once('close', r))
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    await closed
    await expect(get(ep.local.port, '/')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
