import { describe, expect, it } from 'vitest'
import type { EndpointDetail, SocklabEvent } from '@socklab/shared'
import { conversationOf } from '../src/relay/conversation.ts'
import { wayFaults, wayModel } from '../src/relay/relay-form-model.ts'
import { LiveModel, createLiveState, type LogRow } from '../src/live/live-model.ts'
import { LogRing } from '../src/live/log-ring.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')
let seq = 0
const data = (leg: 'client' | 'target', direction: 'in' | 'out', text: string, total: number, origin?: string, connectionId = 'c1'): SocklabEvent => ({
  seq: ++seq,
  ts: 1000 + seq,
  endpointId: 'e1',
  type: 'data',
  connectionId,
  leg,
  direction,
  size: Buffer.byteLength(text),
  data: b64(text),
  total,
  ...(origin ? { origin } : {}),
})

describe('relay conversation', () => {
  // client sends "hello" (split into "hel"+"lo" toward the target), target answers "HI", "x" injected toward the target.
  const events: SocklabEvent[] = [
    data('client', 'in', 'hello', 5),
    data('target', 'out', 'hel', 3, 'relay'),
    { seq: ++seq, ts: 2000, endpointId: 'e1', type: 'fault', connectionId: 'c1', fault: 'split', way: 'toTarget', text: 'split' },
    data('target', 'out', 'lo', 5, 'relay'),
    data('target', 'in', 'HI', 2),
    data('client', 'out', 'HI', 2, 'relay'),
    data('target', 'out', 'x', 6, 'inject'),
    data('client', 'in', 'other pair', 10, undefined, 'c2'),
  ]

  it('"sent" shows what each side sent, plus injected bytes, with the way of each chunk', () => {
    const items = conversationOf(events, 'e1', 'c1', 'sent')
    expect(items.map((i) => (i.kind === 'chunk' ? `${i.way}:${Buffer.from(i.data, 'base64')}${i.injected ? '!' : ''}` : `line:${i.text}`))).toEqual([
      'toTarget:hello',
      'line:split',
      'toClient:HI',
      'toTarget:x!',
    ])
  })

  it('"delivered" shows the chunks as the relay wrote them, so a split is visible', () => {
    const items = conversationOf(events, 'e1', 'c1', 'delivered').filter((i) => i.kind === 'chunk')
    expect(items.map((i) => i.kind === 'chunk' && `${i.way}:${Buffer.from(i.data, 'base64')}`)).toEqual(['toTarget:hel', 'toTarget:lo', 'toClient:HI', 'toTarget:x'])
  })

  it('counts a pair\'s target leg on its `target`, not over the client leg', () => {
    const state = createLiveState()
    const model = new LiveModel(state, new LogRing<LogRow>(100))
    const pair = {
      id: 'c1',
      endpointId: 'e1',
      remote: { address: '127.0.0.1', port: 40000 },
      local: { address: '127.0.0.1', port: 7000 },
      state: 'open' as const,
      bytesIn: 0,
      bytesOut: 0,
      openedAt: 1,
      target: { remote: { address: '127.0.0.1', port: 9000 }, bytesIn: 0, bytesOut: 0 },
    }
    const endpoint: EndpointDetail = {
      id: 'e1',
      kind: 'tcp-relay',
      state: 'listening',
      options: {},
      createdAt: 1,
      stats: { connections: 1, totalConnections: 1, refused: 0, bytesIn: 0, bytesOut: 0 },
      connections: [pair],
    }
    model.handle({ type: 'welcome', serverId: 's', snapshotSeq: 0, oldestSeq: 1, endpoints: [endpoint], evicted: 0, resumed: false })
    model.handle({ type: 'events', events: events.slice(0, 6) })
    const c = state.endpoints[0]!.connections[0]!
    expect([c.bytesIn, c.bytesOut]).toEqual([5, 2])
    expect([c.target!.bytesIn, c.target!.bytesOut]).toEqual([2, 5])
  })
})

describe('relay conversation without faults', () => {
  it('a forwarded chunk stands for both what was sent and what was delivered, and counts on both legs', () => {
    const fwd = (leg: 'client' | 'target', text: string, total: number): SocklabEvent => ({ ...data(leg, 'in', text, total), forwarded: true }) as SocklabEvent
    const events = [fwd('client', 'ping', 4), fwd('target', 'PONG!', 5)]
    for (const mode of ['sent', 'delivered'] as const) {
      expect(conversationOf(events, 'e1', 'c1', mode).map((i) => i.kind === 'chunk' && `${i.way}:${Buffer.from(i.data, 'base64')}`)).toEqual([
        'toTarget:ping',
        'toClient:PONG!',
      ])
    }
    const state = createLiveState()
    const model = new LiveModel(state, new LogRing<LogRow>(100))
    const pair = {
      id: 'c1',
      endpointId: 'e1',
      remote: { address: '127.0.0.1', port: 40000 },
      local: { address: '127.0.0.1', port: 7000 },
      state: 'open' as const,
      bytesIn: 0,
      bytesOut: 0,
      openedAt: 1,
      target: { remote: { address: '127.0.0.1', port: 9000 }, bytesIn: 0, bytesOut: 0 },
    }
    const stats = { connections: 1, totalConnections: 1, refused: 0, bytesIn: 0, bytesOut: 0 }
    model.handle({ type: 'welcome', serverId: 's', snapshotSeq: 0, oldestSeq: 1, endpoints: [{ id: 'e1', kind: 'tcp-relay', state: 'listening', options: {}, createdAt: 1, stats, connections: [pair] }], evicted: 0, resumed: false })
    model.handle({ type: 'events', events })
    const ep = state.endpoints[0]!
    const c = ep.connections[0]!
    expect([c.bytesIn, c.bytesOut, c.target!.bytesIn, c.target!.bytesOut]).toEqual([4, 5, 5, 4])
    expect([ep.stats.bytesIn, ep.stats.bytesOut]).toEqual([9, 9])
  })
})

describe('relay fault inputs', () => {
  it('sends only what was typed; a cleared input means off; no gap without a split', () => {
    expect(wayFaults({ latencyMs: 200, bytesPerSecond: '', splitBytes: '', splitGapMs: 20, coalesceMs: 0 })).toEqual({ latencyMs: 200, coalesceMs: 0 })
    expect(wayFaults({ latencyMs: '', bytesPerSecond: 1024, splitBytes: 4, splitGapMs: '', coalesceMs: '' })).toEqual({ bytesPerSecond: 1024, splitBytes: 4 })
    expect(wayModel({ splitBytes: 4, splitGapMs: 0 })).toEqual({ latencyMs: '', bytesPerSecond: '', splitBytes: 4, splitGapMs: 0, coalesceMs: '' })
  })
})
