import dgram from 'node:dgram'
import net from 'node:net'
import type { Address, SendBody, SendResult, UdpOptions } from '@socklab/shared'
import { Endpoint } from './endpoint.ts'
import { addressOf } from './tcp-connection.ts'
import { replyPlan } from './auto-reply.ts'
import { describeError, SocketError } from './socket-error.ts'

/** Largest UDP payload over IPv4 (65535 − 8 UDP header − 20 IP header). */
export const UDP_MAX_PAYLOAD = 65507

/** A bound UDP socket: every datagram with its sender; send to any host:port; auto-reply to the sender. */
export class UdpEndpoint extends Endpoint<UdpOptions> {
  private socket?: dgram.Socket
  private totalIn = 0
  private totalOut = 0

  async start() {
    const { host = '127.0.0.1', port } = this.options
    const plan = replyPlan(this.options.reply, this.options.encoding ?? 'utf-8')
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' })
    this.socket = socket
    socket.on('message', (msg, rinfo) => {
      const peer = addressOf(rinfo.address, rinfo.port, rinfo.family)
      this.totalIn += msg.length
      this.stats.bytesIn += msg.length
      this.emit({ type: 'data', direction: 'in', peer, size: msg.length, total: this.totalIn, bytes: msg } as never)
      const answer = plan?.answer(msg)
      if (answer) this.sendTo(answer, peer, 'reply').catch((err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close()
        reject(describeError(err, { host, port }))
      })
      socket.bind({ address: host, port }, () => resolve())
    })
    socket.on('error', (err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    const a = socket.address()
    this.local = addressOf(a.address, a.port, a.family)
    if (this.options.remote) this.remote = addressOf(this.options.remote.host, this.options.remote.port)
    this.setState('bound')
  }

  protected async deliver(bytes: Buffer, body: SendBody, origin: 'send' | 'repeat'): Promise<SendResult> {
    const to = this.destination(body)
    await this.sendTo(bytes, { address: to.host, port: to.port }, origin)
    return { bytes: bytes.length, connections: 0 }
  }

  protected repeatTarget(body: SendBody): string {
    const to = this.destination(body)
    return net.isIPv6(to.host) ? `[${to.host}]:${to.port}` : `${to.host}:${to.port}`
  }

  private destination(body: SendBody) {
    const to = body.to ?? this.options.remote
    if (!to) throw new SocketError('EDESTADDRREQ', 'say where to send: host and port', 'to')
    if (to.port === 0) throw new SocketError('EINVAL', 'cannot send to port 0', 'to.port')
    return to
  }

  private sendTo(bytes: Buffer, peer: Address, origin: string): Promise<void> {
    const socket = this.socket
    if (!socket || this.state !== 'bound') return Promise.reject(new SocketError('ENOTCONN', 'the UDP socket is closed'))
    if (bytes.length > UDP_MAX_PAYLOAD) {
      return Promise.reject(new SocketError('EMSGSIZE', `datagram of ${bytes.length} bytes is over the UDP limit of ${UDP_MAX_PAYLOAD} bytes`, 'data'))
    }
    return new Promise((resolve, reject) => {
      socket.send(bytes, peer.port, peer.address, (err) => {
        if (err) return reject(describeError(err, { host: peer.address, port: peer.port }))
        this.totalOut += bytes.length
        this.stats.bytesOut += bytes.length
        this.emit({ type: 'data', direction: 'out', peer, size: bytes.length, total: this.totalOut, origin, bytes } as never)
        resolve()
      })
    })
  }

  async stop() {
    this.closeRepeats()
    const socket = this.socket
    if (socket && this.state === 'bound') {
      this.state = 'closed'
      await new Promise<void>((resolve) => socket.close(() => resolve()))
    }
    this.setState('closed')
  }
}
