import http from 'node:http'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { Socket } from 'node:net'
import { fillTemplate, HTTP_REJECT_REASONS, say, type EndpointActionBody, type HttpStaticOptions } from '@socklab/shared'
import { Endpoint } from './endpoint.ts'
import { addressOf } from './tcp-connection.ts'
import { describeError, SocketError } from './socket-error.ts'
import { HttpConnection, logRejected, logRequest } from './http-request-log.ts'
import { head, resolveTarget, sendFile, sendSmall } from './http/static-files.ts'
import { splitSafePath } from '../files/safe-path.ts'
import { encodeText } from './payload.ts'

export const HTTP_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
}

/**
 * The tutorials' web server, done right, on node:http: serves a folder of the files area (or one fixed
 * response). Each request is an `http-request` event; each connection's raw bytes are data events.
 * Timeouts bound every phase, so a slow or silent client cannot hold a connection forever.
 */
export class HttpStaticEndpoint extends Endpoint<HttpStaticOptions> {
  private server?: http.Server
  private root = ''
  private readonly bySocket = new WeakMap<Socket, HttpConnection>()

  async start() {
    const { host = '127.0.0.1', port } = this.options
    if (!this.options.fixed) this.root = await this.servedFolder()
    const headersTimeout = this.options.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs
    // node:http requires headersTimeout ≤ requestTimeout.
    const requestTimeout = Math.max(headersTimeout, this.options.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs)
    const server = http.createServer({
      headersTimeout,
      requestTimeout,
      // How often node:http looks for expired requests: often enough that short limits are honoured.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      // Tutorial clients type `GET / HTTP/1.1` by hand and forget Host; answer them anyway.
      requireHostHeader: false,
      noDelay: true,
    })
    server.keepAliveTimeout = this.options.keepAliveTimeoutMs ?? HTTP_DEFAULTS.keepAliveTimeoutMs
    this.server = server
    const idle = this.options.idleTimeoutMs ?? HTTP_DEFAULTS.idleTimeoutMs

    server.on('connection', (socket: Socket) => {
      const limit = this.options.maxConnections
      if (limit && this.stats.connections >= limit) {
        this.stats.refused++
        this.note(say('http.refused', { peer: `${socket.remoteAddress}:${socket.remotePort}`, open: this.stats.connections, limit }))
        socket.on('error', () => {})
        socket.resetAndDestroy()
        return
      }
      const conn = new HttpConnection(this, socket)
      this.bySocket.set(socket, conn)
      socket.setTimeout(idle, () => {
        this.note(say('http.idleClosed', { conn: conn.id, ms: idle }), conn.id)
        socket.destroy()
      })
    })
    server.on('request', (req, res) => void this.handle(req, res))
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket, headersTimeout))

    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(describeError(err, { host, port })))
      server.listen({ host, port }, () => resolve())
    })
    server.on('error', (err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    const a = server.address() as { address: string; port: number; family: string }
    this.local = addressOf(a.address, a.port, a.family)
    this.setState('listening')
    this.note(this.options.fixed ? say('http.fixed', { status: this.options.fixed.status ?? 200 }) : say('http.serving', { folder: this.folderLabel() }))
  }

  /** Where the served folder is in the files area (a student's endpoint serves from inside `students/<name>/`). */
  private folderLabel(): string {
    const folder = [this.ctx.filesFolder, this.options.folder?.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/')
    return `files/${folder ? folder + '/' : ''}`
  }

  /** The folder to serve: inside the files area (lexically and after resolving links), and existing. */
  private async servedFolder(): Promise<string> {
    let segments: string[]
    try {
      segments = splitSafePath(this.options.folder ?? '', 'folder')
    } catch (err) {
      throw new SocketError('EVALIDATION', `folder: ${(err as Error).message}`, 'folder')
    }
    const filesRoot = await fsp.realpath(this.ctx.filesRoot)
    const wanted = path.join(filesRoot, ...segments)
    let real: string
    try {
      real = await fsp.realpath(wanted)
    } catch {
      throw new SocketError('ENOENT', `folder "${this.options.folder}" does not exist in the files area`, 'folder')
    }
    if (real !== filesRoot && !real.startsWith(filesRoot + path.sep)) {
      throw new SocketError('EVALIDATION', `folder "${this.options.folder}" links outside the files area`, 'folder')
    }
    if (!(await fsp.stat(real)).isDirectory()) throw new SocketError('ENOTDIR', `"${this.options.folder}" is a file, not a folder`, 'folder')
    return real
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const conn = this.bySocket.get(req.socket)
    const notes = logRequest(this, conn, req, res)
    try {
      const fixed = this.options.fixed
      if (fixed) {
        const body = encodeText(fixed.body ?? 'hello world', 'utf-8')
        head(res, fixed.status ?? 200, { 'content-type': fixed.contentType ?? 'text/plain; charset=utf-8', 'content-length': body.length })
        if (req.method === 'HEAD') res.end()
        else {
          res.end(body)
          notes.bytes = body.length
        }
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        notes.reason = `${req.method} is not served here; only GET and HEAD`
        notes.bytes = sendSmall(req, res, 405, `405 Method Not Allowed: use GET or HEAD`, { allow: 'GET, HEAD' })
        return
      }
      const r = await resolveTarget(this.root, req.url ?? '/')
      switch (r.kind) {
        case 'refused':
          notes.reason = r.reason
          notes.bytes = sendSmall(req, res, r.status, r.status === 403 ? '403 Forbidden' : '400 Bad Request')
          return
        case 'missing':
          notes.reason = r.reason
          notes.bytes = sendSmall(req, res, 404, `404 Not Found: ${req.url}`)
          return
        case 'redirect':
          notes.bytes = sendSmall(req, res, 301, `301 Moved Permanently: ${r.location}`, { location: r.location })
          return
        case 'file':
          notes.file = r.rel
          await sendFile(req, res, r.file, r.stat, notes)
          return
      }
    } catch (err) {
      const e = describeError(err)
      notes.reason = e.message
      this.emit({ type: 'error', ...(conn ? { connectionId: conn.id } : {}), error: e.toInfo() })
      if (!res.headersSent) notes.bytes = sendSmall(req, res, 500, '500 Internal Server Error')
      else res.destroy()
    }
  }

  /** Bad request bytes or a timeout: answer 400/408/431 and close, and log it like a request. */
  private clientError(err: NodeJS.ErrnoException, socket: Socket, headersTimeout: number) {
    const conn = this.bySocket.get(socket)
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    // The reason and the note come from the shared notes table (the note shows translated in the panel).
    const requestMs = this.options.requestTimeoutMs ?? HTTP_DEFAULTS.requestTimeoutMs
    const [status, text] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request']
    const why = { status, statusText: text, conn: conn?.id ?? '' }
    const [reason, note] =
      status === 408
        ? [fillTemplate(HTTP_REJECT_REASONS.requestTimeout, { headersMs: headersTimeout, requestMs }), say('http.requestTimeout', { ...why, headersMs: headersTimeout, requestMs })]
        : status === 431
          ? [HTTP_REJECT_REASONS.headersTooLarge, say('http.headersTooLarge', why)]
          : [fillTemplate(HTTP_REJECT_REASONS.badRequest, { error: err.message }), say('http.badRequest', { ...why, error: err.message })]
    logRejected(this, conn, status, text, reason)
    if (conn) this.note(note, conn.id)
    const body = `${status} ${text}\n`
    socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
    socket.end()
  }

  async action(body: EndpointActionBody) {
    if (body.action === 'close') return this.stop()
    return super.action(body)
  }

  closeConnection(connectionId: string, mode: 'end' | 'destroy') {
    const c = this.connections.get(connectionId) as HttpConnection | undefined
    if (!c) throw new SocketError('ENOCONN', `no connection ${connectionId} on ${this.id}`, 'connection')
    if (mode === 'end') c.socket.end()
    else c.socket.destroy()
  }

  async stop() {
    const server = this.server
    const open = this.openConnections() as HttpConnection[]
    if (server) {
      const closed = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
      server.closeAllConnections()
      for (const c of open) c.socket.destroy()
      await closed
    }
    await Promise.all(open.map((c) => c.closed))
    if (this.state !== 'closed') this.setState('closed')
  }
}
