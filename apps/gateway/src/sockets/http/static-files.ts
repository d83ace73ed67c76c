import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { splitSafePath } from '../../files/safe-path.ts'
import { contentTypeOf } from './mime-types.ts'

/** What a request path resolves to. Every refusal carries the status to answer and a reason for the log. */
export type Resolved =
  | { kind: 'file'; file: string; rel: string; stat: fs.Stats }
  | { kind: 'redirect'; location: string }
  | { kind: 'refused'; status: 400 | 403; reason: string }
  | { kind: 'missing'; reason: string }

const INDEX = 'index.html'

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
}

/**
 * The path part of a request target, still percent-encoded: origin-form `/a/b?q`, or absolute-form
 * `http://host/a/b` (what a proxy-style client sends). Anything else (`*`, `a/b`) is refused.
 */
function pathOfTarget(target: string): string | null {
  let p = target
  if (!p.startsWith('/')) {
    if (!/^https?:\/\//i.test(p)) return null
    try {
      p = new URL(p).pathname
    } catch {
      return null
    }
  }
  const cut = p.search(/[?#]/)
  return cut >= 0 ? p.slice(0, cut) : p
}

/**
 * Map a request target to a file under `root` (a real path), refusing every way out of it:
 * `..` in any encoding (`%2e%2e`, `%252e%252e`, `..%2f`), backslashes, NUL and control characters,
 * absolute or drive paths, dotfiles, and symlinks whose real target lies outside the root.
 * The lexical part is the files area's own check (files/safe-path.ts); the symlink part is here.
 */
export async function resolveTarget(root: string, target: string): Promise<Resolved> {
  const encoded = pathOfTarget(target)
  if (encoded === null) return { kind: 'refused', status: 400, reason: `not a path this server serves: ${JSON.stringify(target.slice(0, 100))}` }
  if (encoded.includes('\\')) return { kind: 'refused', status: 403, reason: 'backslash in the path' }
  let decoded: string
  try {
    decoded = decodeURIComponent(encoded)
  } catch {
    return { kind: 'refused', status: 400, reason: 'broken percent-encoding in the path' }
  }
  const wantsFolder = decoded.endsWith('/')
  let segments: string[]
  try {
    segments = splitSafePath(decoded.slice(1))
  } catch {
    return { kind: 'refused', status: 403, reason: 'path leaves the served folder (.., encoded dots or slashes, backslash, NUL, dotfile or absolute path)' }
  }
  const rel = segments.join('/')
  let real: string
  try {
    real = await fsp.realpath(path.join(root, ...segments))
  } catch {
    return { kind: 'missing', reason: `no file /${rel}` }
  }
  if (!inside(root, real)) return { kind: 'refused', status: 403, reason: `/${rel} is a link that points outside the served folder` }
  let stat = await fsp.stat(real)
  let file = real
  let relFile = rel
  if (stat.isDirectory()) {
    if (!wantsFolder && segments.length > 0) return { kind: 'redirect', location: encoded + '/' }
    try {
      file = await fsp.realpath(path.join(real, INDEX))
    } catch {
      return { kind: 'missing', reason: `no ${INDEX} in /${rel ? rel + '/' : ''}` }
    }
    if (!inside(root, file)) return { kind: 'refused', status: 403, reason: `/${rel ? rel + '/' : ''}${INDEX} is a link that points outside the served folder` }
    stat = await fsp.stat(file)
    relFile = rel ? `${rel}/${INDEX}` : INDEX
  }
  if (!stat.isFile()) return { kind: 'refused', status: 403, reason: `/${relFile} is not a regular file` }
  return { kind: 'file', file, rel: relFile, stat }
}

/** writeHead via setHeader, so res.getHeaders() shows them in the request log (writeHead's object form bypasses it). */
export function head(res: ServerResponse, status: number, headers: Record<string, string | number>) {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  res.writeHead(status)
}

/** A small plain-text answer for errors and redirects (HEAD gets the headers only). */
export function sendSmall(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): number {
  const body = Buffer.from(text + '\n', 'utf8')
  head(res, status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, ...headers })
  if (req.method === 'HEAD') {
    res.end()
    return 0
  }
  res.end(body)
  return body.length
}

type Range = { start: number; end: number } | 'unsatisfiable' | null

/** One `bytes=` range (first-last, first-, -suffix). Several ranges → null: the whole file is sent instead (allowed by RFC 9110). */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return null
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim())
  if (!m) return null
  const [, a, b] = m
  if (a === '' && b === '') return null
  let start: number
  let end: number
  if (a === '') {
    const suffix = Number(b)
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
    if (b !== '' && Number(b) < start) return null
  }
  if (start >= size || size === 0) return 'unsatisfiable'
  return { start, end }
}

/** Served-body bytes of one response, updated as the file streams (so an aborted download is counted right). */
export interface BodyCounter {
  bytes: number
}

/**
 * Send a file: Content-Type by extension, Content-Length, Last-Modified/ETag with 304 on a match,
 * one byte range (206/416), HEAD without body. The file is opened once and streamed from that handle.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, stat: fs.Stats, counter: BodyCounter) {
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
  const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString()
  const headers: Record<string, string | number> = {
    'content-type': contentTypeOf(file),
    'last-modified': lastModified,
    etag,
    'accept-ranges': 'bytes',
    'cache-control': 'no-cache',
  }
  const inm = req.headers['if-none-match']
  const ims = req.headers['if-modified-since']
  const notModified = inm ? inm.split(',').some((t) => t.trim() === etag || t.trim() === '*') : ims ? Date.parse(ims) >= Date.parse(lastModified) : false
  if (notModified) {
    head(res, 304, { etag, 'last-modified': lastModified, 'cache-control': 'no-cache' })
    res.end()
    return
  }
  const ifRange = req.headers['if-range']
  const rangeAllowed = !ifRange || ifRange === etag || ifRange === lastModified
  const range = rangeAllowed ? parseRange(req.headers.range, stat.size) : null
  if (range === 'unsatisfiable') {
    const body = Buffer.from(`416 Range Not Satisfiable: the file has ${stat.size} bytes\n`)
    head(res, 416, { 'content-type': 'text/plain; charset=utf-8', 'content-range': `bytes */${stat.size}`, 'content-length': body.length })
    if (req.method === 'HEAD') res.end()
    else {
      res.end(body)
      counter.bytes = body.length
    }
    return
  }
  const start = range ? range.start : 0
  const end = range ? range.end : stat.size - 1
  const length = stat.size === 0 ? 0 : end - start + 1
  headers['content-length'] = length
  if (range) headers['content-range'] = `bytes ${start}-${end}/${stat.size}`
  head(res, range ? 206 : 200, headers)
  if (req.method === 'HEAD' || length === 0) {
    res.end()
    return
  }
  const handle = await fsp.open(file, 'r')
  const stream = handle.createReadStream({ start, end, autoClose: true, highWaterMark: 64 * 1024 })
  stream.on('data', (chunk) => (counter.bytes += chunk.length))
  // The client went away mid-download: stop reading the file and close it.
  res.once('close', () => stream.destroy())
  stream.once('error', () => res.destroy())
  stream.pipe(res)
}
