/**
 * Raw HTTP over a plain socket, for what fetch() would "fix" before sending (`..`, backslashes, NUL)
 * and for slow clients. Also builds the small site the static-server tests serve.
 */
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { LOOPBACK } from './peers.ts'

export interface RawResponse {
  raw: Buffer
  status: number
  headers: Record<string, string>
  body: Buffer
  /** ms from connect to the server closing the connection */
  elapsedMs: number
}

export function parseResponse(raw: Buffer): Omit<RawResponse, 'elapsedMs'> {
  const end = raw.indexOf('\r\n\r\n')
  const head = (end >= 0 ? raw.subarray(0, end) : raw).toString('latin1')
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const l of lines) {
    const i = l.indexOf(':')
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim()
  }
  return { raw, status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end >= 0 ? raw.subarray(end + 4) : Buffer.alloc(0) }
}

/** Send bytes as they are, read until the server closes (or `timeoutMs` passes: then reject). */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = net.connect({ host: LOOPBACK, port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`))
    }, timeoutMs)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {}) // a reset still ends in 'close'; the bytes received are what count
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ ...parseResponse(Buffer.concat(chunks)), elapsedMs: performance.now() - started })
    })
    socket.once('connect', () => socket.write(request))
  })
}

/** A tiny valid 1×1 PNG. */
export const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c636068f8ff1f000482027fe7d85a6c0000000049454e44ae426082',
  'hex',
)

/** files/site with a page that uses a stylesheet and an image, a subfolder, and a 2 MiB file. */
export async function buildSite(filesRoot: string, folder = 'site') {
  const site = path.join(filesRoot, folder)
  await fs.mkdir(path.join(site, 'sub'), { recursive: true })
  await fs.mkdir(path.join(site, 'img'), { recursive: true })
  const index =
    '<!doctype html><html><head><meta charset="utf-8"><title>socklab static</title>' +
    '<link rel="stylesheet" href="style.css"></head>' +
    '<body><h1 id="title">你好, socklab</h1><img id="logo" src="img/logo.png" alt="logo"></body></html>\n'
  await fs.writeFile(path.join(site, 'index.html'), index)
  await fs.writeFile(path.join(site, 'style.css'), 'h1 { color: rgb(255, 0, 0); }\n')
  await fs.writeFile(path.join(site, 'img', 'logo.png'), PNG_1X1)
  await fs.writeFile(path.join(site, 'sub', 'index.html'), '<p>sub</p>\n')
  await fs.writeFile(path.join(site, 'sub', 'notes.txt'), 'plain text\n')
  const big = Buffer.alloc(2 * 1024 * 1024)
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i)
  await fs.writeFile(path.join(site, 'big.bin'), big)
  return { site, index, big }
}
