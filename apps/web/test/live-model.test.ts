import { describe, expect, it } from 'vitest'
import type { ConnectionInfo, EndpointDetail, EndpointInfo, SocklabEvent, WelcomeMessage } from '@socklab/shared'
import { LiveModel, KEEP_CLOSED_CONNECTIONS, createLiveState, type LogRow } from '../src/live/live-model.ts'
import { LogRing } from '../src/live/log-ring.ts'
import { endpointInfo } from './fixtures.ts'

const info = endpointInfo
const conn = (id: string, endpointId = 'e1'): ConnectionInfo => ({
  id,
  endpointId,
  remote: { address: '127.0.0.1', port: 40000 },
  local: { address: '127.0.0.1', port: 5000 },
  state: 'open',
  bytesIn: 0,
  bytesOut: 0,
  openedAt: 2,
})
const welcome = (over: Partial<WelcomeMessage> = {}): WelcomeMessage => ({
  type: 'welcome',
  serverId: 'run-a',
  snapshotSeq: 0,
  oldestSeq: 1,
  endpoints: [],
  evicted: 0,
  resumed: false,
  ...over,
})
const base = (seq: number, endpointId = 'e1') => ({ seq, ts: 1000 + seq, endpointId })
const data = (seq: number, direction: 'in' | 'out', size: number, total: number, connectionId = 'c1'): SocklabEvent => ({
  ...base(seq),
  type: 'data',
  direction,
  connectionId,
  size,
  total,
  data: btoa('x'.repeat(size)),
})

function setup(capacity = 1000) {
  const state = createLiveState()
  const log = new LogRing<LogRow>(capacity)
  return { state, log, model: new LiveModel(state, log) }
}
const seqs = (log: LogRing<LogRow>) => log.toArray().map((r) => (r.kind === 'event' ? r.event.seq : r.marker))

describe('LiveModel', () => {
  it('says a plain hello first, then asks to resume after the last seq of the same run', () => {
    const { model } = setup()
    expect(model.hello()).toEqual({ type: 'hello' })
    model.handle(welcome({ serverId: 'run-a', snapshotSeq: 0 }))
    model.handle({ type: 'events', events: [{ ...base(1), type: 'endpoint', endpoint: info('e1') }] })
    expect(model.hello()).toEqual({ type: 'hello', after: 1, serverId: 'run-a' })
  })

  it('takes state from the welcome and logs older events without applying them again', () => {
    const { state, log, model } = setup()
    const snapshot: EndpointDetail = { ...info('e1', { stats: { connections: 1, totalConnections: 1, refused: 0, bytesIn: 5, bytesOut: 0 } }), connections: [{ ...conn('c1'), bytesIn: 5 }] }
    model.handle(welcome({ snapshotSeq: 3, endpoints: [snapshot] }))
    model.handle({
      type: 'events',
      events: [
        { ...base(1), type: 'endpoint', endpoint: info('e1') },
        { ...base(2), type: 'connection-opened', connectionId: 'c1', connection: conn('c1') },
        data(3, 'in', 5, 5),
        data(4, 'in', 3, 8),
      ],
    })
    expect(seqs(log)).toEqual([1, 2, 3, 4])
    const ep = state.endpoints[0]!
    // Only seq 4 is after the snapshot: +3, not +8.
    expect(ep.stats.bytesIn).toBe(8)
    expect(ep.stats.connections).toBe(1)
    expect(ep.connections[0]!.bytesIn).toBe(8)
  })

  it('ignores events it already has (replays after a resume)', () => {
    const { state, log, model } = setup()
    model.handle(welcome({ endpoints: [{ ...info('e1'), connections: [conn('c1')] }] }))
    model.handle({ type: 'events', events: [data(1, 'in', 2, 2), data(2, 'out', 4, 4)] })
    const r = model.handle(welcome({ resumed: true, snapshotSeq: 2, endpoints: [{ ...info('e1', { stats: { connections: 1, totalConnections: 1, refused: 0, bytesIn: 2, bytesOut: 4 } }), connections: [conn('c1')] }] }))
    expect(r.restarted).toBe(false)
    model.handle({ type: 'events', events: [data(2, 'out', 4, 4), data(3, 'in', 1, 3)] })
    expect(seqs(log)).toEqual([1, 2, 3])
    expect(state.endpoints[0]!.stats.bytesIn).toBe(3)
    expect(state.lastSeq).toBe(3)
  })

  it('clears the log and marks a restart when the gateway run changes', () => {
    const { state, log, model } = setup()
    model.handle(welcome({ serverId: 'run-a' }))
    model.handle({ type: 'events', events: [{ ...base(1), type: 'note', text: 'old' }, { ...base(2), type: 'note', text: 'old' }] })
    const r = model.handle(welcome({ serverId: 'run-b', resumed: false }))
    expect(r).toMatchObject({ restarted: true, log: true })
    expect(seqs(log)).toEqual(['restart'])
    expect(state.lastSeq).toBe(0)
    expect(state.serverId).toBe('run-b')
    // seq 1 of the new run is new, not a duplicate of the old run's seq 1.
    model.handle({ type: 'events', events: [{ ...base(1), type: 'note', text: 'new' }] })
    expect(seqs(log)).toEqual(['restart', 1])
  })

  it('turns a gap into a marker row and asks for a resync only when state effects were lost', () => {
    const { state, log, model } = setup()
    model.handle(welcome({ snapshotSeq: 50 }))
    const history = model.handle({ type: 'gap', fromSeq: 1, toSeq: 40, missed: 40, reason: 'history-limit' })
    expect(history.resync).toBe(false)
    const live = model.handle({ type: 'gap', fromSeq: 51, toSeq: 70, missed: 20, reason: 'evicted' })
    expect(live.resync).toBe(true)
    expect(state.lastSeq).toBe(70)
    const markers = log.toArray().filter((r) => r.kind === 'marker')
    expect(markers.map((m) => m.kind === 'marker' && m.missed)).toEqual([40, 20])
  })

  it('follows endpoints and connections through their lifecycle', () => {
    const { state, model } = setup()
    model.handle(welcome())
    model.handle({
      type: 'events',
      events: [
        { ...base(1), type: 'endpoint', endpoint: info('e1', { state: 'starting' }) },
        { ...base(2), type: 'endpoint', endpoint: info('e1', { state: 'listening' }) },
        { ...base(3), type: 'connection-opened', connectionId: 'c1', connection: conn('c1') },
        data(4, 'in', 10, 10),
        data(5, 'out', 7, 7),
        { ...base(6), type: 'connection-state', connectionId: 'c1', state: 'fin-received' },
      ],
    })
    const ep = state.endpoints[0]!
    expect(ep.state).toBe('listening')
    expect(ep.connections[0]).toMatchObject({ state: 'fin-received', bytesIn: 10, bytesOut: 7 })
    expect(ep.stats).toMatchObject({ connections: 1, totalConnections: 1, bytesIn: 10, bytesOut: 7 })
    model.handle({ type: 'events', events: [{ ...base(7), type: 'connection-state', connectionId: 'c1', state: 'reset', reason: { code: 'ECONNRESET', message: 'reset' } }] })
    expect(ep.connections[0]).toMatchObject({ state: 'reset', closedAt: 1007, reason: { code: 'ECONNRESET' } })
    expect(ep.stats.connections).toBe(0)
    model.handle({ type: 'events', events: [{ ...base(8), type: 'endpoint-removed' }] })
    expect(state.endpoints).toEqual([])
    expect(model.known.get('e1')).toEqual({ kind: 'tcp-server' })
  })

  it('learns the addresses of a connection that dialed out from its open state (client, relay target leg)', () => {
    const { state, model } = setup()
    model.handle(welcome())
    const none = { address: '', port: 0 }
    const dialing: ConnectionInfo = { ...conn('c1'), state: 'connecting', remote: none, local: none }
    const pair: ConnectionInfo = { ...conn('c2', 'e2'), state: 'connecting', target: { remote: { address: 'localhost', port: 7000 }, bytesIn: 0, bytesOut: 0 } }
    model.handle({
      type: 'events',
      events: [
        { ...base(1), type: 'endpoint', endpoint: info('e1', { kind: 'tcp-client', state: 'connecting' }) },
        { ...base(2), type: 'connection-opened', connectionId: 'c1', connection: dialing },
        { ...base(3, 'e2'), type: 'endpoint', endpoint: info('e2', { kind: 'tcp-relay' }) },
        { ...base(4, 'e2'), type: 'connection-opened', connectionId: 'c2', connection: pair },
      ],
    })
    expect(state.endpoints[0]!.connections[0]).toMatchObject({ remote: none, local: none })
    model.handle({
      type: 'events',
      events: [
        {
          ...base(5),
          type: 'connection-state',
          connectionId: 'c1',
          state: 'open',
          local: { address: '127.0.0.1', port: 51000, family: 'IPv4' },
          remote: { address: '127.0.0.1', port: 6000, family: 'IPv4' },
        },
        data(6, 'out', 2, 2),
        {
          ...base(7, 'e2'),
          type: 'connection-state',
          connectionId: 'c2',
          state: 'open',
          target: { remote: { address: '127.0.0.1', port: 7000 }, local: { address: '127.0.0.1', port: 52000 } },
        },
      ],
    })
    expect(state.endpoints[0]!.connections[0]).toMatchObject({
      state: 'open',
      local: { address: '127.0.0.1', port: 51000 },
      remote: { address: '127.0.0.1', port: 6000 },
      bytesOut: 2,
    })
    // The relay pair keeps its client leg and its target leg's counts; the target leg gains its addresses.
    expect(state.endpoints[1]!.connections[0]).toMatchObject({
      state: 'open',
      remote: { port: 40000 },
      target: { remote: { address: '127.0.0.1', port: 7000 }, local: { port: 52000 }, bytesIn: 0, bytesOut: 0 },
    })
    // A state change that teaches nothing leaves the addresses alone.
    model.handle({ type: 'events', events: [{ ...base(8), type: 'connection-state', connectionId: 'c1', state: 'closed' }] })
    expect(state.endpoints[0]!.connections[0]).toMatchObject({ state: 'closed', remote: { port: 6000 }, local: { port: 51000 } })
  })

  it('keeps a bounded number of closed connections per endpoint', () => {
    const { state, model } = setup(10_000)
    model.handle(welcome())
    const events: SocklabEvent[] = [{ ...base(1), type: 'endpoint', endpoint: info('e1') }]
    let seq = 2
    for (let i = 0; i < KEEP_CLOSED_CONNECTIONS + 30; i++) {
      events.push({ ...base(seq++), type: 'connection-opened', connectionId: `c${i}`, connection: conn(`c${i}`) })
      events.push({ ...base(seq++), type: 'connection-state', connectionId: `c${i}`, state: 'closed' })
    }
    events.push({ ...base(seq++), type: 'connection-opened', connectionId: 'open', connection: conn('open') })
    model.handle({ type: 'events', events })
    const ep = state.endpoints[0]!
    expect(ep.connections.length).toBe(KEEP_CLOSED_CONNECTIONS + 1)
    expect(ep.connections[0]!.id).toBe('c30')
    expect(ep.stats).toMatchObject({ connections: 1, totalConnections: KEEP_CLOSED_CONNECTIONS + 31 })
  })

  it('shows an endpoint from a REST answer before its event, without doubling it', () => {
    const { state, model } = setup()
    model.handle(welcome())
    model.upsertEndpoint({ ...info('e1'), connections: [] })
    model.handle({ type: 'events', events: [{ ...base(1), type: 'endpoint', endpoint: info('e1', { state: 'listening' }) }] })
    expect(state.endpoints.map((e) => e.id)).toEqual(['e1'])
  })
})
