import { describe, expect, it } from 'vitest'
import type { EndpointInfo, RepeatInfo, SocklabEvent, TrafficLogInfo } from '@socklab/shared'
import { LiveModel, createLiveState, type LogRow } from '../src/live/live-model.ts'
import { LogRing } from '../src/live/log-ring.ts'
import { endpointInfo } from './fixtures.ts'
import { snapshotChanges } from '../src/live/snapshot-changes.ts'

const info = (over: Partial<EndpointInfo> = {}) => endpointInfo('e1', over)
const log = (over: Partial<TrafficLogInfo> = {}): TrafficLogInfo => ({
  state: 'on',
  file: 'e1-tcp-server-5000-20250101-120000.log',
  bytes: 0,
  events: 0,
  dropped: 0,
  maxBytes: 1 << 20,
  startedAt: 10,
  ...over,
})
const repeat = (over: Partial<RepeatInfo> = {}): RepeatInfo => ({ target: 'all', intervalMs: 1000, sent: 1, bytes: 4, startedAt: 20, ...over })
const stats = (bytesIn: number) => ({ connections: 1, totalConnections: 1, refused: 0, bytesIn, bytesOut: 0 })

function setup() {
  const state = createLiveState()
  const ring = new LogRing<LogRow>(1000)
  const model = new LiveModel(state, ring)
  model.handle({ type: 'welcome', serverId: 'run-a', snapshotSeq: 0, oldestSeq: 1, endpoints: [], evicted: 0, resumed: false })
  let seq = 0
  const snapshot = (endpoint: EndpointInfo, endpointId = 'e1') =>
    model.handle({ type: 'events', events: [{ seq: ++seq, ts: 1000 + seq, endpointId, type: 'endpoint', endpoint: { ...endpoint, id: endpointId } } as SocklabEvent] })
  /** The endpoint rows in the log: seq and what each says changed. */
  const rows = () => ring.toArray().flatMap((r) => (r.kind === 'event' && r.event.type === 'endpoint' ? [{ seq: r.event.seq, changes: r.changes }] : []))
  return { state, model, snapshot, rows }
}

describe('endpoint snapshots in the traffic log', () => {
  it('counts nothing but counters as no change', () => {
    const a = info({ stats: stats(1), log: log({ bytes: 10, events: 1 }), repeats: [repeat({ sent: 1 })] })
    const b = info({ stats: stats(500), log: log({ bytes: 9000, events: 80, dropped: 3 }), repeats: [repeat({ sent: 42 })] })
    expect(snapshotChanges(a, b)).toEqual([])
  })

  it('names what a person would call an event', () => {
    const base = info()
    expect(snapshotChanges(undefined, base)).toEqual(['state'])
    expect(snapshotChanges(undefined, info({ log: log(), repeats: [repeat()] }))).toEqual(['state', 'log', 'repeats'])
    expect(snapshotChanges(base, info({ state: 'not-listening' }))).toEqual(['state'])
    expect(snapshotChanges(base, info({ local: { address: '127.0.0.1', port: 5001 } }))).toEqual(['address'])
    expect(snapshotChanges(info({ kind: 'tcp-client' }), info({ kind: 'tcp-client', remote: { address: '127.0.0.1', port: 80 } }))).toEqual(['address'])
    expect(snapshotChanges(base, info({ state: 'failed', error: { code: 'EADDRINUSE', message: 'in use' } }))).toEqual(['state', 'error'])
    expect(snapshotChanges(base, info({ shared: true }))).toEqual(['access'])
    expect(snapshotChanges(base, info({ log: log() }))).toEqual(['log'])
    expect(snapshotChanges(info({ log: log() }), info({ log: log({ state: 'full' }) }))).toEqual(['log'])
    expect(snapshotChanges(info({ log: log() }), info({ log: log({ state: 'failed', error: { code: 'ENOSPC', message: 'disk full' } }) }))).toEqual(['log'])
    // A new file (turned off and on again) is news even with the same state.
    expect(snapshotChanges(info({ log: log() }), info({ log: log({ file: 'e1-tcp-server-5000-20250101-120500.log', startedAt: 99 }) }))).toEqual(['log'])
    expect(snapshotChanges(base, info({ repeats: [repeat()] }))).toEqual(['repeats'])
    expect(snapshotChanges(info({ repeats: [repeat()] }), base)).toEqual(['repeats'])
    expect(snapshotChanges(info({ repeats: [repeat()] }), info({ repeats: [repeat({ intervalMs: 500, startedAt: 30, sent: 1 })] }))).toEqual(['repeats'])
  })

  it('makes a row for a change and none for the once-a-second counter snapshots, while the state stays live', () => {
    const { state, snapshot, rows } = setup()
    expect(snapshot(info({ state: 'starting', local: undefined })).log).toBe(true)
    expect(snapshot(info()).log).toBe(true)
    expect(snapshot(info({ log: log() })).log).toBe(true)
    // A client talks while the log is written: a snapshot a second with growing counts.
    for (let i = 1; i <= 5; i++) expect(snapshot(info({ stats: stats(i * 10), log: log({ bytes: i * 100, events: i * 2 }) })).log).toBe(false)
    expect(state.endpoints[0]!.stats.bytesIn).toBe(50)
    expect(state.endpoints[0]!.log).toMatchObject({ bytes: 500, events: 10 })
    // A timed resend starts, ticks, and stops.
    snapshot(info({ stats: stats(50), log: log({ bytes: 500, events: 10 }), repeats: [repeat()] }))
    for (let sent = 2; sent <= 4; sent++) snapshot(info({ stats: stats(50), log: log({ bytes: 500, events: 10 }), repeats: [repeat({ sent })] }))
    expect(state.endpoints[0]!.repeats![0]!.sent).toBe(4)
    snapshot(info({ stats: stats(50), log: log({ bytes: 500, events: 10 }) }))
    snapshot(info({ stats: stats(50), log: log({ state: 'full', bytes: 1 << 20 }) }))
    snapshot(info({ state: 'not-listening', stats: stats(50), log: log({ state: 'full', bytes: 1 << 20 }) }))
    expect(rows()).toEqual([
      { seq: 1, changes: ['state'] },
      { seq: 2, changes: ['state', 'address'] },
      { seq: 3, changes: ['log'] },
      { seq: 9, changes: ['repeats'] },
      { seq: 13, changes: ['repeats'] },
      { seq: 14, changes: ['log'] },
      { seq: 15, changes: ['state'] },
    ])
  })

  it('compares each endpoint with its own previous snapshot, and starts over after a restart or removal', () => {
    const { model, snapshot, rows } = setup()
    snapshot(info(), 'e1')
    snapshot(info(), 'e2')
    snapshot(info({ stats: stats(5) }), 'e1')
    snapshot(info({ stats: stats(5) }), 'e2')
    expect(rows().map((r) => r.seq)).toEqual([1, 2])
    model.handle({ type: 'events', events: [{ seq: 5, ts: 1005, endpointId: 'e2', type: 'endpoint-removed' }] })
    // The same id in a new run is a new endpoint: its first snapshot is a row again.
    model.handle({ type: 'welcome', serverId: 'run-b', snapshotSeq: 0, oldestSeq: 1, endpoints: [], evicted: 0, resumed: false })
    model.handle({ type: 'events', events: [{ seq: 1, ts: 2001, endpointId: 'e1', type: 'endpoint', endpoint: info() }] })
    expect(rows().map((r) => r.seq)).toEqual([1])
  })

  it('keeps a duplicate snapshot (a replay after a resume) out, as before', () => {
    const { model, snapshot, rows } = setup()
    snapshot(info())
    const r = model.handle({ type: 'events', events: [{ seq: 1, ts: 1001, endpointId: 'e1', type: 'endpoint', endpoint: info({ state: 'closed' }) }] })
    expect(r.log).toBe(false)
    expect(rows()).toEqual([{ seq: 1, changes: ['state'] }])
  })
})
