import type { Socket } from 'node:net'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { ConnectionState, ErrorInfo, HttpRequestEvent } from '@socklab/shared'
import { ConnectionRecord, nextConnectionId, type Endpoint } from './endpoint.ts'
import { addressOf } from './tcp-connection.ts'
import { describeError } from './socket-error.ts'

/**
 * One TCP connection of the HTTP server, recorded like any other: the raw bytes read from the socket
 * (before the HTTP parser sees them) and the raw bytes node:http writes (status line, headers, body)
 * are data events of this connection, so the request can be read in hex like any traffic.
 */
export class HttpConnection extends ConnectionRecord {
  readonly closed: Promise<void>
  /** Requests seen on this (keep-alive) connection so far. */
  requests = 0
  private resetSeen = false

  constructor(
    endpoint: Endpoint,
    readonly socket: Socket,
  ) {
    super(
      nextConnectionId(),
      endpoint,
      addressOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily),
      addressOf(socket.localAddress, socket.localPort, socket.localFamily),
    )
    endpoint.addConnection(this)
    endpoint.emit({ type: 'connection-opened', connectionId: this.id, connection: this.info() })
    const stats = endpoint.stats
    // Adding a 'data' listener makes node:http read through JS instead of consuming the handle natively,
    // which is exactly what lets us see the bytes before the parser does.
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      stats.bytesIn += chunk.length
      endpoint.emit({ type: 'data', direction: 'in', connectionId: this.id, size: chunk.length, total: this.bytesIn, bytes: chunk } as never)
    })
    // node:http writes everything (head, body, chunk framing) through socket.write: record it there.
    const write = socket.write
    socket.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      if (bytes.length) {
        this.bytesOut += bytes.length
        stats.bytesOut += bytes.length
        endpoint.emit({ type: 'data', direction: 'out', connectionId: this.id, size: bytes.length, total: this.bytesOut, origin: 'http', bytes } as never)
      }
      return write.call(socket, chunk as never, encoding as never, cb as never)
    }) as typeof socket.write
    socket.on('end', () => this.setState('fin-received'))
    socket.on('error', (err) => {
      const e = describeError(err)
      if (e.code === 'ECONNRESET') this.resetSeen = true
      this.reason ??= e.toInfo()
    })
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.closedAt = Date.now()
        this.setState(this.resetSeen ? 'reset' : 'closed', this.reason)
        endpoint.connectionClosed(this)
        resolve()
      })
    })
  }

  setState(state: ConnectionState, reason?: ErrorInfo) {
    if (this.state === state) return
    this.state = state
    this.endpoint.emit({ type: 'connection-state', connectionId: this.id, state, ...(reason ? { reason } : {}) })
  }
}

function plainHeaders(h: OutgoingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String) : String(v)
  return out
}

type RequestEventInput = Omit<HttpRequestEvent, 'seq' | 'ts' | 'endpointId'>

/** What the handler learned while answering, for the request's log line. */
export interface RequestNotes {
  bytes: number
  file?: string
  reason?: string
}

/**
 * Log one request: when the response is finished, or when the client goes away first (aborted),
 * emit one `http-request` event with the request line, headers, status, body bytes and duration.
 */
export function logRequest(endpoint: Endpoint, conn: HttpConnection | undefined, req: IncomingMessage, res: ServerResponse): RequestNotes {
  const started = performance.now()
  const notes: RequestNotes = { bytes: 0 }
  const index = conn ? ++conn.requests : 0
  let done = false
  const finish = (aborted: boolean) => {
    if (done) return
    done = true
    const event: RequestEventInput = {
      type: 'http-request',
      connectionId: conn?.id ?? '',
      index,
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers as Record<string, string | string[]>,
      status: res.statusCode,
      statusText: res.statusMessage || '',
      responseHeaders: plainHeaders(res.getHeaders()),
      bodyBytes: notes.bytes,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(notes.file ? { file: notes.file } : {}),
      ...(notes.reason ? { reason: notes.reason } : {}),
      ...(aborted ? { aborted: true } : {}),
    }
    endpoint.emit(event)
  }
  res.once('finish', () => finish(false))
  res.once('close', () => finish(!res.writableFinished))
  return notes
}

/** A request the parser rejected or that timed out: logged like a request, with what we know. */
export function logRejected(endpoint: Endpoint, conn: HttpConnection | undefined, status: number, statusText: string, reason: string) {
  const event: RequestEventInput = {
    type: 'http-request',
    connectionId: conn?.id ?? '',
    index: conn ? ++conn.requests : 0,
    method: '',
    url: '',
    httpVersion: '',
    headers: {},
    status,
    statusText,
    responseHeaders: { connection: 'close' },
    bodyBytes: 0,
    durationMs: 0,
    reason,
  }
  endpoint.emit(event)
}
