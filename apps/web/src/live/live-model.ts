import type { ClientMessage, ConnectionInfo, EndpointDetail, EndpointInfo, GapMessage, ServerMessage, SocklabEvent } from '@socklab/shared'
import { LogRing } from './log-ring.ts'
import { snapshotChanges, type SnapshotChange } from './snapshot-changes.ts'

/** One row of the traffic log: a gateway event, or a marker the panel adds (missed events, restart). */
export type LogRow = EventRow | MarkerRow
export interface EventRow {
  n: number
  /** The event's seq: unique within one gateway run, and the log is cleared when the run changes. */
  key: number
  kind: 'event'
  event: SocklabEvent
  /** An endpoint snapshot: what changed against the previous one of that endpoint (what its row mentions). */
  changes?: SnapshotChange[]
}
export interface MarkerRow {
  n: number
  key: string
  kind: 'marker'
  ts: number
  marker: 'gap' | 'restart'
  missed?: number
  reason?: GapMessage['reason']
}

/** What the panel knows about the gateway. The store passes a reactive object; tests pass a plain one. */
export interface LiveState {
  serverId: string | null
  /** Highest seq seen; events at or below it are duplicates (replays after a resume). */
  lastSeq: number
  /** The endpoints below are as of this seq; older events go to the log only. */
  snapshotSeq: number
  endpoints: EndpointDetail[]
}

export function createLiveState(): LiveState {
  return { serverId: null, lastSeq: 0, snapshotSeq: 0, endpoints: [] }
}

/** What a message changed, so the store knows what to refresh. */
export interface HandleResult {
  /** Rows were added to or removed from the log. */
  log: boolean
  /** State effects were lost (events evicted before we got them): fetch the endpoints again. */
  resync: boolean
  /** The gateway is a different run than before; the log was cleared. */
  restarted: boolean
}

/** Closed connections kept per endpoint, like the gateway (their events stay in the log). */
export const KEEP_CLOSED_CONNECTIONS = 200

const isFinal = (s: ConnectionInfo['state']) => s === 'closed' || s === 'reset'

/**
 * Applies the gateway's WebSocket messages to the panel state and the log: the welcome snapshot,
 * events (deduplicated by seq, state effects only after the snapshot), gaps and restarts.
 * Plain TypeScript so it can be tested without a browser.
 */
export class LiveModel {
  /** Kind and name of every endpoint seen in this run, so log rows of removed endpoints keep a label. */
  readonly known = new Map<string, { kind: string; name?: string }>()
  /** The last snapshot of every endpoint, in log order: a snapshot where only counters moved makes no row. */
  private readonly lastSnapshot = new Map<string, EndpointInfo>()
  private markerCount = 0

  constructor(
    readonly state: LiveState,
    readonly log: LogRing<LogRow>,
  ) {}

  /** The first message on a new WebSocket: resume after what we have, if we have anything. */
  hello(): ClientMessage {
    return this.state.serverId ? { type: 'hello', after: this.state.lastSeq, serverId: this.state.serverId } : { type: 'hello' }
  }

  handle(msg: ServerMessage): HandleResult {
    const result: HandleResult = { log: false, resync: false, restarted: false }
    switch (msg.type) {
      case 'welcome': {
        const s = this.state
        if (!msg.resumed) {
          // A new run (or a first visit): seqs start again, so the old log can no longer be deduplicated.
          if (s.serverId !== null) {
            this.log.clear()
            this.known.clear()
            this.lastSnapshot.clear()
            result.log = true
            if (s.serverId !== msg.serverId) {
              result.restarted = true
              this.marker({ ts: Date.now(), marker: 'restart' })
            }
          }
          s.lastSeq = 0
        }
        s.serverId = msg.serverId
        s.snapshotSeq = msg.snapshotSeq
        this.replaceEndpoints(msg.endpoints)
        break
      }
      case 'events':
        for (const e of msg.events) if (this.event(e)) result.log = true
        break
      case 'gap': {
        this.marker({ ts: Date.now(), marker: 'gap', missed: msg.missed, reason: msg.reason })
        result.log = true
        // Events up to the snapshot only lack log rows; beyond it their state effects are lost too.
        result.resync = msg.toSeq > this.state.snapshotSeq
        if (msg.toSeq > this.state.lastSeq) this.state.lastSeq = msg.toSeq
        break
      }
      default:
        break
    }
    return result
  }

  /** Replace the endpoints (welcome, or a REST resync). */
  replaceEndpoints(endpoints: EndpointDetail[]) {
    for (const e of endpoints) this.remember(e)
    this.state.endpoints = endpoints.map((e) => ({ ...e, connections: [...e.connections] }))
  }

  /** Add an endpoint we learned about from a REST answer, unless an event already did. */
  upsertEndpoint(detail: EndpointDetail) {
    this.remember(detail)
    if (!this.find(detail.id)) this.state.endpoints.push({ ...detail, connections: [...detail.connections] })
  }

  find(id: string): EndpointDetail | undefined {
    return this.state.endpoints.find((e) => e.id === id)
  }

  private remember(e: { id: string; kind: string; name?: string }) {
    this.known.set(e.id, { kind: e.kind, ...(e.name ? { name: e.name } : {}) })
  }

  private marker(m: Omit<MarkerRow, 'n' | 'key' | 'kind'>) {
    this.log.push({ ...m, kind: 'marker', key: `m${++this.markerCount}` })
  }

  /** Returns whether it made a row: false for a duplicate, and for a snapshot where only counters moved. */
  private event(e: SocklabEvent): boolean {
    const s = this.state
    if (e.seq <= s.lastSeq) return false
    s.lastSeq = e.seq
    let changes: SnapshotChange[] | undefined
    if (e.type === 'endpoint') {
      this.remember(e.endpoint)
      changes = snapshotChanges(this.lastSnapshot.get(e.endpointId), e.endpoint)
      this.lastSnapshot.set(e.endpointId, e.endpoint)
    } else if (e.type === 'endpoint-removed') this.lastSnapshot.delete(e.endpointId)
    const row = !changes || changes.length > 0
    if (row) this.log.push({ kind: 'event', key: e.seq, event: e, ...(changes ? { changes } : {}) })
    if (e.seq > s.snapshotSeq) this.apply(e)
    return row
  }

  private apply(e: SocklabEvent) {
    const endpoints = this.state.endpoints
    switch (e.type) {
      case 'endpoint': {
        const i = endpoints.findIndex((x) => x.id === e.endpointId)
        if (i >= 0) endpoints[i] = { ...e.endpoint, connections: endpoints[i]!.connections }
        else endpoints.push({ ...e.endpoint, connections: [] })
        return
      }
      case 'endpoint-removed': {
        const i = endpoints.findIndex((x) => x.id === e.endpointId)
        if (i >= 0) endpoints.splice(i, 1)
        return
      }
      case 'connection-opened': {
        const ep = this.find(e.endpointId)
        if (!ep) return
        const i = ep.connections.findIndex((c) => c.id === e.connectionId)
        if (i >= 0) {
          ep.connections[i] = { ...e.connection }
          return
        }
        ep.connections.push({ ...e.connection })
        ep.stats.connections++
        ep.stats.totalConnections++
        return
      }
      case 'connection-state': {
        const ep = this.find(e.endpointId)
        const c = ep?.connections.find((x) => x.id === e.connectionId)
        if (!ep || !c) return
        const wasOpen = !isFinal(c.state)
        c.state = e.state
        if (e.reason) c.reason = e.reason
        // A connection that dialed out learns its addresses by connecting: they come with its open state.
        if (e.local) c.local = e.local
        if (e.remote) c.remote = e.remote
        if (e.target) c.target = { bytesIn: 0, bytesOut: 0, ...c.target, ...e.target }
        if (isFinal(e.state) && wasOpen) {
          c.closedAt = e.ts
          ep.stats.connections = Math.max(0, ep.stats.connections - 1)
          this.pruneClosed(ep)
        }
        return
      }
      case 'data': {
        const ep = this.find(e.endpointId)
        if (!ep) return
        if (e.direction === 'in') ep.stats.bytesIn += e.size
        else ep.stats.bytesOut += e.size
        if (e.connectionId) {
          const c = ep.connections.find((x) => x.id === e.connectionId)
          // A relay pair counts its target leg apart (`target`); everything else counts on the connection.
          const counts = e.leg === 'target' ? c?.target : c
          if (counts) {
            if (e.direction === 'in') counts.bytesIn = e.total
            else counts.bytesOut = e.total
          }
          // Forwarded unchanged: the same bytes also went out on the other leg (no event of its own).
          if (e.forwarded) {
            ep.stats.bytesOut += e.size
            const other = e.leg === 'target' ? c : c?.target
            if (other) other.bytesOut += e.size
          }
        }
        return
      }
      default:
        return
    }
  }

  private pruneClosed(ep: EndpointDetail) {
    let closed = 0
    for (const c of ep.connections) if (isFinal(c.state)) closed++
    if (closed <= KEEP_CLOSED_CONNECTIONS) return
    let excess = closed - KEEP_CLOSED_CONNECTIONS
    ep.connections = ep.connections.filter((c) => !(isFinal(c.state) && excess-- > 0))
  }
}
