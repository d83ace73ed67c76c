import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {
  bytesToHex,
  decodeBytes,
  type Address,
  type ConnectionInfo,
  type ErrorInfo,
  type SocklabEvent,
  type TrafficLogInfo,
  type TrafficLogState,
  type ViewEncoding,
} from '@socklab/shared'
import type { EventHub, StoredEvent } from './event-hub.ts'
import type { LogsFolder } from './logs-folder.ts'
import { describeFsError } from '../files/fs-errors.ts'
import { SocketError } from '../sockets/socket-error.ts'

/** Where traffic logs go and how big one may grow. */
export interface TrafficLogSettings {
  /** SOCKLAB_DATA/logs */
  dir: string
  maxBytes: number
  /** The folder's total and who writes which file (absent: no total, e.g. a logger on its own in a unit test). */
  folder?: LogsFolder
}

/** What the logger reads of its endpoint (an Endpoint has all of it). */
export interface LogSubject {
  readonly id: string
  readonly kind: string
  readonly options: { name?: string; port?: number; encoding?: string }
  readonly state: string
  readonly local?: Address
  readonly remote?: Address
  readonly connections: ReadonlyMap<string, { info(): ConnectionInfo }>
}

/** Events read from the history per pull. */
const BATCH_EVENTS = 500
/** Text handed to the file stream per write. */
const FLUSH_CHARS = 64 * 1024
/** The file stream's buffer: past this the logger stops pulling until it drains (and the sockets get the loop). */
const STREAM_BUFFER = 1024 * 1024
/** Gather events this long before pulling them (one write for a burst, not one per chunk). */
const BATCH_DELAY_MS = 20
/**
 * Formatting (text + hex) costs a few ms per 64 KiB on the sockets' thread: the logger works at most this long
 * at a time, then rests REST_MS, so under a flood it takes at most a quarter of the event loop and falls behind
 * (the LOST line) rather than slowing the sockets.
 */
const SLICE_MS = 5
const REST_MS = 15
/** Snapshots with the log's counts go out at most this often while it writes. */
const SNAPSHOT_EVERY_MS = 1000
/** Room kept under the cap (and per file being written, under the folder's total) for the line that says the log stopped there. */
export const STOP_LINE_RESERVE = 256

/**
 * One endpoint's traffic as a text file, one line per event (see `lineFor`). It reads the history hub the
 * way a live viewer does — a cursor, `subscribe`, `after` — so the sockets never wait for it: it pulls while
 * its file stream has room, and what the hub evicts before it got there is written as a LOST line and
 * counted. The file stops at `maxBytes`, or when the logs folder reaches its total, saying so on its last line.
 */
export class TrafficLogger {
  private state: TrafficLogState = 'on'
  private bytes = 0
  private events = 0
  private dropped = 0
  private error?: ErrorInfo
  private readonly startedAt = Date.now()
  private readonly unsubscribe: () => void
  private timer?: NodeJS.Timeout
  private waitingDrain = false
  /** Set when closing: log up to this seq, then end the file. */
  private endSeq?: number
  private closeLine?: string
  private lastEndpointState?: string
  /** Peer addresses of connections, as first seen (the endpoint forgets old closed ones). */
  private readonly peers = new Map<string, { client: string; target?: string }>()
  private snapshotTimer?: NodeJS.Timeout
  private lastSnapshot = 0
  private readonly encoding: ViewEncoding
  /** flush() calls waiting for the cursor to reach a seq. */
  private waiters: { seq: number; resolve: () => void }[] = []
  /** Settles when the last text handed to the stream is written. */
  private written: Promise<void> = Promise.resolve()
  /** Resolves once the file is closed (ended, full or failed). */
  readonly closed: Promise<void>

  private constructor(
    private readonly subject: LogSubject,
    private readonly hub: EventHub,
    private readonly stream: fs.WriteStream,
    readonly file: string,
    readonly path: string,
    private readonly maxBytes: number,
    private readonly folder: LogsFolder | undefined,
    private cursor: number,
    /** Called (throttled) when the counts or the state change, so viewers get a fresh snapshot. */
    private readonly onChange: () => void,
  ) {
    this.encoding = (subject.options.encoding ?? 'utf-8') as ViewEncoding
    this.closed = new Promise((resolve) => stream.once('close', () => resolve()))
    stream.on('error', (err) => this.fail(err))
    this.unsubscribe = hub.subscribe(() => this.schedule())
  }

  /**
   * Open a new file in `settings.dir` and log this endpoint's events after seq `from` (events already in the
   * history from then on are written first). Throws a SocketError when the file cannot be made.
   */
  static async open(subject: LogSubject, hub: EventHub, settings: TrafficLogSettings, from: number, onChange: () => void): Promise<TrafficLogger> {
    // Logging from an earlier seq (creation) also shows how the endpoint came up; from now, its state is in the header.
    const fromNow = from >= hub.headSeq
    // A full folder: refused before any file is made.
    settings.folder?.assertRoom()
    const { handle, file } = await createLogFile(settings.dir, subject)
    const stream = handle.createWriteStream({ highWaterMark: STREAM_BUFFER })
    const logger = new TrafficLogger(subject, hub, stream, file, path.join(settings.dir, file), settings.maxBytes, settings.folder, from, onChange)
    settings.folder?.opened(logger)
    if (fromNow) logger.lastEndpointState = subject.state
    logger.writeRaw(logger.header())
    logger.schedule(0)
    return logger
  }

  info(): TrafficLogInfo {
    return {
      state: this.state,
      file: this.file,
      bytes: this.bytes,
      events: this.events,
      dropped: this.dropped,
      maxBytes: this.maxBytes,
      startedAt: this.startedAt,
      ...(this.error ? { error: this.error } : {}),
    }
  }

  get active(): boolean {
    return this.state === 'on'
  }

  get endpointId(): string {
    return this.subject.id
  }

  /**
   * Write what happened up to now, then a last line (`closing`, if given) and close the file. No snapshot
   * goes out for it: the caller announces the endpoint (or its removal) itself.
   */
  async close(closing?: string): Promise<void> {
    if (this.state === 'on' && this.endSeq === undefined) {
      this.endSeq = this.hub.headSeq
      this.closeLine = closing
      this.pump()
    }
    await this.closed
  }

  /** Write everything recorded up to now to the file (a download then shows all of it). */
  async flush(): Promise<void> {
    const target = this.hub.headSeq
    if (this.state === 'on' && this.cursor < target) {
      await new Promise<void>((resolve) => {
        this.waiters.push({ seq: target, resolve })
        this.schedule(0)
      })
    }
    if (this.state !== 'on') return this.closed
    await this.written
  }

  private header(): string {
    const s = this.subject
    const label = s.options.name ? ` "${escapeText(s.options.name)}"` : ''
    const where = s.local ? ` on ${formatAddress(s.local)}` : ''
    const to = s.remote ? ` to ${formatAddress(s.remote)}` : ''
    return (
      `# socklab traffic log of ${s.id} (${s.kind}${label})${where}${to}; state ${s.state}; text shown as ${this.encoding}\n` +
      `# started ${localIso(this.startedAt)}; stops at ${this.maxBytes} bytes\n` +
      `# time, connection (or endpoint), <- received / -> sent / -- event / !! problem, peer, bytes, "text" | hex\n`
    )
  }

  private schedule(delay = BATCH_DELAY_MS) {
    if (this.timer || this.waitingDrain || this.state !== 'on') return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pump()
    }, delay)
  }

  /** Pull this endpoint's events from the hub and write them, while the stream takes them and the slice lasts. */
  private pump() {
    if (this.state !== 'on' || this.waitingDrain) return
    // Pumping now: a pump scheduled for later has nothing more to do.
    clearTimeout(this.timer)
    this.timer = undefined
    const hub = this.hub
    const id = this.subject.id
    const sliceEnd = performance.now() + SLICE_MS
    let text = ''
    let textBytes = 0
    const before = this.events
    const flush = (): boolean => {
      if (!text) return true
      const ok = this.writeRaw(text, textBytes)
      text = ''
      textBytes = 0
      return ok
    }
    /** Add a line unless it would pass the file's cap or the folder's total (then the log stops); false when it stopped. */
    const add = (line: string): boolean => {
      const size = Buffer.byteLength(line)
      if (this.bytes + textBytes + size > this.maxBytes - STOP_LINE_RESERVE) {
        flush()
        this.stop('full', `!! log stopped: it reached its size cap of ${this.maxBytes} bytes (SOCKLAB_TRAFFIC_LOG_MAX_BYTES); later traffic is not in this file`)
        return false
      }
      // room() already keeps this file's last line back.
      if (this.folder && textBytes + size > this.folder.room()) {
        flush()
        this.error = this.folder.stoppedError().toInfo()
        this.stop('folder-full', `!! log stopped: the logs folder reached its total of ${this.folder.maxTotalBytes} bytes (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES); later traffic is not in this file; delete old logs to log again`)
        return false
      }
      text += line
      textBytes += size
      return true
    }
    for (;;) {
      if (this.cursor < hub.oldestSeq - 1) {
        const lost = hub.oldestSeq - 1 - this.cursor
        this.dropped += lost
        this.cursor = hub.oldestSeq - 1
        const line = `${localIso(Date.now())} ${id} !! LOST: the log fell behind and the history dropped ${lost} events (seq ${this.cursor - lost + 1}–${this.cursor}, of every endpoint) before they were written\n`
        if (!add(line)) return
      }
      const limit = Math.min(hub.headSeq, this.endSeq ?? Infinity)
      if (this.cursor >= limit) break
      const batch = hub.after(this.cursor, BATCH_EVENTS, { endpointId: id, until: limit })
      for (const e of batch) {
        this.cursor = e.seq
        // Formatted at once: a data event's bytes are a view of the hub's memory, valid only until it evicts.
        const line = this.lineFor(e)
        if (line === undefined) continue
        if (!add(line)) return
        this.events++
        if (text.length >= FLUSH_CHARS && !flush()) return this.afterPump(before)
        if (performance.now() > sliceEnd) {
          if (!flush()) return this.afterPump(before)
          this.afterPump(before)
          // Closing (off, removed, shutdown) may not wait: only yield to the sockets' I/O.
          this.timer = setTimeout(() => {
            this.timer = undefined
            this.pump()
          }, this.endSeq === undefined ? REST_MS : 0)
          return
        }
      }
      // A short batch means the hub was read to its head: nothing of ours up to `limit` is left.
      if (batch.length < BATCH_EVENTS) this.cursor = Math.max(this.cursor, limit)
      if (!flush()) return this.afterPump(before)
    }
    if (this.endSeq !== undefined && this.cursor >= this.endSeq) {
      this.stop('off', this.closeLine ? `-- ${this.closeLine}` : undefined)
      return
    }
    this.afterPump(before)
  }

  private afterPump(eventsBefore: number) {
    if (this.events !== eventsBefore) this.changed()
    if (this.waiters.length) this.wake()
  }

  /** Resolve the flush() calls whose seq is written (all of them once the log no longer writes). */
  private wake() {
    const waiting = this.waiters
    this.waiters = []
    for (const w of waiting) {
      if (this.state !== 'on' || w.seq <= this.cursor) w.resolve()
      else this.waiters.push(w)
    }
  }

  /** Hand text to the stream; false when its buffer is full (the pump waits for 'drain'). */
  private writeRaw(text: string, size = Buffer.byteLength(text)): boolean {
    this.bytes += size
    this.folder?.added(size)
    let flowing = true
    this.written = new Promise((resolve) => (flowing = this.stream.write(text, () => resolve())))
    if (flowing) return true
    this.waitingDrain = true
    this.stream.once('drain', () => {
      this.waitingDrain = false
      this.pump()
    })
    return false
  }

  /** End the file with a last line; the state says why. */
  private stop(state: Exclude<TrafficLogState, 'on' | 'failed'>, lastLine?: string) {
    if (this.state !== 'on') return
    if (lastLine) this.writeRaw(`${localIso(Date.now())} ${this.subject.id} ${lastLine}\n`)
    this.state = state
    this.detach()
    this.stream.end()
    // Turned off: the caller announces the endpoint. Full: nobody asked, so say it now.
    if (state !== 'off') this.changed(true)
  }

  private fail(err: unknown) {
    if (this.state === 'failed') return
    const wasOn = this.state === 'on'
    this.state = 'failed'
    this.error = describeFsError(err, `logs/${this.file}`).toInfo()
    this.detach()
    this.stream.destroy()
    if (wasOn) this.changed(true)
  }

  private detach() {
    this.unsubscribe()
    clearTimeout(this.timer)
    this.timer = undefined
    clearTimeout(this.snapshotTimer)
    this.snapshotTimer = undefined
    this.wake()
  }

  /** Tell viewers the counts changed: at once for a state change, else at most once a second. */
  private changed(now = false) {
    if (this.endSeq !== undefined) return // closing: the caller announces the endpoint (or its removal)
    if (now) {
      clearTimeout(this.snapshotTimer)
      this.snapshotTimer = undefined
      this.lastSnapshot = Date.now()
      this.onChange()
      return
    }
    if (this.snapshotTimer) return
    const wait = Math.max(0, this.lastSnapshot + SNAPSHOT_EVERY_MS - Date.now())
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined
      this.lastSnapshot = Date.now()
      if (this.state === 'on') this.onChange()
    }, wait)
  }

  /** The line for one event, or undefined for events that say nothing new (snapshots with the same state, progress ticks). */
  private lineFor(stored: StoredEvent): string | undefined {
    const e = stored as unknown as SocklabEvent
    const at = localIso(e.ts)
    const who = ('connectionId' in e && e.connectionId) || this.subject.id
    const line = (mark: string, rest: string) => `${at} ${who} ${mark} ${escapeText(rest)}\n`
    switch (e.type) {
      case 'data': {
        const bytes = stored.bytes ?? Buffer.from(e.data ?? '', 'base64')
        const peer = e.peer ? formatAddress(e.peer) : e.connectionId ? this.peerOf(e.connectionId, e.leg) : '?'
        const leg = e.leg ? ` ${e.leg}` : ''
        const tags = [e.origin, e.forwarded ? `forwarded to ${e.leg === 'client' ? 'target' : 'client'}` : undefined].filter(Boolean)
        const origin = tags.length ? ` (${tags.join(', ')})` : ''
        const text = escapeText(decodeBytes(bytes, this.encoding), true)
        return `${at} ${who} ${e.direction === 'in' ? '<-' : '->'} ${peer}${leg} ${e.size} bytes${escapeText(origin)} "${text}" | ${bytesToHex(bytes)}\n`
      }
      case 'connection-opened': {
        const c = e.connection
        this.rememberPeer(e.connectionId, c)
        // A client dials out: who it is comes with the open state.
        if (!c.remote.port) return line('--', `connecting to ${this.subject.remote ? formatAddress(this.subject.remote) : '?'}`)
        const target = c.target ? `, connecting to the target ${formatAddress(c.target.remote)}` : ''
        return line('--', `${formatAddress(c.remote)} accepted on ${formatAddress(c.local)}${target}`)
      }
      case 'connection-state': {
        // Connecting taught the addresses (a client's open state, a relay pair's target leg): the peer from now on.
        if (e.remote) this.peers.set(e.connectionId, { client: formatAddress(e.remote) })
        const known = this.peers.get(e.connectionId)
        if (e.target && known) known.target = formatAddress(e.target.remote)
        const peer = this.peerOf(e.connectionId)
        const reason = e.reason ? ` (${e.reason.code}: ${e.reason.message})` : ''
        const target = this.peers.get(e.connectionId)?.target
        const what = e.state === 'open' && target ? `relaying ${peer} ⇄ ${target}` : describeConnectionState(e.state, peer)
        const from = e.local ? ` from ${formatAddress(e.local)}` : ''
        if (e.state === 'closed' || e.state === 'reset') this.peers.delete(e.connectionId)
        return line(e.state === 'reset' ? '!!' : '--', `${what}${from}${reason}`)
      }
      case 'endpoint': {
        const ep = e.endpoint
        if (ep.state === this.lastEndpointState) return undefined
        this.lastEndpointState = ep.state
        const err = ep.error && ep.state === 'failed' ? `: ${ep.error.code}: ${ep.error.message}` : ''
        return line(ep.state === 'failed' ? '!!' : '--', `${describeState(ep.state, ep.local, ep.remote)}${err}`)
      }
      case 'endpoint-removed':
        return line('--', 'stopped and removed')
      case 'error':
        return line('!!', `${e.error.code}: ${e.error.message}`)
      case 'note':
        return line('--', e.text)
      case 'fault':
        return line('--', `fault ${e.fault}: ${e.text}`)
      case 'http-request': {
        const file = e.file ? ` [${e.file}]` : ''
        const why = e.reason ? ` — ${e.reason}` : ''
        const aborted = e.aborted ? ' (the client went away first)' : ''
        return line('--', `HTTP ${e.method} ${e.url} → ${e.status} ${e.statusText}, ${e.bodyBytes} body bytes in ${Math.round(e.durationMs)} ms${file}${why}${aborted}`)
      }
      case 'transfer': {
        const t = e.transfer
        if (t.state === 'running' && t.bytesDone > 0) return undefined // progress ticks: the start and the end say it all
        const what = `transfer ${t.id} ${t.direction} "${t.name}" (${t.role} side)`
        if (t.state === 'running') return line('--', `${what} started${t.bytesTotal !== undefined ? `, ${t.bytesTotal} bytes announced` : ''}`)
        const sha = t.sha256 ? `, sha256 ${t.sha256}` : ''
        const err = t.error ? ` (${t.error.code}: ${t.error.message})` : ''
        return line(t.state === 'done' ? '--' : '!!', `${what} ${t.state}: ${t.bytesDone}${t.bytesTotal !== undefined ? ` of ${t.bytesTotal}` : ''} bytes${t.path ? ` → ${t.path}` : ''}${sha}${err}`)
      }
      default:
        return undefined
    }
  }

  private rememberPeer(connectionId: string, c: ConnectionInfo) {
    if (!c.remote.port) return // a client still connecting: its address comes with the open state
    this.peers.set(connectionId, { client: formatAddress(c.remote), ...(c.target ? { target: formatAddress(c.target.remote) } : {}) })
  }

  /** The peer of a connection (its target for the relay's target leg). */
  private peerOf(connectionId: string, leg?: string): string {
    let known = this.peers.get(connectionId)
    if (!known) {
      const c = this.subject.connections.get(connectionId)?.info()
      if (c) this.rememberPeer(connectionId, c)
      known = this.peers.get(connectionId)
    }
    // Unknown: a client's connection that never connected went where the endpoint dials.
    const fallback = !known && this.subject.remote ? formatAddress(this.subject.remote) : '?'
    return (leg === 'target' ? known?.target : known?.client) ?? fallback
  }
}

function describeConnectionState(state: string, peer: string): string {
  switch (state) {
    case 'open':
      return `connected to ${peer}`
    case 'fin-received':
      return `half-close: ${peer} sent FIN (it sends nothing more)`
    case 'fin-sent':
      return `half-close: FIN sent to ${peer} (socklab sends nothing more)`
    case 'closed':
      return `closed ${peer}`
    case 'reset':
      return `reset ${peer}`
    default:
      return `${state} ${peer}`
  }
}

function describeState(state: string, local?: Address, remote?: Address): string {
  switch (state) {
    case 'listening':
      return `listening on ${local ? formatAddress(local) : '?'}`
    case 'bound':
      return `bound to ${local ? formatAddress(local) : '?'}`
    case 'connecting':
      return `connecting to ${remote ? formatAddress(remote) : '?'}`
    case 'connected':
      return `connected to ${remote ? formatAddress(remote) : '?'}${local ? ` from ${formatAddress(local)}` : ''}`
    case 'not-listening':
      return 'stopped listening (connections keep going)'
    default:
      return state
  }
}

/** Every name `createLogFile` makes, and nothing else (the logs routes take no other name). */
export const LOG_FILE_NAME = /^e\d{1,9}-[a-z]+(?:-[a-z]+)*-\d{1,5}-\d{8}-\d{6}(?:-\d{1,3})?\.log$/

/** The logs folder, made if missing; a file in its place is said plainly. */
export async function ensureLogsDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new SocketError('ENOTDIR', `"logs" in the data folder is not a folder, so no traffic log can be written there`)
    throw describeFsError(err, 'logs')
  }
}

/** Make the file: `<id>-<kind>-<port>-<local time>.log`, never over an existing one. */
async function createLogFile(dir: string, s: LogSubject): Promise<{ handle: fsp.FileHandle; file: string }> {
  const stamp = localIso(Date.now()).slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
  const port = s.options.port || s.local?.port || s.remote?.port || 0
  const base = `${s.id}-${s.kind}-${port}-${stamp}`
  await ensureLogsDir(dir)
  try {
    for (let n = 1; ; n++) {
      const file = n === 1 ? `${base}.log` : `${base}-${n}.log`
      try {
        return { handle: await fsp.open(path.join(dir, file), 'wx'), file }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw err
      }
    }
  } catch (err) {
    throw describeFsError(err, `logs/${base}.log`)
  }
}

export function formatAddress(a: Address): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** ISO 8601 in the gateway's local time, with milliseconds and the UTC offset: `2025-06-01T17:30:00.123+08:00`. */
export function localIso(ts: number): string {
  const d = new Date(ts)
  const off = -d.getTimezoneOffset()
  const abs = Math.abs(off)
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `.${pad(d.getMilliseconds(), 3)}${off >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  )
}

// Control characters (C0, DEL, C1), line and paragraph separators, and bidi overrides would break the line or
// disguise it in `less`/a terminal; inside quotes, the quote and the backslash are escaped too.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_QUOTED = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"\\]/g
const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t', '"': '\\"', '\\': '\\\\' }

/** Text on one line: `\r` `\n` `\t` as such, other invisible characters as `\xNN` / `\uNNNN`. */
export function escapeText(text: string, quoted = false): string {
  return text.replace(quoted ? UNSAFE_QUOTED : UNSAFE, (c) => {
    const named = NAMED[c]
    if (named) return named
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
