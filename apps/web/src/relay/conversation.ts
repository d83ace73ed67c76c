import type { ConnectionState, RelayWay, Say, SocklabEvent } from '@socklab/shared'

/** One entry of a relay conversation: a chunk one way, or a line about the pair (fault, FIN, note). */
export type ConversationItem =
  | { kind: 'chunk'; seq: number; ts: number; way: RelayWay; size: number; data: string; injected: boolean }
  | {
      kind: 'line'
      seq: number
      ts: number
      text: string
      tone: 'fault' | 'state' | 'note' | 'error'
      state?: ConnectionState
      reason?: string
      /** A note's or fault's text as a key of the shared notes table, for the view to translate. */
      say?: Say
    }

/**
 * What a conversation shows: `sent` = what each side sent (read by the relay; injected bytes added),
 * `delivered` = what each side was given (written by the relay, after faults reshaped it; a chunk
 * `forwarded` unchanged counts as delivered the moment it was read).
 */
export type ConversationMode = 'sent' | 'delivered'

/** Build the conversation of one pair from its events, oldest first. */
export function conversationOf(events: Iterable<SocklabEvent>, endpointId: string, connectionId: string, mode: ConversationMode): ConversationItem[] {
  const out: ConversationItem[] = []
  for (const e of events) {
    if (e.endpointId !== endpointId || !('connectionId' in e) || e.connectionId !== connectionId) continue
    switch (e.type) {
      case 'data': {
        if (!e.leg) continue
        const injected = e.direction === 'out' && e.origin === 'inject'
        // A forwarded chunk was delivered as it was read: it stands for both views.
        const wanted = mode === 'sent' ? e.direction === 'in' || injected : e.direction === 'out' || e.forwarded === true
        if (!wanted) continue
        // Read from the client or written to the target: client→target.
        const way: RelayWay = (e.direction === 'in') === (e.leg === 'client') ? 'toTarget' : 'toClient'
        out.push({ kind: 'chunk', seq: e.seq, ts: e.ts, way, size: e.size, data: e.data, injected })
        break
      }
      case 'fault':
      case 'note':
        out.push({ kind: 'line', seq: e.seq, ts: e.ts, text: e.text, tone: e.type, ...(e.say ? { say: e.say } : {}) })
        break
      case 'error':
        out.push({ kind: 'line', seq: e.seq, ts: e.ts, text: `${e.error.code}: ${e.error.message}`, tone: 'error' })
        break
      case 'connection-state': {
        // `state` and `reason` apart too, so the view can put the state in the reader's language.
        const reason = e.reason ? `${e.reason.code}: ${e.reason.message}` : undefined
        out.push({ kind: 'line', seq: e.seq, ts: e.ts, text: reason ? `${e.state} — ${reason}` : e.state, tone: 'state', state: e.state, ...(reason ? { reason } : {}) })
        break
      }
      default:
        break
    }
  }
  return out
}
