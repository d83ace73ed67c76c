import net from 'node:net'
import { createHash } from 'node:crypto'
import { say, type Address, type EndpointActionBody, type ErrorInfo, type TransferDirection, type TransferInfo, type TransferState } from '@socklab/shared'
import { Endpoint } from './endpoint.ts'
import { TcpConnection, addressOf } from './tcp-connection.ts'
import { describeError } from './socket-error.ts'
import { FilesArea, type OpenedFile } from '../files/files-area.ts'
import type { IncomingFile } from '../files/incoming-file.ts'
import { describeFsError } from '../files/fs-errors.ts'
import { HashCache, servedHashes } from '../files/hash-cache.ts'

/** At most this often a running transfer reports progress (start and end are always reported). */
export const PROGRESS_INTERVAL_MS = 100
/** Finished transfers an endpoint remembers for GET /api/transfers; their events stay in history. */
const KEEP_TRANSFERS = 200

let transferCounter = 0

export interface TransferInit {
  direction: TransferDirection
  role: 'server' | 'client'
  name: string
  peer: Address
  connectionId?: string
  path?: string
  bytesTotal?: number
}

/**
 * One file moving over one connection: counts bytes, reports progress as `transfer` events (throttled,
 * checked per chunk so no timer is needed), and ends exactly once as done, failed or incomplete.
 */
export class Transfer {
  readonly info: TransferInfo
  private lastEmit = 0
  private trailing?: NodeJS.Timeout

  constructor(
    private readonly endpoint: Endpoint<any>,
    init: TransferInit,
  ) {
    this.info = {
      id: `t${++transferCounter}`,
      endpointId: endpoint.id,
      ...(init.connectionId ? { connectionId: init.connectionId } : {}),
      direction: init.direction,
      role: init.role,
      name: init.name,
      ...(init.path !== undefined ? { path: init.path } : {}),
      peer: init.peer,
      bytesDone: 0,
      ...(init.bytesTotal !== undefined ? { bytesTotal: init.bytesTotal } : {}),
      state: 'running',
      startedAt: Date.now(),
    }
    this.emit()
  }

  get running(): boolean {
    return this.info.state === 'running'
  }

  set(fields: Partial<Pick<TransferInfo, 'name' | 'path' | 'bytesTotal'>>) {
    Object.assign(this.info, fields)
  }

  progress(bytes: number) {
    this.info.bytesDone += bytes
    const now = Date.now()
    const since = now - this.lastEmit
    if (since >= PROGRESS_INTERVAL_MS) return this.emit(now)
    // Trailing report, so a transfer that stalls (backpressure) still shows where it stopped.
    this.trailing ??= setTimeout(() => {
      this.trailing = undefined
      if (this.running) this.emit()
    }, PROGRESS_INTERVAL_MS - since)
  }

  finish(state: Exclude<TransferState, 'running'>, extra: { sha256?: string; error?: ErrorInfo; path?: string; name?: string } = {}) {
    if (!this.running) return
    clearTimeout(this.trailing)
    this.trailing = undefined
    Object.assign(this.info, { state, endedAt: Date.now() }, definedOnly(extra))
    this.emit()
    // File bytes are not data events, so viewers learn the endpoint's byte counts from a fresh snapshot.
    this.endpoint.emit({ type: 'endpoint', endpoint: this.endpoint.info() })
  }

  private emit(now = Date.now()) {
    this.lastEmit = now
    clearTimeout(this.trailing)
    this.trailing = undefined
    const { connectionId } = this.info
    this.endpoint.emit({ type: 'transfer', ...(connectionId ? { connectionId } : {}), transfer: { ...this.info } })
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** What GET /api/transfers asks of an endpoint. */
export interface TransferSource {
  transfers(): TransferInfo[]
}

export function isTransferSource(e: unknown): e is TransferSource {
  return typeof (e as TransferSource)?.transfers === 'function'
}

/** An endpoint's recent transfers, bounded: the oldest finished ones are forgotten first. */
export class TransferLog {
  private items: Transfer[] = []
  add(t: Transfer): Transfer {
    this.items.push(t)
    if (this.items.length > KEEP_TRANSFERS) {
      const i = this.items.findIndex((x) => !x.running)
      this.items.splice(i >= 0 ? i : 0, 1)
    }
    return t
  }
  infos(): TransferInfo[] {
    return this.items.map((t) => ({ ...t.info }))
  }
}

/**
 * Record one of the protocol's small messages (file name, header, `ok`) as a data event: file-transfer
 * connections do not record their bulk bytes, but the class should still see the protocol in the log.
 */
export function recordProtocol(conn: TcpConnection, direction: 'in' | 'out', bytes: Buffer) {
  conn.endpoint.emit({
    type: 'data',
    direction,
    connectionId: conn.id,
    size: bytes.length,
    total: direction === 'in' ? conn.bytesIn : conn.bytesOut,
    ...(direction === 'out' ? { origin: 'protocol' } : {}),
    bytes,
  } as never)
}

/** Write a protocol message and record it; false if the connection can no longer send. */
export function sendProtocol(conn: TcpConnection, bytes: Buffer): boolean {
  if (!conn.writable) return false
  conn.write(bytes, 'protocol')
  recordProtocol(conn, 'out', bytes)
  return true
}

/** A connection's error as ErrorInfo, or the given fallback (peer closed early…). */
export function connectionError(conn: TcpConnection, fallback: ErrorInfo): ErrorInfo {
  return conn.reason ?? fallback
}

/** Wait `ms`, or less if the connection closes first (so stopping never waits on a pause). */
export function pauseOn(conn: TcpConnection, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    void conn.closed.then(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Read size when sending a file: large reads and writes keep the per-chunk cost small (measured in bench/download.bench.mjs). */
export const SEND_CHUNK = 1024 * 1024

/**
 * Send an opened file over the connection with backpressure, then FIN (the tutorial's close after the
 * last byte). The transfer is done once every byte has been handed to the kernel. Settles when the
 * file handle is closed. The file's sha256 is computed while sending, or reused if this very version
 * of the file was sent in full before.
 */
export async function sendFile(conn: TcpConnection, file: OpenedFile, t: Transfer): Promise<void> {
  const socket = conn.socket
  const known = servedHashes.get(file.version)
  const hash = known ? undefined : createHash('sha256')
  const lost = () =>
    connectionError(conn, { code: 'EPIPE', message: `the peer closed the connection after ${t.info.bytesDone} of ${file.size} bytes` })
  let stream: ReturnType<OpenedFile['handle']['createReadStream']> | undefined
  void conn.closed.then(() => {
    if (t.running) t.finish('failed', { error: lost() })
    // A read stream paused on backpressure would wait forever for a drain that cannot come.
    stream?.destroy()
  })

  const sent = file.size === 0 ? true : await pump()
  let sha256 = known
  if (sent && hash) {
    sha256 = hash.digest('hex')
    // Remember the digest only if the file did not change while it was read.
    const after = await file.handle.stat().catch(() => undefined)
    if (after && HashCache.keyOf(after) === file.version) servedHashes.set(file.version, sha256)
  }
  await file.handle.close().catch(() => {})
  if (!sent || !t.running) return
  if (!conn.writable) return void t.finish('failed', { error: lost() })
  socket.once('finish', () => t.finish('done', { sha256 }))
  conn.end()

  /** Stream every byte into the socket; true when all of them were written. */
  function pump(): Promise<boolean> {
    return new Promise((resolve) => {
      const rs = (stream = file.handle.createReadStream({ highWaterMark: SEND_CHUNK, start: 0, end: file.size - 1, autoClose: false }))
      if (!conn.isOpen) rs.destroy()
      const onDrain = () => rs.resume()
      socket.on('drain', onDrain)
      // Without autoClose a stream that ends is not destroyed: 'end' or 'close', whichever comes, settles.
      const settle = (ok: boolean) => {
        socket.off('drain', onDrain)
        resolve(ok)
      }
      const fail = (error: ErrorInfo) => {
        t.finish('failed', { error })
        rs.destroy()
      }
      rs.on('data', (chunk) => {
        const bytes = chunk as Buffer
        if (!conn.writable) return fail(lost())
        hash?.update(bytes)
        t.progress(bytes.length)
        if (!conn.write(bytes, 'file')) rs.pause()
      })
      rs.on('end', () => {
        if (t.info.bytesDone !== file.size) return fail({ code: 'ESHRUNK', message: `"${file.rel}" shrank while it was being sent` })
        settle(true)
      })
      rs.on('error', (err) => {
        fail(describeFsError(err, file.rel).toInfo())
        conn.destroy()
      })
      rs.on('close', () => settle(false))
    })
  }
}

/** Write a received chunk; when the disk is slower than the network, pause the socket until it catches up. */
export function receiveChunk(conn: TcpConnection, file: IncomingFile, t: Transfer, chunk: Buffer) {
  t.progress(chunk.length)
  if (!file.write(chunk)) {
    conn.socket.pause()
    file.onceDrain(() => conn.socket.resume())
  }
}

/**
 * Give a received file its name: done when every announced byte arrived (or none was announced),
 * else kept as `name.incomplete` and reported incomplete. Never throws; failures end the transfer.
 */
export async function saveReceived(file: IncomingFile, t: Transfer, name: string | ((attempt: number) => string), expected?: number): Promise<void> {
  try {
    if (expected === undefined || file.bytes === expected) {
      const saved = await file.commit(name)
      t.finish('done', { sha256: saved.sha256, path: saved.rel, ...(t.info.role === 'server' && expected === undefined ? { name: saved.name } : {}) })
    } else {
      const saved = await file.keepIncomplete(typeof name === 'string' ? name : name(0))
      t.finish('incomplete', {
        sha256: saved.sha256,
        path: saved.rel,
        error: { code: 'ESHORT', message: `the connection ended after ${saved.size} of ${expected} bytes; kept as "${saved.name}"` },
      })
    }
  } catch (err) {
    await file.discard()
    t.finish('failed', { error: describeFsError(err, typeof name === 'string' ? name : t.info.name).toInfo() })
  }
}

/** What a file server does with one accepted connection. */
export interface FileSession {
  onData(chunk: Buffer): void
  /** Settles once the session has closed every file it opened. */
  readonly settled: Promise<void>
}

interface ListenOptions {
  kind: string
  name?: string
  host?: string
  port: number
}

/**
 * Base of the three file servers: listen, accept, hand each connection to a session that speaks the
 * protocol; stop closes the listener, every connection, and waits for every session's files to close.
 */
export abstract class FileServerEndpoint<O extends ListenOptions> extends Endpoint<O> implements TransferSource {
  protected readonly area = new FilesArea(this.ctx.filesRoot)
  protected readonly log = new TransferLog()
  private server?: net.Server
  private readonly sessions = new Set<Promise<void>>()

  /** Check options against the files area before listening (folder exists…). */
  protected abstract prepare(): Promise<void>
  protected abstract openSession(conn: TcpConnection): FileSession

  transfers(): TransferInfo[] {
    return this.log.infos()
  }

  async start() {
    await this.prepare()
    const { host = '127.0.0.1', port } = this.options
    const server = net.createServer({ allowHalfOpen: true, noDelay: true })
    this.server = server
    server.on('connection', (socket) => {
      let session: FileSession | undefined
      // halfOpen: a client's FIN only ends its sending; each session decides when to close (after the file, the reply…).
      const conn = new TcpConnection(this, socket, { record: false, halfOpen: true, onData: (chunk) => session?.onData(chunk) })
      session = this.openSession(conn)
      const settled = session.settled.catch((err) => {
        this.emit({ type: 'error', connectionId: conn.id, error: describeError(err).toInfo() })
      })
      this.sessions.add(settled)
      void settled.finally(() => this.sessions.delete(settled))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(describeError(err, { host, port })))
      server.listen({ host, port }, () => resolve())
    })
    server.on('error', (err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    const a = server.address() as net.AddressInfo
    this.local = addressOf(a.address, a.port, a.family)
    this.setState('listening')
  }

  async action(body: EndpointActionBody) {
    if (body.action === 'close') return this.stop()
    if (body.action !== 'stop-listening') return super.action(body)
    const server = this.server
    if (!server?.listening) return
    // Only the listener goes; transfers in progress finish (server.close would wait for them).
    server.close()
    this.setState('not-listening')
    this.note(say('transfer.stopped'))
  }

  async stop() {
    const server = this.server
    const open = this.openConnections() as TcpConnection[]
    for (const c of open) c.destroy()
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    await Promise.all(open.map((c) => c.closed))
    await Promise.allSettled([...this.sessions])
    if (this.state !== 'closed') this.setState('closed')
  }
}
