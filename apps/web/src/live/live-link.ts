import type { ClientMessage, ServerMessage } from '@socklab/shared'
import { DEFAULT_RECONNECT_POLICY, reconnectDelay, type ReconnectPolicy } from './reconnect-policy.ts'

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline'
export interface LinkStatus {
  state: LinkState
  /** Which try this is since the link was last open (0 while connected). */
  attempt: number
}

export interface LiveLinkOptions {
  url: string
  /** The first message on every new socket (resume point). */
  hello: () => ClientMessage
  onMessage: (msg: ServerMessage) => void
  onStatus: (status: LinkStatus) => void
  policy?: ReconnectPolicy
  /** Ping this often; a link silent for 2.5× this long is treated as dead. */
  heartbeatMs?: number
  createSocket?: (url: string) => WebSocket
}

/**
 * The panel's WebSocket to /api/events: hello on open, reconnect with backoff on drop, heartbeat to
 * notice a dead link. Knows nothing about what the messages mean (LiveModel does).
 */
export class LiveLink {
  private ws?: WebSocket
  private attempt = 0
  private everOpen = false
  private stopped = true
  private held = false
  private retryTimer?: ReturnType<typeof setTimeout>
  private heartbeatTimer?: ReturnType<typeof setInterval>
  private lastHeard = 0
  private readonly policy: ReconnectPolicy
  private readonly heartbeatMs: number

  constructor(private readonly opts: LiveLinkOptions) {
    this.policy = opts.policy ?? DEFAULT_RECONNECT_POLICY
    this.heartbeatMs = opts.heartbeatMs ?? 15_000
  }

  start() {
    if (!this.stopped) return
    this.stopped = false
    this.open()
  }

  stop() {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.stopHeartbeat()
    const ws = this.ws
    this.ws = undefined
    ws?.close(1000, 'panel closed')
  }

  /** Try now instead of waiting (a "retry" click, or the browser coming back online). */
  retryNow() {
    if (this.stopped || this.ws) return
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.held = false
    if (this.attempt === 0 || this.attempt > this.policy.maxTries) this.attempt = 1
    this.open()
  }

  /** Test hook: drop the link as a network failure would; with `hold`, stay down until `release()`. */
  drop(hold = false) {
    this.held = hold
    this.lostLink()
  }

  release() {
    this.held = false
    if (!this.stopped && !this.ws && !this.retryTimer) this.open()
  }

  private status(state: LinkState) {
    this.opts.onStatus({ state, attempt: state === 'connected' ? 0 : this.attempt })
  }

  private open() {
    this.retryTimer = undefined
    this.status(this.everOpen || this.attempt > 0 ? 'reconnecting' : 'connecting')
    let ws: WebSocket
    try {
      ws = this.opts.createSocket ? this.opts.createSocket(this.opts.url) : new WebSocket(this.opts.url)
    } catch {
      return this.scheduleRetry()
    }
    this.ws = ws
    ws.onopen = () => {
      if (ws !== this.ws) return
      this.attempt = 0
      this.everOpen = true
      this.lastHeard = Date.now()
      ws.send(JSON.stringify(this.opts.hello()))
      this.status('connected')
      this.startHeartbeat()
    }
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return
      this.lastHeard = Date.now()
      let msg: ServerMessage
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage
      } catch {
        return
      }
      this.opts.onMessage(msg)
    }
    // 'error' is always followed by 'close'; handle the drop once, there.
    ws.onclose = () => {
      if (ws === this.ws) this.lostLink()
    }
  }

  private lostLink() {
    const ws = this.ws
    this.ws = undefined
    this.stopHeartbeat()
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close()
    }
    if (!this.stopped) this.scheduleRetry()
  }

  private scheduleRetry() {
    this.attempt++
    if (this.attempt > this.policy.maxTries) return this.status('offline')
    this.status('reconnecting')
    if (this.held) return
    this.retryTimer = setTimeout(() => this.open(), reconnectDelay(this.policy, this.attempt))
  }

  private startHeartbeat() {
    this.stopHeartbeat()
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws
      if (!ws || ws.readyState !== WebSocket.OPEN) return
      if (Date.now() - this.lastHeard > this.heartbeatMs * 2.5) return this.lostLink()
      ws.send(JSON.stringify({ type: 'ping' } satisfies ClientMessage))
    }, this.heartbeatMs)
  }

  private stopHeartbeat() {
    clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = undefined
  }
}
