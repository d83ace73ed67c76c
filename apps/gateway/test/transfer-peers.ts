/**
 * Peers and checks for the file-transfer tests: tutorial-style clients and servers written with plain
 * `net` sockets on loopback, and waits on the gateway's `transfer` events (woken by the hub, bounded).
 */
import net from 'node:net'
import fs from 'node:fs/promises'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { FILE_SEPARATOR, type SocklabEvent, type TransferInfo } from '@socklab/shared'
import type { TestGateway } from './helper.ts'
import { LOOPBACK, eventsOf, waitForEvents } from './peers.ts'

export const SEP = FILE_SEPARATOR

export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function filesRoot(gw: TestGateway): string {
  return path.join(gw.dataDir, 'files')
}

/** Write a file straight into the files area (what a teacher's folder would hold). */
export async function putLocal(gw: TestGateway, rel: string, bytes: Buffer): Promise<string> {
  const abs = path.join(filesRoot(gw), rel)
  await fs.mkdir(path.dirname(abs), { recursive: true })
  await fs.writeFile(abs, bytes)
  return abs
}

export function randomPayload(size: number): Buffer {
  return randomBytes(size)
}

/** Every transfer event of one endpoint, in order. */
export function transferEvents(gw: TestGateway, endpointId: string): TransferInfo[] {
  return eventsOf(gw, endpointId)
    .filter((e): e is Extract<SocklabEvent, { type: 'transfer' }> => e.type === 'transfer')
    .map((e) => e.transfer)
}

/** Wait until a transfer of the endpoint has ended (not running); returns its last state. */
export function waitForTransferEnd(gw: TestGateway, endpointId: string, match: (t: TransferInfo) => boolean = () => true, timeoutMs = 10_000) {
  return waitForEvents(
    gw,
    endpointId,
    () => {
      const ended = transferEvents(gw, endpointId).filter((t) => t.state !== 'running' && match(t))
      return ended[ended.length - 1]
    },
    'a finished transfer',
    timeoutMs,
  )
}

export interface DownloadResult {
  /** What the client's first recv returned: the tutorial reads the header with it. */
  first: Buffer
  /** Everything after the first chunk, until the server closed. */
  rest: Buffer
  all: Buffer
}

/** The tutorial's download client: send the name, read until the server closes. Keeps the first chunk apart. */
export function tutorialDownload(port: number, name: string | Buffer, timeoutMs = 10_000): Promise<DownloadResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`download of "${name}" did not finish within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('connect', () => socket.write(name))
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      const all = Buffer.concat(chunks)
      resolve({ first: chunks[0] ?? Buffer.alloc(0), rest: Buffer.concat(chunks.slice(1)), all })
    })
  })
}

/** The tutorial's upload client: header in one send, wait for any reply, stream the bytes, close. */
export function tutorialUpload(
  port: number,
  header: string,
  body: Buffer,
  opts: { sendBytes?: number; reset?: boolean; timeoutMs?: number } = {},
): Promise<{ reply: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port })
    let reply: Buffer | undefined
    let settled = false
    const timer = setTimeout(() => finish(new Error('upload did not finish in time')), opts.timeoutMs ?? 10_000)
    const finish = (err?: Error, closedByServer = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve({ reply: reply ?? Buffer.alloc(0), closedByServer })
    }
    socket.on('connect', () => socket.write(header))
    socket.once('data', (c) => {
      reply = c
      if (c.toString().startsWith(`-1${SEP}`)) return // refused: wait for the server to close
      const bytes = opts.sendBytes !== undefined ? body.subarray(0, opts.sendBytes) : body
      socket.write(bytes, () => {
        if (opts.reset) socket.resetAndDestroy()
        else socket.end()
      })
    })
    socket.on('error', (err) => finish(err))
    socket.on('close', () => finish(undefined, true))
  })
}

/** Send a whole stream, half-close, and read the server's reply until it closes (raw upload). */
export function rawUpload(port: number, body: Buffer, opts: { reset?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port, allowHalfOpen: true })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('raw upload did not finish in time'))
    }, 10_000)
    socket.on('connect', () =>
      socket.write(body, () => {
        if (opts.reset) socket.resetAndDestroy()
        else socket.end()
      }),
    )
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', (err) => {
      clearTimeout(timer)
      if (opts.reset) resolve(Buffer.concat(chunks))
      else reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

/** A one-shot TCP server on port 0 for the gateway's file client to talk to; `onConnection` plays the tutorial. */
export async function peerServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close: () => Promise<void>; connections: () => number }> {
  let count = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    count++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    onConnection(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Names under a folder, dotfiles included (to prove no temporary file is left behind). */
export async function namesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort()
}
