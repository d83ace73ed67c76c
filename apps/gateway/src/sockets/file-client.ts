import net from 'node:net'
import { DEFAULT_RECEIVE_FOLDER, FILE_SEPARATOR, say, type ErrorInfo, type FileClientOptions, type TransferInfo } from '@socklab/shared'
import { FilesArea, tooLarge, type OpenedFile } from '../files/files-area.ts'
import { describeFsError } from '../files/fs-errors.ts'
import type { IncomingFile } from '../files/incoming-file.ts'
import { baseName, checkFileName } from '../files/safe-path.ts'
import { Endpoint } from './endpoint.ts'
import { TcpConnection, addressOf } from './tcp-connection.ts'
import { connectTcpConnection } from './connect.ts'
import { describeError } from './socket-error.ts'
import { Transfer, receiveChunk, recordProtocol, saveReceived, sendFile, sendProtocol, type TransferSource } from './transfer.ts'

const SEPARATOR_BYTES = Buffer.from(FILE_SEPARATOR)
/** The tutorial client reads the header with one recv(1024); we wait for at most that much to find it. */
const MAX_HEADER_BYTES = 1024
/** Kept of a refusal (`-1<SEPARATOR>…`) to show why. */
const MAX_REFUSAL_BYTES = 4096

/**
 * Which split of `0<SEPARATOR>{digits}{rest}` is the real size, once the stream has ended: a server that
 * sends header and file back to back lets the size digits run into the file's first bytes. The split k
 * must satisfy k + size(k) = digits + rest; the longest such k wins (the usual case: no file digits).
 */
export function splitSizeDigits(digits: string, restBytes: number): number | undefined {
  for (let k = digits.length; k >= 1; k--) {
    if (digits.length - k + restBytes === Number(digits.slice(0, k))) return k
  }
  return undefined
}

/**
 * The gateway as the tutorial's client: download a named file from a download server into the files
 * area, or upload a file from the files area to an upload server. One transfer per endpoint; the
 * endpoint stays afterwards (closed or failed) so the class can read the traffic and the result.
 */
export class FileClientEndpoint extends Endpoint<FileClientOptions> implements TransferSource {
  private readonly area = new FilesArea(this.ctx.filesRoot)
  private conn?: TcpConnection
  transfer?: Transfer
  private job?: Promise<void>

  transfers(): TransferInfo[] {
    return this.transfer ? [{ ...this.transfer.info }] : []
  }

  async start() {
    const o = this.options
    // Check our side first: nothing goes on the wire for a file we cannot read or a name we cannot save.
    if (o.direction === 'upload') {
      const file = await this.area.openRead(FilesArea.join(o.folder ?? '', o.file), 'file')
      try {
        await this.connect()
      } catch (err) {
        await file.handle.close()
        throw err
      }
      this.job = this.upload(this.conn!, file)
    } else {
      const saveAs = checkFileName(o.as ?? baseName(o.file), o.as ? 'as' : 'file')
      const folder = (await this.area.ensureFolder(o.folder ?? DEFAULT_RECEIVE_FOLDER, 'folder')).rel
      await this.connect()
      this.job = this.download(this.conn!, folder, saveAs)
    }
    void this.job.catch((err) => this.emit({ type: 'error', error: describeError(err).toInfo() }))
  }

  private onData?: (chunk: Buffer) => void

  private async connect() {
    const { host, port } = this.options
    const timeoutMs = this.options.timeoutMs ?? 10_000
    this.remote = addressOf(host, port)
    this.setState('connecting')
    const socket = new net.Socket({ allowHalfOpen: true })
    const conn = new TcpConnection(this, socket, { record: false, halfOpen: true, state: 'connecting', onData: (c) => this.onData?.(c) })
    this.conn = conn
    await connectTcpConnection(conn, { host, port, timeoutMs })
    // The protocol has no keep-alive: silence this long means the peer is stuck.
    socket.setTimeout(timeoutMs, () => {
      conn.reason = { code: 'ETIMEDOUT', message: `nothing from ${host}:${port} for ${timeoutMs} ms` }
      conn.destroy()
    })
    this.setState('connected')
  }

  private newTransfer(conn: TcpConnection, init: { name: string; path?: string; bytesTotal?: number }): Transfer {
    this.transfer = new Transfer(this, { direction: this.options.direction, role: 'client', peer: conn.remote, connectionId: conn.id, ...init })
    return this.transfer
  }

  /** The endpoint shows how it ended: closed after a good transfer, failed (with why) otherwise. */
  private async settle(conn: TcpConnection, t: Transfer) {
    if (conn.isOpen) conn.end()
    await conn.closed
    if (t.running) t.finish('failed', { error: conn.reason ?? { code: 'ECONNRESET', message: 'the connection closed mid-transfer' } })
    if (this.state === 'closed' || this.state === 'failed') return
    if (t.info.state === 'done') this.setState('closed')
    else this.setState('failed', t.info.error)
  }

  private async upload(conn: TcpConnection, file: OpenedFile) {
    const wireName = this.options.as ?? baseName(file.rel)
    const t = this.newTransfer(conn, { name: wireName, path: file.rel, bytesTotal: file.size })
    if (!sendProtocol(conn, Buffer.from(`${wireName}${FILE_SEPARATOR}${file.size}`))) {
      await file.handle.close()
      return this.settle(conn, t)
    }
    // Wait for the server's reply (any bytes: the tutorial sends "ok"); a refusal is `-1<SEPARATOR>reason`.
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      this.onData = (chunk) => {
        this.onData = undefined
        resolve(chunk)
      }
      void conn.closed.then(() => resolve(undefined))
      conn.socket.once('end', () => resolve(undefined))
    })
    if (!reply) {
      await file.handle.close()
      t.finish('failed', { error: conn.reason ?? { code: 'EPROTO', message: 'the server closed the connection without replying to the header' } })
      return this.settle(conn, t)
    }
    recordProtocol(conn, 'in', reply)
    if (reply.subarray(0, 2 + SEPARATOR_BYTES.length).equals(Buffer.concat([Buffer.from('-1'), SEPARATOR_BYTES]))) {
      await file.handle.close()
      const why = reply.subarray(2 + SEPARATOR_BYTES.length).toString('utf8')
      t.finish('failed', { error: { code: 'EREFUSED', message: `the server refused the upload: ${why}` } })
      return this.settle(conn, t)
    }
    await sendFile(conn, file, t)
    await this.settle(conn, t)
  }

  private async download(conn: TcpConnection, folder: string, saveAs: string) {
    const requested = this.options.file
    const t = this.newTransfer(conn, { name: requested })
    const cap = Math.min(this.options.maxBytes ?? Infinity, this.area.maxFileBytes)
    sendProtocol(conn, Buffer.from(requested, 'utf8'))

    let phase: 'header' | 'refused' | 'opening' | 'receiving' | 'saving' | 'over' = 'header'
    let pending = Buffer.alloc(0)
    let digits = ''
    let file: IncomingFile | undefined
    let finished!: () => void
    const over = new Promise<void>((resolve) => (finished = resolve))

    const fail = async (error: ErrorInfo, keep: boolean) => {
      if (phase === 'over') return
      phase = 'over'
      conn.destroy()
      const saved = file && keep ? await file.keepIncomplete(saveAs).catch(() => undefined) : undefined
      if (!saved) await file?.discard()
      t.finish(saved ? 'incomplete' : 'failed', { error, ...(saved ? { path: saved.rel, sha256: saved.sha256 } : {}) })
      finished()
    }

    const write = (chunk: Buffer) => {
      if (!file || chunk.length === 0) return
      if (file.wouldExceed(chunk.length)) return void fail(tooLarge(undefined, file.maxBytes).toInfo(), false)
      if (file.bytes + chunk.length > Number(digits)) {
        return void fail({ code: 'EPROTO', message: `the server sent more than the ${digits} bytes it announced` }, true)
      }
      try {
        receiveChunk(conn, file, t, chunk)
      } catch (err) {
        void fail(describeFsError(err, saveAs).toInfo(), false)
      }
    }

    const onHeader = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      const at = pending.indexOf(SEPARATOR_BYTES)
      if (at < 0) {
        if (pending.length >= MAX_HEADER_BYTES) {
          recordProtocol(conn, 'in', pending)
          void fail({ code: 'EPROTO', message: `no ${FILE_SEPARATOR} in the server's first ${pending.length} bytes` }, false)
        }
        return
      }
      const flag = pending.subarray(0, at).toString('latin1')
      const after = pending.subarray(at + SEPARATOR_BYTES.length)
      if (flag === '-1') {
        recordProtocol(conn, 'in', pending)
        phase = 'refused'
        pending = after
        return
      }
      let n = 0
      while (n < after.length && n < 20 && after[n]! >= 0x30 && after[n]! <= 0x39) n++
      if (flag !== '0' || (n === 0 && after.length > 0)) {
        recordProtocol(conn, 'in', pending)
        return void fail({ code: 'EPROTO', message: `the server's answer does not start with 0${FILE_SEPARATOR}{size} or -1${FILE_SEPARATOR}: "${pending.subarray(0, 60).toString('utf8')}"` }, false)
      }
      if (n === 0) return // the size has not arrived yet
      digits = after.subarray(0, n).toString('latin1')
      recordProtocol(conn, 'in', pending.subarray(0, at + SEPARATOR_BYTES.length + n))
      const tail = after.subarray(n)
      pending = Buffer.alloc(0)
      t.set({ bytesTotal: Number(digits) })
      // With nothing after the digits the size is certain: refuse an oversized file before receiving it.
      if (tail.length === 0 && Number(digits) > cap) return void fail(tooLarge(Number(digits), cap, 'maxBytes').toInfo(), false)
      phase = 'opening'
      conn.socket.pause()
      this.area
        .receive(folder, cap)
        .then((f) => {
          file = f
          t.set({ path: `${folder}/${saveAs}` })
          void f.failed.then((e) => (phase === 'receiving' ? fail(e.toInfo(), false) : undefined))
          phase = 'receiving'
          write(tail)
          conn.socket.resume()
          // A paused socket still reports the peer's FIN: if it came while the file opened, finish now.
          if (conn.state === 'fin-received') void end(true)
          else if (!conn.isOpen) void end(false)
        })
        .catch((err) => {
          conn.socket.resume()
          void fail(describeFsError(err, folder).toInfo(), false)
        })
    }

    const end = async (fin: boolean) => {
      if (phase === 'header') {
        return fail(conn.reason ?? { code: 'EPROTO', message: `the server closed the connection without answering` }, false)
      }
      if (phase === 'refused') {
        phase = 'over'
        recordProtocol(conn, 'in', pending)
        const text = pending.toString('utf8')
        t.finish('failed', { error: { code: 'ENOENT', message: `the server answered -1: ${text || 'no such file'}` } })
        return finished()
      }
      if (phase !== 'receiving' || !file) return
      // Closed without FIN (reset, timeout, stop): keep what came, marked incomplete.
      if (!fin) return fail(conn.reason ?? { code: 'ECONNRESET', message: 'the connection closed before the server finished sending' }, true)
      phase = 'saving'
      // The size is now certain: if some of the "size digits" were the file's first bytes, put them back.
      const k = splitSizeDigits(digits, file.bytes)
      let expected = Number(digits)
      if (k !== undefined && k < digits.length) {
        const lead = Buffer.from(digits.slice(k), 'latin1')
        try {
          await file.prepend(lead)
        } catch (err) {
          return fail(describeFsError(err, saveAs).toInfo(), false)
        }
        expected = Number(digits.slice(0, k))
        t.set({ bytesTotal: expected })
        t.progress(lead.length)
        this.note(say('transfer.sizeDigitsWereData', { separator: FILE_SEPARATOR, digits, size: expected }), conn.id)
      }
      await saveReceived(file, t, saveAs, expected)
      phase = 'over'
      finished()
    }

    this.onData = (chunk) => {
      if (phase === 'header') return onHeader(chunk)
      if (phase === 'refused') {
        if (pending.length < MAX_REFUSAL_BYTES) pending = Buffer.concat([pending, chunk]).subarray(0, MAX_REFUSAL_BYTES)
        return
      }
      if (phase === 'receiving') write(chunk)
    }
    conn.socket.once('end', () => void end(true))
    void conn.closed.then(() => void end(false))
    await over
    await this.settle(conn, t)
  }

  async stop() {
    const c = this.conn
    if (c?.isOpen) {
      c.destroy()
      await c.closed
    }
    await this.job?.catch(() => {})
    if (this.state !== 'closed') this.setState('closed')
  }
}
