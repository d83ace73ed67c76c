/**
 * People of a classroom talking to a real gateway the way browsers and scripts do: a session cookie
 * with the page's Origin (like the panel), or `Authorization: Bearer` (like curl). Used by the
 * gateway's access tests (in-process gateway) and by test/security (the built gateway as a process).
 */
import http from 'node:http'
import WebSocket from 'ws'
// Types only, by path: the e2e project has no dependency on the workspace package.
import type { ServerMessage, SocklabEvent } from '../../packages/shared/src/index.ts'

export interface ApiResult<T = any> {
  status: number
  body: T
  headers: Headers
}

export class Client {
  constructor(
    readonly baseUrl: string,
    /** Sent with every request and upgrade (Cookie + Origin for a browser, Authorization for a script). */
    readonly headers: Record<string, string> = {},
  ) {}

  static anonymous(baseUrl: string) {
    return new Client(baseUrl)
  }

  static bearer(baseUrl: string, token: string) {
    return new Client(baseUrl, { authorization: `Bearer ${token}` })
  }

  /** The instructor in a browser: token → session cookie. */
  static async instructor(baseUrl: string, token: string): Promise<Client> {
    const res = await new Client(baseUrl, { origin: baseUrl }).api('POST', '/api/auth/login', { token })
    return Client.fromLogin(baseUrl, res)
  }

  /** A student (or observer) in a browser: class code + name → session cookie. */
  static async join(baseUrl: string, code: string, name: string, role: 'student' | 'observer' = 'student'): Promise<Client> {
    const res = await new Client(baseUrl, { origin: baseUrl }).api('POST', '/api/auth/join', { code, name, role })
    return Client.fromLogin(baseUrl, res)
  }

  private static fromLogin(baseUrl: string, res: ApiResult): Client {
    const cookie = res.headers.get('set-cookie')
    if (res.status >= 300 || !cookie) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`)
    return new Client(baseUrl, { cookie: cookie.split(';')[0]!, origin: baseUrl })
  }

  get user(): string {
    return this.headers.cookie ?? this.headers.authorization ?? 'anonymous'
  }

  with(headers: Record<string, string | undefined>): Client {
    const merged: Record<string, string> = { ...this.headers }
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined) delete merged[k]
      else merged[k] = v
    }
    return new Client(this.baseUrl, merged)
  }

  async api<T = any>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...this.headers, ...extra }
    if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
      redirect: 'manual',
    })
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers }
  }

  get wsUrl(): string {
    return this.baseUrl.replace(/^http/, 'ws') + '/api/events'
  }

  /** Open /api/events with this client's headers (plus `extra`); rejects with UpgradeRefused if the gateway says no. */
  openSocket(extra: Record<string, string | undefined> = {}): Promise<Viewer> {
    const headers = this.with(extra).headers
    const { origin, ...rest } = headers
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsUrl, { headers: rest, ...(origin ? { origin } : {}) })
      const viewer = new Viewer(ws)
      ws.once('open', () => resolve(viewer))
      ws.once('unexpected-response', (_req, res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d))
        res.on('end', () => {
          ws.terminate()
          reject(new UpgradeRefused(res.statusCode ?? 0, text))
        })
      })
      ws.once('error', (err) => reject(err))
    })
  }
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused with ${status}: ${body}`)
  }
  get code(): string | undefined {
    try {
      return JSON.parse(this.body).error.code
    } catch {
      return undefined
    }
  }
}

/** One viewer's WebSocket: every message kept, waits woken by arrivals (no polling, bounded deadlines). */
export class Viewer {
  messages: ServerMessage[] = []
  events: SocklabEvent[] = []
  closeInfo?: { code: number; reason: string; at: number }
  readonly closed: Promise<{ code: number; reason: string; at: number }>
  private waiters = new Set<() => void>()

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage
      this.messages.push(msg)
      if (msg.type === 'events') this.events.push(...msg.events)
      this.wake()
    })
    ws.on('error', () => {})
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString(), at: Date.now() }
        this.wake()
        resolve(this.closeInfo)
      }),
    )
  }

  private wake() {
    for (const w of [...this.waiters]) w()
  }

  send(message: unknown) {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message))
  }

  async hello() {
    const from = this.messages.length
    this.send({ type: 'hello' })
    return (await this.waitFor(() => this.messages.slice(from).find((m) => m.type === 'welcome'), 'welcome')) as Extract<ServerMessage, { type: 'welcome' }>
  }

  errors() {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error')
  }

  waitFor<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const finish = (fn: () => void) => {
        clearTimeout(timer)
        this.waiters.delete(test)
        fn()
      }
      const test = () => {
        const v = check()
        if (v) return finish(() => resolve(v))
        if (this.closeInfo) finish(() => reject(new Error(`socket closed (${this.closeInfo!.code}) while waiting for ${what}`)))
      }
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs)
      this.waiters.add(test)
      test()
    })
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
  }
}

/** A request with headers fetch will not send as given (Host), over a plain http socket. */
export function rawRequest(baseUrl: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  const u = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: Number(u.port), method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: !opts.headers?.host },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}
