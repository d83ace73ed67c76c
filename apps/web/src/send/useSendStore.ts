import { defineStore } from 'pinia'
import { reactive, shallowRef } from 'vue'
import type { Address, ChecksumKind, LineEnding, SendEncoding } from '@socklab/shared'

/** What is typed in one endpoint's send box; kept per endpoint so switching endpoints loses nothing. */
export interface SendDraft {
  data: string
  encoding: SendEncoding
  lineEnding: LineEnding
  /** TCP server: a connection id, or 'all'. */
  connection: string
  /** UDP destination. */
  toHost: string
  toPort: number | ''
  /** Check bytes appended before the line ending. */
  checksum: ChecksumKind
  /** Timed resend: on/off, every N ms, × count ('' = until stopped). */
  repeat: boolean
  repeatIntervalMs: number | ''
  repeatCount: number | ''
}

export const useSendStore = defineStore('send', () => {
  const drafts = reactive(new Map<string, SendDraft>())
  /** Bumped when something (a reply button) wants the send box focused. */
  const focusRequest = shallowRef(0)

  function draft(endpointId: string, defaults?: Partial<SendDraft>): SendDraft {
    let d = drafts.get(endpointId)
    if (!d) {
      drafts.set(endpointId, {
        data: '',
        encoding: 'utf-8',
        lineEnding: 'none',
        connection: 'all',
        toHost: '127.0.0.1',
        toPort: '',
        checksum: 'none',
        repeat: false,
        repeatIntervalMs: 1000,
        repeatCount: '',
        ...defaults,
      })
      d = drafts.get(endpointId)!
    }
    return d
  }

  return {
    draft,
    focusRequest,
    /** "Reply" on an incoming datagram: address the next send to its sender. */
    replyTo(endpointId: string, peer: Address) {
      const d = draft(endpointId)
      d.toHost = peer.address
      d.toPort = peer.port
      focusRequest.value++
    },
    /** Address the next send to one connection of a TCP server. */
    target(endpointId: string, connectionId: string) {
      draft(endpointId).connection = connectionId
      focusRequest.value++
    },
    forget(endpointId: string) {
      drafts.delete(endpointId)
    },
  }
})
