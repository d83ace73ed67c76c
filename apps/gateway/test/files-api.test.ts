import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import fs from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { startGateway, type TestGateway } from './helper.ts'
import { SEP, filesRoot, namesIn, randomPayload, sha256, tutorialUpload, waitForTransferEnd } from './transfer-peers.ts'

/** A request exactly as written: fetch would normalise `..` away before it left the test. */
function rawRequest(gw: TestGateway, method: string, rawPath: string, body?: Buffer): Promise<{ status: number; body: any }> {
  const { port } = new URL(gw.url)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers: body ? { 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let parsed: unknown = text
        try {
          parsed = JSON.parse(text)
        } catch {}
        resolve({ status: res.statusCode!, body: parsed })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function put(gw: TestGateway, rel: string, body: Buffer | Readable, query = '') {
  const res = await fetch(`${gw.url}/api/files/${rel.split('/').map(encodeURIComponent).join('/')}${query}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    ...(body instanceof Readable ? { duplex: 'half' } : {}),
  } as RequestInit)
  return { status: res.status, body: await res.json().catch(() => undefined) }
}

describe('files area API', () => {
  let gw: TestGateway
  beforeEach(async () => {
    gw = await startGateway()
  })
  afterEach(async () => {
    await gw.close()
  })

  it('uploads (streamed), lists, describes, downloads and deletes a file', async () => {
    const payload = randomPayload(5 * 1024 * 1024 + 11)
    const created = await put(gw, 'lessons/week 1/数据.bin', payload)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: '数据.bin', path: 'lessons/week 1/数据.bin', type: 'file', size: payload.length, sha256: sha256(payload) })

    const root = await gw.api('GET', '/api/files')
    expect(root.body).toEqual({ path: '', entries: [expect.objectContaining({ name: 'lessons', type: 'dir' })] })
    const week = await gw.api('GET', `/api/files?path=${encodeURIComponent('lessons/week 1')}`)
    expect(week.body.entries.map((e: { name: string }) => e.name)).toEqual(['数据.bin'])

    const url = `${gw.url}/api/files/lessons/week%201/${encodeURIComponent('数据.bin')}`
    expect((await (await fetch(url)).json()).size).toBe(payload.length)
    const content = await fetch(`${url}/content`)
    expect(content.status).toBe(200)
    expect(content.headers.get('content-length')).toBe(String(payload.length))
    expect(content.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('数据.bin')}`)
    expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(sha256(payload))

    expect((await fetch(url, { method: 'DELETE' })).status).toBe(204)
    const gone = await fetch(`${url}/content`)
    expect(gone.status).toBe(404)
    expect((await gone.json()).error.code).toBe('ENOENT')
    // An empty folder can go too; a full one cannot.
    await put(gw, 'keep/x.txt', Buffer.from('x'))
    expect((await gw.api('DELETE', '/api/files/keep')).body.error.code).toBe('ENOTEMPTY')
    expect((await gw.api('DELETE', `/api/files/lessons/week%201`)).status).toBe(204)
  })

  it('never overwrites unless asked: fail (default), rename, replace', async () => {
    expect((await put(gw, 'a.txt', Buffer.from('one'))).status).toBe(201)
    const again = await put(gw, 'a.txt', Buffer.from('two'))
    expect(again.status).toBe(409)
    expect(again.body.error).toMatchObject({ code: 'EEXIST', field: 'path' })
    expect(await fs.readFile(path.join(filesRoot(gw), 'a.txt'), 'utf8')).toBe('one')
    expect((await put(gw, 'a.txt', Buffer.from('two'), '?onExists=rename')).body.path).toBe('a (1).txt')
    expect((await put(gw, 'a.txt', Buffer.from('three'), '?onExists=replace')).body.size).toBe(5)
    expect(await fs.readFile(path.join(filesRoot(gw), 'a.txt'), 'utf8')).toBe('three')
    expect((await put(gw, 'a.txt', Buffer.from('x'), '?onExists=sometimes')).body.error.code).toBe('EVALIDATION')
  })

  it('stores a 0-byte file', async () => {
    const res = await put(gw, 'empty.txt', Buffer.alloc(0))
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) })
    expect((await fs.stat(path.join(filesRoot(gw), 'empty.txt'))).size).toBe(0)
  })

  it('leaves nothing behind when an upload is interrupted', async () => {
    const { port } = new URL(gw.url)
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/files/partial.bin', headers: { 'content-length': 1_000_000 } })
    req.on('error', () => {})
    req.write(randomPayload(100_000))
    // The temporary file shows up while bytes arrive…
    const root = filesRoot(gw)
    await waitForAsync(async () => (await namesIn(root)).some((n) => n.startsWith('.partial-')), 'a temporary file')
    req.destroy()
    // …and is gone once the gateway sees the connection drop; no finished file appears.
    await waitForAsync(async () => (await namesIn(root)).length === 0, 'the temporary file to be removed')
    expect((await gw.api('GET', '/api/files')).body.entries).toEqual([])
  })
})

/** Poll an async condition until it holds, bounded. */
async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('hostile names', () => {
  let gw: TestGateway
  let secret: string
  beforeAll(async () => {
    gw = await startGateway()
    const root = filesRoot(gw)
    secret = path.join(gw.dataDir, 'secret.txt')
    await fs.writeFile(secret, 'teacher only')
    // A sibling folder whose name shares the files area's prefix: files2 next to files.
    await fs.mkdir(path.join(gw.dataDir, 'files2'))
    await fs.writeFile(path.join(gw.dataDir, 'files2/x.txt'), 'sibling')
    await fs.writeFile(path.join(root, 'inside.txt'), 'inside')
    await fs.writeFile(path.join(root, '.hidden'), 'dotfile')
    await fs.symlink(secret, path.join(root, 'out-link'))
    await fs.symlink(path.join(gw.dataDir, 'missing.txt'), path.join(root, 'dangling-link'))
    await fs.symlink(path.join(gw.dataDir, 'files2'), path.join(root, 'dir-link'))
    execFileSync('mkfifo', [path.join(root, 'a-fifo')])
  })
  afterAll(async () => {
    await gw.close()
  })

  // Each is refused with the very same answer, whether what it names exists (secret.txt, files2/x.txt) or not.
  const hostile = [
    '../secret.txt',
    '../missing.txt',
    '../files2/x.txt',
    '../files/inside.txt',
    'sub/../../secret.txt',
    '..%2fsecret.txt',
    '%2e%2e%2fsecret.txt',
    '%252e%252e%252fsecret.txt',
    '..%5csecret.txt',
    '..\\secret.txt',
    '%2fetc%2fpasswd',
    '/etc/passwd',
    'C:%5cWindows%5cwin.ini',
    'inside.txt%00.png',
    '.hidden',
    '.partial-0000',
    'out-link',
    'dangling-link',
    'dir-link/x.txt',
    'a-fifo',
  ]

  it.each(hostile)('refuses %s on every route with one answer', async (name) => {
    const answers = [
      await rawRequest(gw, 'GET', `/api/files/${name}/content`),
      await rawRequest(gw, 'GET', `/api/files/${name}`),
      await rawRequest(gw, 'PUT', `/api/files/${name}`, Buffer.from('overwrite attempt')),
      await rawRequest(gw, 'DELETE', `/api/files/${name}`),
      await rawRequest(gw, 'GET', `/api/files?path=${name}`),
    ]
    for (const a of answers) {
      expect(a, name).toEqual({ status: 400, body: { error: { code: 'EBADPATH', field: 'path', message: answers[0]!.body.error.message } } })
    }
  })

  it('left everything outside (and the links) untouched, and lists only plain files and folders', async () => {
    expect(await fs.readFile(secret, 'utf8')).toBe('teacher only')
    expect(await fs.readFile(path.join(gw.dataDir, 'files2/x.txt'), 'utf8')).toBe('sibling')
    expect((await fs.lstat(path.join(filesRoot(gw), 'out-link'))).isSymbolicLink()).toBe(true)
    const listed = await gw.api('GET', '/api/files')
    expect(listed.body.entries.map((e: { name: string }) => e.name)).toEqual(['inside.txt'])
  })

  it('refuses a UNIX socket file like a FIFO (special files are never opened)', async () => {
    const sockPath = path.join(filesRoot(gw), 'a-socket')
    const server = net.createServer().listen(sockPath)
    await new Promise((r) => server.once('listening', r))
    try {
      const res = await rawRequest(gw, 'GET', '/api/files/a-socket/content')
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('EBADPATH')
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})

describe('size cap (SOCKLAB_MAX_FILE_BYTES)', () => {
  let gw: TestGateway
  const before = process.env.SOCKLAB_MAX_FILE_BYTES
  beforeAll(async () => {
    process.env.SOCKLAB_MAX_FILE_BYTES = '100000'
    gw = await startGateway()
  })
  afterAll(async () => {
    await gw.close()
    if (before === undefined) delete process.env.SOCKLAB_MAX_FILE_BYTES
    else process.env.SOCKLAB_MAX_FILE_BYTES = before
  })

  it('refuses a declared size over the cap at once with 413', async () => {
    const res = await put(gw, 'big.bin', randomPayload(100_001))
    expect(res.status).toBe(413)
    expect(res.body.error).toMatchObject({ code: 'EFBIG', field: 'path' })
    expect(res.body.error.message).toContain('100000')
    expect(await namesIn(filesRoot(gw))).toEqual([])
  })

  it('stops a streamed body (no length given) when it passes the cap, keeping nothing', async () => {
    const chunks = Array.from({ length: 30 }, () => randomPayload(10_000))
    const res = await put(gw, 'stream.bin', Readable.from(chunks))
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('EFBIG')
    await waitForAsync(async () => (await namesIn(filesRoot(gw))).length === 0, 'no file left')
  })

  it('accepts exactly the cap', async () => {
    const res = await put(gw, 'fits.bin', randomPayload(100_000))
    expect(res.status).toBe(201)
  })

  it('applies to upload servers too', async () => {
    const srv = await gw.api('POST', '/api/endpoints', { kind: 'upload-server', port: 0 })
    const { reply } = await tutorialUpload(srv.body.local.port, `x.bin${SEP}200000`, randomPayload(10))
    expect(reply.toString()).toContain('limit of 100000 bytes')
    expect((await waitForTransferEnd(gw, srv.body.id)).error?.code).toBe('EFBIG')
  })
})
