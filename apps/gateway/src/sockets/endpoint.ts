import type {
  Address,
  ConnectionInfo,
  EndpointActionBody,
  EndpointDetail,
  EndpointInfo,
  EndpointState,
  EndpointStats,
  ErrorInfo,
  EventInput,
  SendBody,
  SendResult,
  Saying,
} from '@socklab/shared'
import type { EventHub } from '../events/event-hub.ts'
import { TrafficLogger, type TrafficLogSettings } from '../events/traffic-log.ts'
import { SocketError } from './socket-error.ts'
import { encodePayload } from './payload.ts'
import { RepeatSender } from './repeat-sender.ts'

/** What every endpoint may use from the gateway. */
export interface EndpointContext {
  hub: EventHub
  /**
   * Root of the files this endpoint may use: the files area (SOCKLAB_DATA/files), or for a student's
   * endpoint their own folder in it (`filesFolder`). Options and reported paths are relative to it.
   */
  filesRoot: string
  /** Where `filesRoot` lies inside the files area: absent for the area itself, `students/<name>` for a student. */
  filesFolder?: string
  /** Traffic logs (SOCKLAB_DATA/logs) and their size cap. */
  logs: TrafficLogSettings
}

/** Closed connections kept per endpoint for the connections table; older ones are forgotten (their events stay in history). */
const KEEP_CLOSED = 200

/**
 * Base of every endpoint kind. A kind implements `start` (resolves once listening/bound/connected,
 * rejects with a SocketError) and `stop` (closes every socket, file and timer it opened).
 */
export abstract class Endpoint<O extends { kind: string; name?: string } = { kind: string; name?: string }> {
  state: EndpointState = 'starting'
  local?: Address
  remote?: Address
  error?: ErrorInfo
  owner?: string
  /** The owning person's id (the access layer checks this; `owner` is the name shown). */
  ownerId?: string
  shared?: boolean
  readonly createdAt = Date.now()
  readonly connections = new Map<string, ConnectionRecord>()
  readonly stats: EndpointStats = { connections: 0, totalConnections: 0, refused: 0, bytesIn: 0, bytesOut: 0 }
  private closedOrder: string[] = []
  private repeater?: RepeatSender
  /** The current (or last) traffic log file. */
  private trafficLog?: TrafficLogger
  private logOpening?: Promise<TrafficLogger>
  /** Removed: no new log may start. */
  private logEnded = false

  constructor(
    readonly id: string,
    readonly options: O,
    protected readonly ctx: EndpointContext,
  ) {}

  get kind(): string {
    return this.options.kind
  }

  abstract start(): Promise<void>
  abstract stop(): Promise<void>

  /**
   * Kinds that send bytes implement this (and `repeatTarget`); the base then encodes the payload with its
   * checksum once and handles timed resend. `origin` is 'send' or 'repeat'.
   */
  protected deliver?(bytes: Buffer, body: SendBody, origin: 'send' | 'repeat'): SendResult | Promise<SendResult>
  /** The key a repeat runs under: one running repeat per target (a connection id, "all", "host:port"…). */
  protected repeatTarget?(body: SendBody): string
  /** True while the target's send buffer still holds earlier bytes: a repeat skips that tick. */
  protected sendBusy?(body: SendBody): boolean

  send(body: SendBody): SendResult | Promise<SendResult> {
    if (!this.deliver) throw new SocketError('ENOTSUP', `a ${this.kind} endpoint cannot send`)
    const bytes = encodePayload(body.data, body.encoding, body.lineEnding, body.checksum)
    if (!body.repeat) return this.deliver(bytes, body, 'send')
    const target = this.repeatTarget?.(body) ?? 'default'
    this.repeater ??= new RepeatSender({
      deliver: (b, sb, origin) => this.deliver!(b, sb, origin as 'repeat'),
      busy: (sb) => this.sendBusy?.(sb) ?? false,
      changed: () => this.emit({ type: 'endpoint', endpoint: this.info() }),
      failed: (error) => this.emit({ type: 'error', error }),
    })
    return this.repeater.start(target, bytes, body, body.repeat)
  }

  /** Kinds with their own `send` (relay, file client) know nothing of checksums or repeats: say so instead of ignoring them. */
  assertSendOptions(body: SendBody) {
    if (this.deliver) return
    if (body.repeat) throw new SocketError('ENOTSUP', `a ${this.kind} endpoint cannot repeat sends`, 'repeat')
    if (body.checksum && body.checksum !== 'none') throw new SocketError('ENOTSUP', `a ${this.kind} endpoint cannot append a checksum`, 'checksum')
  }

  /** Stop timed resends: the one to `target`, or all. */
  stopRepeats(target?: string): number {
    return this.repeater?.stop(target) ?? 0
  }

  /** For `stop()`: stop every repeat and refuse new ones (a repeat's first send may still be in flight). */
  protected closeRepeats() {
    // A later send fails on the closed socket, so only a repeater that exists can still hold a timer.
    this.repeater?.close()
  }
  closeConnection(_connectionId: string, _mode: 'end' | 'destroy'): void {
    throw new SocketError('ENOTSUP', `a ${this.kind} endpoint has no connections to close`)
  }
  action(body: EndpointActionBody): void | Promise<void> {
    // Idempotent, like a Stop button: nothing running (it may just have finished) is not an error.
    if (body.action === 'stop-repeat' && this.deliver) {
      this.stopRepeats(body.target)
      return
    }
    if (body.action === 'log') return this.setLogging(body.on)
    throw new SocketError('ENOTSUP', `a ${this.kind} endpoint does not support "${body.action}"`)
  }

  /** The `log` action, any kind: on starts a new file (already on: keeps it), off closes it (already off: nothing). */
  private async setLogging(on: boolean | undefined) {
    if (on === undefined) throw new SocketError('EVALIDATION', 'say whether to log: "on": true or false', 'on')
    if (on) await this.startLog()
    else await this.stopLog('logging turned off')
    this.emit({ type: 'endpoint', endpoint: this.info() })
  }

  /**
   * Start a traffic log file unless one is being written: this endpoint's events after history seq `from`
   * (default: from now on). Throws a SocketError when the file cannot be made.
   */
  async startLog(from = this.ctx.hub.headSeq): Promise<void> {
    while (this.logOpening) await this.logOpening.catch(() => {})
    if (this.logEnded) throw new SocketError('ENOENDPOINT', `endpoint ${this.id} was removed`)
    if (this.trafficLog?.active) return
    const opening = TrafficLogger.open(this, this.ctx.hub, this.ctx.logs, from, () => this.emit({ type: 'endpoint', endpoint: this.info() }))
    this.logOpening = opening
    try {
      this.trafficLog = await opening
    } finally {
      this.logOpening = undefined
    }
  }

  /** Write what is left of the traffic log (then `closing` as its last line) and close the file. */
  async stopLog(closing?: string): Promise<void> {
    while (this.logOpening) await this.logOpening.catch(() => {})
    await this.trafficLog?.close(closing)
  }

  /** The endpoint is going away: close its log for good (an "on" that comes late opens nothing). */
  async endLog(): Promise<void> {
    this.logEnded = true
    await this.stopLog()
  }

  /** The current or last traffic log file, for download: what was recorded up to now is written first. */
  async logFile(): Promise<{ path: string; file: string }> {
    const log = this.trafficLog
    if (!log) {
      throw new SocketError('ENOLOG', `endpoint ${this.id} has no traffic log yet: turn "Log to disk" on (action "log" with "on": true, or "log": true when creating it)`)
    }
    await log.flush()
    return { path: log.path, file: log.file }
  }

  info(): EndpointInfo {
    return {
      id: this.id,
      kind: this.kind,
      ...(this.options.name ? { name: this.options.name } : {}),
      state: this.state,
      ...(this.local ? { local: this.local } : {}),
      ...(this.remote ? { remote: this.remote } : {}),
      options: this.options as Record<string, unknown>,
      ...(this.error ? { error: this.error } : {}),
      createdAt: this.createdAt,
      ...(this.owner ? { owner: this.owner } : {}),
      ...(this.shared !== undefined ? { shared: this.shared } : {}),
      stats: { ...this.stats },
      ...(this.repeater?.size ? { repeats: this.repeater.info() } : {}),
      ...(this.trafficLog ? { log: this.trafficLog.info() } : {}),
    }
  }

  detail(): EndpointDetail {
    return { ...this.info(), connections: [...this.connections.values()].map((c) => c.info()) }
  }

  /** Record an event for this endpoint. `input` becomes the stored event (pass a fresh object literal). */
  emit(input: DistributiveOmit<EventInput, 'endpointId'> & { bytes?: Buffer }) {
    // Tagged in place: a spread copy per event measured 30× slower once the hub holds the events for a while,
    // and this runs for every chunk read or written.
    const event = input as EventInput & { bytes?: Buffer }
    event.endpointId = this.id
    return this.ctx.hub.append(event)
  }

  /** Change state and tell everyone (a full snapshot, so late viewers need nothing else). */
  setState(state: EndpointState, error?: ErrorInfo) {
    this.state = state
    if (error) this.error = error
    else if (state !== 'failed') this.error = undefined
    this.emit({ type: 'endpoint', endpoint: this.info() })
  }

  /** A line in the log: `say('server.stopped')` from the shared notes table (shown translated), or plain English text. */
  note(what: Saying | string, connectionId?: string) {
    const said = typeof what === 'string' ? { text: what } : { text: what.text, say: what.say }
    this.emit({ type: 'note', ...said, ...(connectionId ? { connectionId } : {}) })
  }

  /** Remember a connection; called by ConnectionRecord. */
  addConnection(c: ConnectionRecord) {
    this.connections.set(c.id, c)
    this.stats.connections++
    this.stats.totalConnections++
  }

  /** A connection finished: keep it in the table for a while, bounded. */
  connectionClosed(c: ConnectionRecord) {
    this.stats.connections--
    this.closedOrder.push(c.id)
    while (this.closedOrder.length > KEEP_CLOSED) this.connections.delete(this.closedOrder.shift()!)
  }

  openConnections(): ConnectionRecord[] {
    return [...this.connections.values()].filter((c) => c.isOpen)
  }
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

let connectionCounter = 0
export function nextConnectionId(): string {
  return `c${++connectionCounter}`
}

/** The bookkeeping part of a connection; TcpConnection adds the socket. */
export class ConnectionRecord {
  state: ConnectionInfo['state'] = 'open'
  bytesIn = 0
  bytesOut = 0
  readonly openedAt = Date.now()
  closedAt?: number
  reason?: ErrorInfo

  constructor(
    readonly id: string,
    readonly endpoint: Endpoint,
    public remote: Address,
    public local: Address,
  ) {}

  get isOpen(): boolean {
    return this.state !== 'closed' && this.state !== 'reset'
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      endpointId: this.endpoint.id,
      remote: this.remote,
      local: this.local,
      state: this.state,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      openedAt: this.openedAt,
      ...(this.closedAt ? { closedAt: this.closedAt } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    }
  }
}
