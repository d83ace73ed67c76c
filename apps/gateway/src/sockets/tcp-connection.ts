import type { Socket } from 'node:net'
import type { Address, ConnectionState, ErrorInfo } from '@socklab/shared'
import { ConnectionRecord, nextConnectionId, type Endpoint } from './endpoint.ts'
import { describeError, SocketError } from './socket-error.ts'

export interface TcpConnectionOptions {
  /** Record every chunk as a data event (default). File transfers turn it off and report progress instead. */
  record?: boolean
  /** Keep our write side open after the peer's FIN (default: answer FIN with FIN, as the tutorial servers do). */
  halfOpen?: boolean
  onData?: (chunk: Buffer, conn: TcpConnection) => void
  /** The peer's FIN arrived; called before we answer it with ours, so a last write still goes out. */
  onEnd?: (conn: TcpConnection) => void
  /** Already-known state for sockets that are still connecting (TCP client). */
  state?: ConnectionState
}

export function addressOf(address: string | undefined, port: number | undefined, family?: string): Address {
  return { address: address ?? '', port: port ?? 0, ...(family ? { family } : {}) }
}

/**
 * One TCP connection of an endpoint: counts and records its bytes, and turns the socket's events into
 * connection states (open → fin-received / fin-sent → closed, or reset).
 */
export class TcpConnection extends ConnectionRecord {
  readonly closed: Promise<void>
  private resetSeen = false

  constructor(
    endpoint: Endpoint,
    readonly socket: Socket,
    private readonly opts: TcpConnectionOptions = {},
  ) {
    super(
      nextConnectionId(),
      endpoint,
      addressOf(socket.remoteAddress, socket.remotePort, socket.remoteFamily),
      addressOf(socket.localAddress, socket.localPort, socket.localFamily),
    )
    if (opts.state) this.state = opts.state
    endpoint.addConnection(this)
    endpoint.emit({ type: 'connection-opened', connectionId: this.id, connection: this.info() })
    socket.setNoDelay(true)
    const record = opts.record !== false
    const stats = endpoint.stats
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      stats.bytesIn += chunk.length
      if (record) endpoint.emit({ type: 'data', direction: 'in', connectionId: this.id, size: chunk.length, total: this.bytesIn, bytes: chunk } as never)
      opts.onData?.(chunk, this)
    })
    socket.on('end', () => {
      if (this.state === 'fin-sent') return // both sides done; 'close' follows
      this.setState('fin-received')
      opts.onEnd?.(this)
      if (!opts.halfOpen) socket.end()
    })
    socket.on('error', (err) => {
      const e = describeError(err)
      if (e.code === 'ECONNRESET') this.resetSeen = true
      this.reason = e.toInfo()
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

  /**
   * The socket connected (TCP client, file client): learn both addresses and announce the open state with
   * them, since the `connection-opened` went out while they were still empty.
   */
  connected() {
    this.local = addressOf(this.socket.localAddress, this.socket.localPort, this.socket.localFamily)
    this.remote = addressOf(this.socket.remoteAddress, this.socket.remotePort, this.socket.remoteFamily)
    this.setState('open', undefined, { local: this.local, remote: this.remote })
  }

  /** `learned`: addresses this change taught the connection (connecting), carried on its event. */
  setState(state: ConnectionState, reason?: ErrorInfo, learned?: { local: Address; remote: Address }) {
    this.state = state
    this.endpoint.emit({ type: 'connection-state', connectionId: this.id, state, ...(reason ? { reason } : {}), ...learned })
  }

  get writable(): boolean {
    // After the peer's FIN we answer with ours by default: state stays fin-received, but nothing more can go out.
    return (this.state === 'open' || this.state === 'fin-received') && !this.socket.writableEnded
  }

  /** Send bytes; `origin` says who asked (send, greeting, reply…). Returns false when the socket is buffering. */
  write(bytes: Buffer, origin = 'send'): boolean {
    if (!this.writable) throw new SocketError('EPIPE', `connection ${this.id} can no longer send (${this.state})`)
    this.bytesOut += bytes.length
    this.endpoint.stats.bytesOut += bytes.length
    if (this.opts.record !== false) {
      this.endpoint.emit({ type: 'data', direction: 'out', connectionId: this.id, size: bytes.length, total: this.bytesOut, origin, bytes } as never)
    }
    const flowing = this.socket.write(bytes)
    // An auto-reply answers what we read: if the peer does not read our answers, stop reading its data
    // until they drain (as pipe() does), or a client that only sends would grow our buffers without bound.
    if (!flowing && origin === 'reply' && !this.socket.isPaused()) {
      this.socket.pause()
      this.socket.once('drain', () => this.socket.resume())
    }
    return flowing
  }

  /** Half-close: send FIN; the peer's recv returns empty, it may still send to us. */
  end() {
    if (!this.writable) return
    this.setState(this.state === 'fin-received' ? this.state : 'fin-sent')
    this.socket.end()
  }

  /** Close now: `destroy` closes (FIN if possible), `reset` sends RST. */
  destroy(mode: 'destroy' | 'reset' = 'destroy') {
    if (!this.isOpen) return
    if (mode === 'reset') {
      this.resetSeen = true
      this.reason = { code: 'ECONNRESET', message: 'reset by socklab (RST sent)' }
      this.socket.resetAndDestroy()
    } else this.socket.destroy()
  }
}
