import net from 'node:net'
import {
  say,
  type Address,
  type ConnectionInfo,
  type EndpointActionBody,
  type RelayCutBody,
  type RelayFaultKind,
  type RelayFaults,
  type RelaySide,
  type RelayWay,
  type Saying,
  type SendBody,
  type SendResult,
  type TcpRelayOptions,
} from '@socklab/shared'
import { ConnectionRecord, Endpoint, nextConnectionId, type EndpointContext } from './endpoint.ts'
import { addressOf } from './tcp-connection.ts'
import { startConnect } from './connect.ts'
import { encodePayload } from './payload.ts'
import { describeError, SocketError } from './socket-error.ts'
import { closeListener } from './listener.ts'
import { describeWay, mergeFaults, normalizeWay } from './relay-faults.ts'
import { FaultPipe, type WriteOrigin } from './relay/fault-pipe.ts'

/**
 * TCP relay: listens, and forwards each accepted connection to the target. Each client↔target pair is
 * ONE connection of this endpoint (one row, one conversation); data events say which `leg` they are on,
 * and `direction` keeps its usual meaning on that leg (in = the relay read it, out = the relay wrote it).
 * So "client→target" is leg client/in followed by leg target/out, and faults show up as the difference.
 * Without faults the two would be the same bytes at the same instant: then only the `in` chunk is
 * recorded, marked `forwarded` (half the recording work on the hot path, twice the history).
 */
export class TcpRelayEndpoint extends Endpoint<TcpRelayOptions> {
  private server?: net.Server
  faults: RelayFaults

  constructor(id: string, options: TcpRelayOptions, ctx: EndpointContext) {
    super(id, options, ctx)
    this.faults = options.faults ?? {}
  }

  async start() {
    const { host = '127.0.0.1', port } = this.options
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false })
    this.server = server
    server.on('connection', (socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(describeError(err, { host, port })))
      server.listen({ host, port }, () => resolve())
    })
    server.on('error', (err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
    const a = server.address() as net.AddressInfo
    this.local = addressOf(a.address, a.port, a.family)
    this.remote = addressOf(this.options.target.host, this.options.target.port)
    this.setState('listening')
  }

  private accept(socket: net.Socket) {
    const who = `${socket.remoteAddress}:${socket.remotePort}`
    const limit = this.options.maxConnections
    const refusal = this.faults.refuse
      ? say('relay.refusedByFault', { peer: who })
      : limit && this.stats.connections >= limit
        ? say('relay.refusedAtLimit', { peer: who, open: this.stats.connections, limit })
        : undefined
    if (refusal) {
      this.stats.refused++
      this.fault('refuse', refusal)
      socket.on('error', () => {})
      socket.resetAndDestroy()
      return
    }
    new RelayPair(this, socket)
  }

  /** Record a chunk on a pair; the hot path, so it appends straight to the hub. */
  record(pair: RelayPair, leg: RelaySide, direction: 'in' | 'out', bytes: Buffer, total: number, origin?: WriteOrigin, forwarded = false) {
    if (direction === 'in') this.stats.bytesIn += bytes.length
    else this.stats.bytesOut += bytes.length
    // A plain literal per chunk (no spreads): the hot path of every relayed byte.
    const event = { type: 'data', endpointId: this.id, connectionId: pair.id, leg, direction, size: bytes.length, total, bytes } as Record<string, unknown>
    if (origin) event.origin = origin
    if (forwarded) event.forwarded = true
    this.ctx.hub.append(event as never)
  }

  /** `said`: from the shared notes table (`say('relay.cutFin', …)`), so it shows translated. */
  fault(fault: RelayFaultKind, said: Saying, extra: { connectionId?: string; way?: RelayWay; side?: RelaySide } = {}) {
    this.emit({ type: 'fault', fault, text: said.text, say: said.say, ...extra })
  }

  /** Announce the active faults of the given ways on one pair. */
  announceFaults(pair: RelayPair, ways: RelayWay[], changed: boolean) {
    for (const way of ways) {
      const active = describeWay(way, normalizeWay(this.faults[way]))
      for (const { fault, ...said } of active) this.fault(fault, said, { connectionId: pair.id, way })
      if (changed && active.length === 0) this.note(say('relay.faultsOff', { way }), pair.id)
    }
  }

  /** PATCH /faults: merge, apply to every live pair at once, tell every open conversation. */
  setFaults(patch: RelayFaults): RelayFaults {
    this.faults = mergeFaults(this.faults, patch)
    this.options.faults = this.faults
    const ways = (['toTarget', 'toClient'] as const).filter((w) => patch[w] !== undefined)
    for (const c of this.openConnections()) {
      const pair = c as RelayPair
      pair.applyFaults()
      this.announceFaults(pair, ways, true)
    }
    if (patch.refuse !== undefined) this.note(say(patch.refuse ? 'relay.refusing' : 'relay.accepting'))
    this.setState(this.state)
    return this.faults
  }

  private pair(id: string): RelayPair {
    const c = this.connections.get(id)
    if (!c) throw new SocketError('ENOCONN', `no connection ${id} on ${this.id}`, 'connection')
    return c as RelayPair
  }

  /** Inject bytes into live pairs, toward the client or the target. */
  send(body: SendBody): SendResult {
    if (!body.toward) throw new SocketError('EVALIDATION', 'say which way to inject: toward "client" or "target"', 'toward')
    const bytes = encodePayload(body.data, body.encoding, body.lineEnding)
    const target = body.connection ?? 'all'
    const pairs = target === 'all' ? (this.openConnections() as RelayPair[]).filter((p) => p.canSend(body.toward!)) : [this.pair(target)]
    if (pairs.length === 0) throw new SocketError('ENOCONN', 'no live pair to inject into', 'connection')
    for (const p of pairs) p.inject(body.toward, bytes)
    return { bytes: bytes.length, connections: pairs.length }
  }

  /** Close one side of a pair with FIN or RST (a fault you trigger by hand). */
  cut(connectionId: string, body: RelayCutBody) {
    this.pair(connectionId).cut(body.side, body.how)
  }

  closeConnection(connectionId: string, mode: 'end' | 'destroy') {
    this.pair(connectionId).close(mode)
  }

  async action(body: EndpointActionBody) {
    if (body.action === 'stop-listening') return this.stopListening()
    if (body.action === 'close') return this.stop()
    return super.action(body)
  }

  async stopListening() {
    if (!(await closeListener(this.server))) return
    this.setState('not-listening')
    this.note(say('relay.stopped'))
  }

  async stop() {
    const server = this.server
    const open = this.openConnections() as RelayPair[]
    for (const p of open) p.close('destroy')
    if (server) await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))
    await Promise.all(open.map((p) => p.closed))
    if (this.state !== 'closed') this.setState('closed')
  }
}

/**
 * One client↔target pair: two sockets, two fault pipes, one conversation. FIN from either side is
 * passed to the other once what came before it is delivered (half-close passes through); RST from
 * either side is passed on as RST.
 */
export class RelayPair extends ConnectionRecord {
  readonly target: net.Socket
  readonly up: FaultPipe
  readonly down: FaultPipe
  readonly closed: Promise<void>
  targetRemote: Address
  targetLocal?: Address
  targetIn = 0
  targetOut = 0
  private connected = false
  private clientClosed = false
  private targetClosed = false
  /** The side whose RST we received (passed on as RST). */
  private peerReset?: RelaySide
  /** The side we reset ourselves (a cut): the other side gets an orderly FIN. */
  private cutReset?: RelaySide
  private dropped: Record<RelayWay, number> = { toTarget: 0, toClient: 0 }
  private resolveClosed!: () => void

  constructor(
    readonly relay: TcpRelayEndpoint,
    readonly client: net.Socket,
  ) {
    super(
      nextConnectionId(),
      relay,
      addressOf(client.remoteAddress, client.remotePort, client.remoteFamily),
      addressOf(client.localAddress, client.localPort, client.localFamily),
    )
    const { host, port } = relay.options.target
    this.state = 'connecting'
    this.targetRemote = addressOf(host, port)
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve))
    relay.addConnection(this)
    relay.emit({ type: 'connection-opened', connectionId: this.id, connection: this.info() })

    client.setNoDelay(true)
    const target = new net.Socket({ allowHalfOpen: true })
    this.target = target
    this.up = new FaultPipe(client, target, normalizeWay(relay.faults.toTarget), {
      read: (b, fwd) => relay.record(this, 'client', 'in', b, (this.bytesIn += b.length), undefined, fwd),
      forwarded: (b) => {
        this.targetOut += b.length
        relay.stats.bytesOut += b.length
      },
      wrote: (b, origin) => relay.record(this, 'target', 'out', b, (this.targetOut += b.length), origin),
      finPassed: () => relay.note(say('relay.clientFin'), this.id),
      dropped: (n) => this.drop('toTarget', n),
    })
    this.down = new FaultPipe(target, client, normalizeWay(relay.faults.toClient), {
      read: (b, fwd) => relay.record(this, 'target', 'in', b, (this.targetIn += b.length), undefined, fwd),
      forwarded: (b) => {
        this.bytesOut += b.length
        relay.stats.bytesOut += b.length
      },
      wrote: (b, origin) => relay.record(this, 'client', 'out', b, (this.bytesOut += b.length), origin),
      finPassed: () => {
        relay.note(say('relay.targetFin'), this.id)
        if (this.state === 'open') this.setState('fin-sent')
      },
      dropped: (n) => this.drop('toClient', n),
    })

    client.on('end', () => {
      if (this.state === 'open') this.setState('fin-received')
      this.up.endSource()
    })
    client.on('error', (err) => this.socketError('client', err))
    client.on('close', () => {
      this.clientClosed = true
      this.down.destinationGone()
      if (!this.connected) target.destroy()
      else if (this.peerReset === 'client' && !target.destroyed) {
        relay.note(say('relay.clientReset'), this.id)
        this.up.destinationGone()
        target.resetAndDestroy()
      } else this.up.endSource()
      this.maybeFinish()
    })

    target.setNoDelay(true)
    target.on('connect', () => {
      this.connected = true
      // The target as connected: a host name given for it now has the address it resolved to.
      this.targetRemote = addressOf(target.remoteAddress, target.remotePort, target.remoteFamily)
      this.targetLocal = addressOf(target.localAddress, target.localPort, target.localFamily)
      this.setState('open', undefined, { target: { remote: this.targetRemote, local: this.targetLocal } })
      relay.note(say('relay.connected', { target: `${host}:${port}`, localPort: target.localPort! }), this.id)
      relay.announceFaults(this, ['toTarget', 'toClient'], false)
    })
    target.on('end', () => this.down.endSource())
    target.on('error', (err) => this.socketError('target', err))
    target.on('close', () => {
      this.targetClosed = true
      this.up.destinationGone()
      if (!this.connected) {
        // Target down: nothing to relay; tell the client by closing it (FIN), the reason stays on the row.
        this.down.destinationGone()
        if (!client.destroyed) client.end(() => client.destroy())
      } else if (this.peerReset === 'target' && !client.destroyed) {
        relay.note(say('relay.targetReset'), this.id)
        this.down.destinationGone()
        client.resetAndDestroy()
      } else this.down.endSource()
      this.maybeFinish()
    })

    startConnect(target, { host, port, timeoutMs: relay.options.connectTimeoutMs ?? 10_000 })
  }

  private socketError(side: RelaySide, err: Error) {
    const { host, port } = this.relay.options.target
    if (side === 'target' && !this.connected) {
      const e = describeError(err, { host, port, timeoutMs: this.relay.options.connectTimeoutMs ?? 10_000 })
      this.reason = { code: e.code, message: `cannot reach the target: ${e.message}` }
      this.relay.emit({ type: 'error', connectionId: this.id, error: this.reason })
      return
    }
    const e = describeError(err)
    if (e.code === 'ECONNRESET' && !this.cutReset) this.peerReset ??= side
    this.reason ??= { code: e.code, message: `${side}: ${e.message}` }
  }

  private drop(way: RelayWay, n: number) {
    if (this.dropped[way] === 0) {
      const side = way === 'toTarget' ? 'target' : 'client'
      this.relay.fault('dropped', say('relay.dropped', { way, bytes: n, side }), { connectionId: this.id, way })
    }
    this.dropped[way] += n
  }

  private maybeFinish() {
    if (!this.clientClosed || !this.targetClosed) return
    this.up.close()
    this.down.close()
    for (const way of ['toTarget', 'toClient'] as const) {
      if (this.dropped[way] > 0) this.relay.note(say('relay.droppedInAll', { way, bytes: this.dropped[way] }), this.id)
    }
    this.closedAt = Date.now()
    this.setState(this.peerReset || this.cutReset ? 'reset' : 'closed', this.reason)
    this.relay.connectionClosed(this)
    this.resolveClosed()
  }

  /** `learned`: the target leg's addresses, on the open state (connecting taught them). */
  setState(state: ConnectionInfo['state'], reason?: ConnectionInfo['reason'], learned?: { target: { remote: Address; local: Address } }) {
    this.state = state
    this.relay.emit({ type: 'connection-state', connectionId: this.id, state, ...(reason ? { reason } : {}), ...learned })
  }

  applyFaults() {
    this.up.setFaults(normalizeWay(this.relay.faults.toTarget))
    this.down.setFaults(normalizeWay(this.relay.faults.toClient))
  }

  private pipeToward(side: RelaySide): FaultPipe {
    return side === 'target' ? this.up : this.down
  }

  canSend(side: RelaySide): boolean {
    const socket = side === 'target' ? this.target : this.client
    return this.isOpen && !this.pipeToward(side).isGone && !socket.destroyed && !socket.writableEnded
  }

  inject(side: RelaySide, bytes: Buffer) {
    if (!this.canSend(side)) {
      throw new SocketError('EPIPE', `pair ${this.id} can no longer send toward the ${side} (${this.state})`, 'toward')
    }
    this.pipeToward(side).inject(bytes)
  }

  cut(side: RelaySide, how: 'fin' | 'rst') {
    if (!this.isOpen) throw new SocketError('ENOTCONN', `pair ${this.id} is already ${this.state}`)
    const socket = side === 'target' ? this.target : this.client
    const way: RelayWay = side === 'target' ? 'toTarget' : 'toClient'
    if (how === 'fin') {
      if (socket.writableEnded || socket.destroyed) throw new SocketError('EPIPE', `the ${side} side was already closed`, 'side')
      this.pipeToward(side).destinationGone()
      socket.end()
      this.relay.fault('fin', say('relay.cutFin', { side, way }), { connectionId: this.id, side, way })
      if (side === 'client' && this.state === 'open') this.setState('fin-sent')
    } else {
      if (socket.destroyed) throw new SocketError('EPIPE', `the ${side} side was already closed`, 'side')
      // Our own RST is not passed on as RST: the other side gets an orderly FIN once its bytes are delivered.
      this.cutReset = side
      this.reason = { code: 'ECONNRESET', message: `RST sent to the ${side} by a fault` }
      this.pipeToward(side).destinationGone()
      this.relay.fault('rst', say('relay.cutRst', { side }), { connectionId: this.id, side, way })
      socket.resetAndDestroy()
    }
  }

  /** Close both sides: end = FIN to each, destroy = close both sockets now. */
  close(mode: 'end' | 'destroy') {
    if (!this.isOpen) return
    if (mode === 'end') {
      if (!this.client.writableEnded) this.client.end()
      if (!this.target.writableEnded) this.target.end()
    } else {
      this.client.destroy()
      this.target.destroy()
    }
  }

  info(): ConnectionInfo {
    return {
      ...super.info(),
      target: {
        remote: this.targetRemote,
        ...(this.targetLocal ? { local: this.targetLocal } : {}),
        bytesIn: this.targetIn,
        bytesOut: this.targetOut,
      },
    }
  }
}
