import net from 'node:net'
import type { EndpointActionBody, SendBody, SendResult, TcpClientOptions } from '@socklab/shared'
import { Endpoint } from './endpoint.ts'
import { TcpConnection, addressOf } from './tcp-connection.ts'
import { replyHooks, replyPlan } from './auto-reply.ts'
import { SocketError } from './socket-error.ts'
import { connectTcpConnection } from './connect.ts'

/** A TCP client: connect with a timeout, send, half-close, close, reconnect. Each connect is a new connection row. */
export class TcpClientEndpoint extends Endpoint<TcpClientOptions> {
  private conn?: TcpConnection

  start() {
    return this.connect()
  }

  async connect() {
    const { host, port } = this.options
    const timeoutMs = this.options.timeoutMs ?? 10_000
    const plan = replyPlan(this.options.reply, this.options.encoding ?? 'utf-8')
    this.remote = addressOf(host, port)
    this.setState('connecting')
    const socket = new net.Socket({ allowHalfOpen: true })
    const conn = new TcpConnection(this, socket, {
      state: 'connecting',
      ...replyHooks(plan),
    })
    this.conn = conn
    conn.closed.then(() => {
      if (this.conn === conn && this.state === 'connected') this.setState('closed')
    })
    await connectTcpConnection(conn, { host, port, timeoutMs })
    this.setState('connected')
  }

  private current(): TcpConnection {
    if (!this.conn || !this.conn.isOpen) throw new SocketError('ENOTCONN', 'not connected: reconnect first')
    return this.conn
  }

  protected deliver(bytes: Buffer, _body: SendBody, origin: 'send' | 'repeat'): SendResult {
    this.current().write(bytes, origin)
    return { bytes: bytes.length, connections: 1 }
  }

  /** One peer; the repeat survives nothing: a reconnect is a new connection, and the old repeat fails on the closed one. */
  protected repeatTarget(): string {
    return 'connection'
  }

  protected sendBusy(): boolean {
    return this.conn?.socket.writableNeedDrain ?? false
  }

  closeConnection(connectionId: string, mode: 'end' | 'destroy') {
    const c = this.connections.get(connectionId) as TcpConnection | undefined
    if (!c) throw new SocketError('ENOCONN', `no connection ${connectionId} on ${this.id}`, 'connection')
    if (mode === 'end') c.end()
    else c.destroy()
  }

  async action(body: EndpointActionBody) {
    switch (body.action) {
      case 'half-close':
        return this.current().end()
      case 'close': {
        const c = this.current()
        c.destroy()
        await c.closed
        return
      }
      case 'reconnect':
        if (this.conn?.isOpen) {
          this.conn.destroy()
          await this.conn.closed
        }
        return this.connect()
      default:
        return super.action(body)
    }
  }

  async stop() {
    this.closeRepeats()
    const c = this.conn
    if (c?.isOpen) {
      c.destroy()
      await c.closed
    }
    if (this.state !== 'closed') this.setState('closed')
  }
}
