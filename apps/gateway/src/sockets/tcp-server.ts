import net from 'node:net'
import { say, type SendBody, type SendResult, type TcpServerOptions, type EndpointActionBody } from '@socklab/shared'
import { Endpoint } from './endpoint.ts'
import { TcpConnection, addressOf } from './tcp-connection.ts'
import { replyHooks, replyPlan } from './auto-reply.ts'
import { encodeText } from './payload.ts'
import { describeError, SocketError } from './socket-error.ts'
import { closeListener } from './listener.ts'

/** A listening TCP server: greeting, auto-reply, per-client send and broadcast, stop listening, stop. */
export class TcpServerEndpoint extends Endpoint<TcpServerOptions> {
  private server?: net.Server

  async start() {
    const { host = '127.0.0.1', port, backlog } = this.options
    const encoding = this.options.encoding ?? 'utf-8'
    const greeting = this.options.greeting ? encodeText(this.options.greeting, encoding) : null
    const plan = replyPlan(this.options.reply, encoding)
    const server = net.createServer({ allowHalfOpen: true, noDelay: true })
    this.server = server

    server.on('connection', (socket) => {
      if (this.options.maxConnections && this.stats.connections >= this.options.maxConnections) {
        this.stats.refused++
        this.note(
          say('server.refused', {
            peer: `${socket.remoteAddress}:${socket.remotePort}`,
            open: this.stats.connections,
            limit: this.options.maxConnections,
            refused: this.stats.refused,
          }),
        )
        socket.on('error', () => {})
        socket.destroy()
        return
      }
      const conn = new TcpConnection(this, socket, replyHooks(plan))
      if (greeting && conn.writable) conn.write(greeting, 'greeting')
      if (this.options.idleTimeoutMs) {
        socket.setTimeout(this.options.idleTimeoutMs, () => {
          this.note(say('server.idleClosed', { conn: conn.id, ms: this.options.idleTimeoutMs! }), conn.id)
          conn.destroy()
        })
      }
    })

    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(describeError(err, { host, port })))
      server.listen({ host, port, ...(backlog ? { backlog } : {}) }, () => resolve())
    })
    server.on('error', (err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    const a = server.address() as net.AddressInfo
    this.local = addressOf(a.address, a.port, a.family)
    this.setState('listening')
  }

  protected deliver(bytes: Buffer, body: SendBody, origin: 'send' | 'repeat'): SendResult {
    const target = this.repeatTarget(body)
    const conns = target === 'all' ? this.openConnections().filter((c) => (c as TcpConnection).writable) : [this.connection(target)]
    if (target === 'all' && conns.length === 0) throw new SocketError('ENOCONN', 'no client is connected to send to')
    const tag = origin === 'repeat' ? 'repeat' : target === 'all' && conns.length > 1 ? 'broadcast' : 'send'
    for (const c of conns) (c as TcpConnection).write(bytes, tag)
    return { bytes: bytes.length, connections: conns.length }
  }

  protected repeatTarget(body: SendBody): string {
    return body.connection ?? 'all'
  }

  /** A broadcast repeat waits for its slowest client: the copies stay the same for everyone. */
  protected sendBusy(body: SendBody): boolean {
    const target = this.repeatTarget(body)
    const conns = target === 'all' ? this.openConnections() : [this.connections.get(target)].filter((c) => c !== undefined)
    return conns.some((c) => (c as TcpConnection).socket.writableNeedDrain)
  }

  private connection(id: string): TcpConnection {
    const c = this.connections.get(id)
    if (!c) throw new SocketError('ENOCONN', `no connection ${id} on ${this.id}`, 'connection')
    return c as TcpConnection
  }

  closeConnection(connectionId: string, mode: 'end' | 'destroy') {
    const c = this.connection(connectionId)
    if (mode === 'end') c.end()
    else c.destroy()
  }

  async action(body: EndpointActionBody) {
    if (body.action === 'stop-listening') return this.stopListening()
    if (body.action === 'close') return this.stop()
    return super.action(body)
  }

  /** Close the listening socket only; accepted clients keep talking (like closing a Python server's listening socket). */
  async stopListening() {
    if (!(await closeListener(this.server))) return
    this.setState('not-listening')
    this.note(say('server.stopped'))
  }

  async stop() {
    this.closeRepeats()
    const server = this.server
    const open = this.openConnections() as TcpConnection[]
    for (const c of open) c.destroy()
    if (server) await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
    await Promise.all(open.map((c) => c.closed))
    if (this.state !== 'closed') this.setState('closed')
  }
}
