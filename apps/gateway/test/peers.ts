/**
 * Real peers for gateway tests: plain `net`/`dgram` sockets on loopback and small Python programs.
 * Everything waits on events (data, end, close, hub notifications) with a bounded deadline — no sleeps.
 */
import net from 'node:net'
import dgram from 'node:dgram'
import { spawn, type ChildProcess } from 'node:child_process'
import WebSocket from 'ws'
import { SocklabEventSchema, validate, type ServerMessage, type SocklabEvent } from '@socklab/shared'
import { toWire } from '../src/events/event-hub.ts'
import type { TestGateway } from './helper.ts'

export const LOOPBACK = '127.0.0.1'

/** Things a test opened, closed in reverse order afterwards (also when the test failed). */
export class Cleanup {
  private fns: (() => unknown)[] = []
  add<T>(value: T, close: (v: T) => unknown): T {
    this.fns.push(() => close(value))
    return value
  }
  async run() {
    const fns = this.fns.reverse()
    this.fns = []
    for (const fn of fns) await Promise.resolve().then(fn).catch(() => {})
  }
}

/** Resolve once `check` returns something truthy; re-check whenever `subscribe` signals, else every 5 ms. */
export function waitFor<T>(
  check: () => T | undefined | null | false,
  what: string,
  opts: { timeoutMs?: number; subscribe?: (wake: () => void) => () => void } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000
  return new Promise<T>((resolve, reject) => {
    let done = false
    let poll: NodeJS.Timeout | undefined
    let unsubscribe: (() => void) | undefined
    const finish = (fn: () => void) => {
      done = true
      clearTimeout(deadline)
      clearInterval(poll)
      unsubscribe?.()
      fn()
    }
    const test = () => {
      if (done) return
      let v: T | undefined | null | false
      try {
        v = check()
      } catch (err) {
        return finish(() => reject(err))
      }
      if (v) finish(() => resolve(v as T))
    }
    const deadline = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs)
    if (opts.subscribe) unsubscribe = opts.subscribe(test)
    else poll = setInterval(test, 5)
    test()
  })
}

/** The wire form of every event of one endpoint (or all), straight from the gateway's hub. */
export function eventsOf(gw: TestGateway, endpointId?: string): SocklabEvent[] {
  return gw.hub.after(0, Infinity, endpointId ? (e) => e.endpointId === endpointId : undefined).map(toWire)
}

/** Wait until the endpoint's events satisfy `check`; woken by the hub, not by polling. */
export function waitForEvents<T>(
  gw: TestGateway,
  endpointId: string,
  check: (events: SocklabEvent[]) => T | undefined | null | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  return waitFor(() => check(eventsOf(gw, endpointId)), what, { timeoutMs, subscribe: (wake) => gw.hub.subscribe(wake) }).catch((err) => {
    const tail = eventsOf(gw, endpointId)
      .slice(-8)
      .map((e) => JSON.stringify(e).slice(0, 200))
      .join('\n  ')
    throw new Error(`${err.message}\n last events of ${endpointId}:\n  ${tail}`)
  })
}

export function waitForEvent<E extends SocklabEvent = SocklabEvent>(
  gw: TestGateway,
  endpointId: string,
  match: (e: SocklabEvent) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<E> {
  return waitForEvents(gw, endpointId, (events) => events.find(match) as E | undefined, what, timeoutMs)
}

export const isData = (direction: 'in' | 'out') => (e: SocklabEvent): e is Extract<SocklabEvent, { type: 'data' }> =>
  e.type === 'data' && e.direction === direction
export const stateOf = (connectionId: string, state: string) => (e: SocklabEvent) =>
  e.type === 'connection-state' && e.connectionId === connectionId && e.state === state

/** Concatenated payload of the data events in one direction (optionally one connection). */
export function dataBytes(events: SocklabEvent[], direction: 'in' | 'out', connectionId?: string): Buffer {
  return Buffer.concat(
    events
      .filter((e) => e.type === 'data' && e.direction === direction && (!connectionId || e.connectionId === connectionId))
      .map((e) => Buffer.from((e as { data: string }).data, 'base64')),
  )
}

/** Every wire event matches the shared schema, seq increases, data events carry consistent sizes. */
export function assertWellFormed(events: SocklabEvent[]) {
  let last = 0
  for (const e of events) {
    const checked = validate(SocklabEventSchema, e)
    if (!checked.ok) throw new Error(`event ${JSON.stringify(e).slice(0, 300)} breaks the schema: ${checked.error.message}`)
    if (!(e.seq > last)) throw new Error(`seq ${e.seq} after ${last}: not increasing`)
    last = e.seq
    if (!(e.ts > 1.6e12)) throw new Error(`event ${e.seq} has no usable ts (${e.ts})`)
    if (e.type === 'data') {
      const carried = Buffer.from(e.data, 'base64').length
      // A live viewer over its payload budget gets a preview (truncated), never more bytes than `size`.
      if (e.truncated ? !(carried < e.size) : carried !== e.size) throw new Error(`data event ${e.seq}: size ${e.size} but carries ${carried} bytes (truncated: ${e.truncated})`)
      if (!e.connectionId && !e.peer) throw new Error(`data event ${e.seq} names neither a connection nor a peer`)
    }
  }
}

/** A plain TCP client peer that gathers what it receives. */
export class TcpPeer {
  private chunks: Buffer[] = []
  /** Bytes received so far (cheap to check on every chunk, unlike `received`). */
  length = 0
  private waiters = new Set<() => void>()
  endedFlag = false
  closedFlag = false
  error?: NodeJS.ErrnoException
  readonly ended: Promise<void>
  readonly closed: Promise<void>

  constructor(readonly socket: net.Socket) {
    socket.on('data', (c) => {
      this.chunks.push(c)
      this.length += c.length
      this.wake()
    })
    socket.on('error', (err) => {
      this.error = err
      this.wake()
    })
    this.ended = new Promise((resolve) =>
      socket.once('end', () => {
        this.endedFlag = true
        this.wake()
        resolve()
      }),
    )
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true
        this.wake()
        resolve()
      }),
    )
  }

  /** Connect to host:port; rejects with the socket error (ECONNREFUSED…). `allowHalfOpen` keeps our side open after the peer's FIN. */
  static connect(port: number, opts: { host?: string; allowHalfOpen?: boolean } = {}): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host ?? LOOPBACK, port, allowHalfOpen: opts.allowHalfOpen ?? false })
      const peer = new TcpPeer(socket)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(peer)
      })
      socket.once('error', reject)
    })
  }

  private wake() {
    for (const w of this.waiters) w()
  }

  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)]
    return this.chunks[0] ?? Buffer.alloc(0)
  }
  text(encoding: BufferEncoding = 'utf8'): string {
    return this.received.toString(encoding)
  }
  /** Forget what was received so far (to wait for the next answer). */
  clear() {
    this.chunks = []
    this.length = 0
  }

  /** Wait until `check(received)` holds; fails early if the connection closes without it. */
  waitFor(check: (received: Buffer) => boolean, what: string, timeoutMs = 5000): Promise<Buffer> {
    return this.waitUntil(() => check(this.received), what, timeoutMs).then(() => this.received)
  }
  private waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (check()) return finish(() => resolve())
        if (this.closedFlag) finish(() => reject(new Error(`connection closed while waiting for ${what}; got ${this.length} bytes: ${JSON.stringify(this.received.subarray(0, 200).toString())}`)))
      }
      const finish = (fn: () => void) => {
        clearTimeout(timer)
        this.waiters.delete(test)
        fn()
      }
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${what}; got ${this.length} bytes: ${JSON.stringify(this.received.subarray(0, 200).toString())}`))),
        timeoutMs,
      )
      this.waiters.add(test)
      test()
    })
  }
  waitForText(text: string, timeoutMs?: number) {
    return this.waitFor((b) => b.toString('utf8').includes(text), JSON.stringify(text), timeoutMs)
  }
  /** Wait for at least n bytes; checks only the count while waiting (bulk transfers stay linear). */
  async waitForBytes(n: number, timeoutMs = 5000): Promise<Buffer> {
    await this.waitUntil(() => this.length >= n, `${n} bytes`, timeoutMs)
    return this.received
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())))
  }
  /** Send FIN (half-close), like `shutdown(SHUT_WR)`. */
  end() {
    this.socket.end()
  }
  destroy() {
    this.socket.destroy()
    return this.closed
  }
}

/** A plain UDP socket bound to loopback that queues the datagrams it receives. */
export class UdpPeer {
  private queue: { msg: Buffer; rinfo: dgram.RemoteInfo }[] = []
  private waiter?: () => void
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      this.queue.push({ msg, rinfo })
      this.waiter?.()
    })
  }
  static async bind(): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4')
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(0, LOOPBACK, () => resolve())
    })
    return new UdpPeer(socket)
  }
  get port(): number {
    return this.socket.address().port
  }
  send(data: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, LOOPBACK, (err) => (err ? reject(err) : resolve())))
  }
  /** The next datagram received (in order), or a timeout error. */
  next(timeoutMs = 5000): Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo }> {
    const ready = this.queue.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        reject(new Error(`no datagram within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiter = () => {
        clearTimeout(timer)
        this.waiter = undefined
        resolve(this.queue.shift()!)
      }
    })
  }
  get pending(): number {
    return this.queue.length
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }
}

/** A port that was just free: bind, read it, close (nothing listens there afterwards). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface PythonRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Run a Python program to completion with stdin fed, bounded by `timeoutMs` (killed after). */
export function runPython(args: string[], opts: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-u', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONIOENCODING: 'utf-8' } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`python3 ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 10_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, opts.timeoutMs ?? 10_000)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(opts.stdin ?? '')
  })
}

export interface PythonServer {
  port: number
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/** Start a Python server that prints its port on the first stdout line after binding port 0. */
export function spawnPythonServer(args: string[], timeoutMs = 10_000): Promise<PythonServer> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-u', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONIOENCODING: 'utf-8' } })
    let out = ''
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await exited
      }
    }
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`python3 ${args.join(' ')} printed no port within ${timeoutMs} ms: ${out}`))
    }, timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d
      const m = out.match(/^(\d+)\s*\n/)
      if (m) {
        clearTimeout(timer)
        resolve({ port: Number(m[1]), child, output: () => out, stop })
      }
    })
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`python3 ${args.join(' ')} exited with ${code}: ${out}`))
    })
  })
}

/** POST /api/endpoints and insist on 201; returns the endpoint detail. */
export async function createEndpoint(gw: TestGateway, body: Record<string, unknown>): Promise<any> {
  const res = await gw.api('POST', '/api/endpoints', body)
  if (res.status !== 201) throw new Error(`create ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

/** The gateway's id for the connection a TcpPeer made (matched by the peer's local port). */
export async function connectionIdOf(gw: TestGateway, endpointId: string, peer: TcpPeer): Promise<string> {
  const port = peer.socket.localPort
  const e = await waitForEvent(gw, endpointId, (e) => e.type === 'connection-opened' && e.connection.remote.port === port, `connection from port ${port}`)
  return (e as Extract<SocklabEvent, { type: 'connection-opened' }>).connectionId
}

/** A viewer of /api/events over a real WebSocket: keeps every message, and every event in arrival order. */
export class WsViewer {
  messages: ServerMessage[] = []
  events: SocklabEvent[] = []
  private waiters = new Set<() => void>()
  closeInfo?: { code: number; reason: string }
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as ServerMessage
      this.messages.push(msg)
      if (msg.type === 'events') this.events.push(...msg.events)
      this.wake()
    })
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() }
        this.wake()
        resolve(this.closeInfo)
      }),
    )
  }

  static open(url: string): Promise<WsViewer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      const viewer = new WsViewer(ws)
      ws.once('open', () => resolve(viewer))
      ws.once('error', reject)
    })
  }

  private wake() {
    for (const w of this.waiters) w()
  }

  send(message: unknown) {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }
  /** hello, then wait for the welcome. */
  async hello(after?: number, serverId?: string) {
    const from = this.messages.length
    this.send({ type: 'hello', ...(after !== undefined ? { after } : {}), ...(serverId ? { serverId } : {}) })
    return (await this.waitFor(() => this.messages.slice(from).find((m) => m.type === 'welcome'), 'welcome')) as Extract<ServerMessage, { type: 'welcome' }>
  }
  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as never
  }
  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0
  }

  /** Wait until `check()` is truthy; woken by each message; fails early if the socket closes. */
  waitFor<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const test = () => {
        const v = check()
        if (v) return finish(() => resolve(v))
        if (this.closeInfo) finish(() => reject(new Error(`socket closed (${this.closeInfo!.code}) while waiting for ${what}`)))
      }
      const finish = (fn: () => void) => {
        clearTimeout(timer)
        this.waiters.delete(test)
        fn()
      }
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(this.messages.at(-1))?.slice(0, 300)}`))), timeoutMs)
      this.waiters.add(test)
      test()
    })
  }
  /** The next message of a type received after `fromIndex`. */
  next<T extends ServerMessage['type']>(type: T, fromIndex: number, what = type): Promise<Extract<ServerMessage, { type: T }>> {
    return this.waitFor(() => this.messages.slice(fromIndex).find((m) => m.type === type), what) as never
  }
  close() {
    if (!this.closeInfo) this.ws.close()
    return this.closed
  }
}
