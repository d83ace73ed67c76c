import { DEFAULT_RECEIVE_FOLDER, DEFAULT_UPLOAD_PREFIX, FILE_SEPARATOR, type ErrorInfo, type UploadServerOptions } from '@socklab/shared'
import { tooLarge } from '../files/files-area.ts'
import { describeFsError } from '../files/fs-errors.ts'
import type { IncomingFile } from '../files/incoming-file.ts'
import { baseName, checkFileName } from '../files/safe-path.ts'
import type { TcpConnection } from './tcp-connection.ts'
import { describeError, SocketError } from './socket-error.ts'
import { FileServerEndpoint, Transfer, receiveChunk, recordProtocol, saveReceived, sendProtocol, type FileSession } from './transfer.ts'

/** Most bytes, and longest time, we wait for a header's `<SEPARATOR>` and size before judging what came. */
const MAX_HEADER_BYTES = 4096
const HEADER_WAIT_MS = 500

/**
 * The tutorial's upload server: the client sends `{name}<SEPARATOR>{size}`, waits for `ok`, streams
 * the bytes and closes. The file is saved as `[接收]{name}` (prefix configurable) in the folder, never
 * over an existing file; a short upload is kept as `….incomplete`.
 */
export class UploadServerEndpoint extends FileServerEndpoint<UploadServerOptions> {
  folderRel = DEFAULT_RECEIVE_FOLDER

  protected async prepare() {
    this.folderRel = (await this.area.ensureFolder(this.options.folder ?? DEFAULT_RECEIVE_FOLDER, 'folder')).rel
  }

  protected openSession(conn: TcpConnection): FileSession {
    return new UploadSession(this, conn)
  }

  get cap(): number {
    return Math.min(this.options.maxBytes ?? Infinity, this.area.maxFileBytes)
  }

  receive(): Promise<IncomingFile> {
    return this.area.receive(this.folderRel, this.cap)
  }

  track(t: Transfer): Transfer {
    return this.log.add(t)
  }
}

interface Header {
  name: string
  saveAs: string
  size: number
}

/** Parse `{name}<SEPARATOR>{size}` the way the tutorial's server does (basename of the name), or say what is wrong. */
export function parseUploadHeader(text: string, prefix: string): Header | SocketError {
  const at = text.indexOf(FILE_SEPARATOR)
  if (at < 0) return new SocketError('EPROTO', `expected "{name}${FILE_SEPARATOR}{size}", got "${text.slice(0, 80)}"`)
  const name = baseName(text.slice(0, at))
  const sizeText = text.slice(at + FILE_SEPARATOR.length).trim()
  if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    return new SocketError('EPROTO', `the size after ${FILE_SEPARATOR} must be a whole number of bytes, got "${sizeText.slice(0, 40)}"`)
  }
  try {
    return { name, saveAs: checkFileName(prefix + name, 'name'), size: Number(sizeText) }
  } catch (err) {
    return err as SocketError
  }
}

class UploadSession implements FileSession {
  readonly settled: Promise<void>
  private settle!: () => void
  private phase: 'header' | 'opening' | 'receiving' | 'saving' | 'over' = 'header'
  private headerParts: Buffer[] = []
  private headerBytes = 0
  private headerTimer?: NodeJS.Timeout
  private header?: Header
  private file?: IncomingFile
  private t?: Transfer

  constructor(
    private readonly server: UploadServerEndpoint,
    private readonly conn: TcpConnection,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve))
    conn.socket.on('end', () => this.ended())
    void conn.closed.then(() => this.ended())
  }

  onData(chunk: Buffer) {
    if (this.phase === 'header') return this.onHeaderChunk(chunk)
    if (this.phase !== 'receiving') return
    const file = this.file!
    const header = this.header!
    if (file.bytes + chunk.length > header.size) {
      return this.abort({ code: 'EPROTO', message: `the client sent more than the ${header.size} bytes it announced` }, true)
    }
    try {
      receiveChunk(this.conn, file, this.t!, chunk)
    } catch (err) {
      this.abort(describeFsError(err, header.saveAs).toInfo(), false)
    }
  }

  private onHeaderChunk(chunk: Buffer) {
    recordProtocol(this.conn, 'in', chunk)
    this.headerParts.push(chunk)
    this.headerBytes += chunk.length
    const text = Buffer.concat(this.headerParts).toString('utf8')
    // TCP may split even a short header: wait a moment for the separator and a size digit, then judge what came.
    if ((!text.includes(FILE_SEPARATOR) || /<SEPARATOR>\s*$/.test(text)) && this.headerBytes <= MAX_HEADER_BYTES) {
      this.headerTimer ??= setTimeout(() => this.headerDone(), HEADER_WAIT_MS)
      return
    }
    this.headerDone()
  }

  private headerDone() {
    clearTimeout(this.headerTimer)
    if (this.phase !== 'header') return
    this.phase = 'opening'
    const text = Buffer.concat(this.headerParts).toString('utf8')
    this.start(text).catch((err) => this.abort(describeError(err).toInfo(), false))
  }

  private async start(text: string) {
    const { server, conn } = this
    const parsed = parseUploadHeader(text, server.options.prefix ?? DEFAULT_UPLOAD_PREFIX)
    const name = parsed instanceof SocketError ? text.split(FILE_SEPARATOR)[0]!.slice(0, 255) : parsed.name
    const t = (this.t = server.track(
      new Transfer(server, {
        direction: 'upload',
        role: 'server',
        name,
        peer: conn.remote,
        connectionId: conn.id,
        ...(parsed instanceof SocketError ? {} : { bytesTotal: parsed.size }),
      }),
    ))
    if (parsed instanceof SocketError) return this.refuse(parsed)
    if (parsed.size > server.cap) return this.refuse(tooLarge(parsed.size, server.cap, 'size'))
    this.header = parsed
    // Nothing should arrive before our "ok"; hold the socket (and its FIN) while the file opens in case it does.
    conn.socket.pause()
    try {
      this.file = await server.receive()
    } catch (err) {
      conn.socket.resume()
      return this.refuse(describeFsError(err, server.folderRel))
    }
    t.set({ path: `${server.folderRel}/${parsed.saveAs}` })
    this.phase = 'receiving'
    void this.file.failed.then((e) => this.abort(e.toInfo(), false))
    conn.socket.resume()
    // The client may have been reset while we opened the file: save what there is (nothing) as incomplete.
    if (!conn.isOpen || conn.state === 'fin-received') return this.ended()
    sendProtocol(conn, Buffer.from('ok'))
  }

  /** Say no in the protocol's own terms (`-1<SEPARATOR>reason`), close, and record why. */
  private refuse(e: SocketError) {
    this.phase = 'over'
    sendProtocol(this.conn, Buffer.from(`-1${FILE_SEPARATOR}${e.message}`))
    this.conn.end()
    this.t?.finish('failed', { error: e.toInfo() })
    this.settle()
  }

  /** Stop receiving: keep what arrived as incomplete (`keep`) or drop it (disk full, cap), and close. */
  private abort(error: ErrorInfo, keep: boolean) {
    if (this.phase === 'over' || this.phase === 'saving') return
    const { file, t, header } = this
    this.phase = 'over'
    this.conn.destroy()
    const done = async () => {
      if (file && keep && header) {
        const saved = await file.keepIncomplete(header.saveAs).catch(() => undefined)
        t?.finish('incomplete', { error, ...(saved ? { path: saved.rel, sha256: saved.sha256 } : {}) })
      } else {
        await file?.discard()
        t?.finish('failed', { error })
      }
    }
    done().finally(this.settle)
  }

  /** The client finished (FIN) or the connection closed: save the file, complete or not. */
  private ended() {
    clearTimeout(this.headerTimer)
    if (this.phase === 'header') {
      this.phase = 'over'
      this.conn.end()
      return this.settle()
    }
    if (this.phase !== 'receiving') return
    this.phase = 'saving'
    saveReceived(this.file!, this.t!, this.header!.saveAs, this.header!.size)
      .then(() => this.conn.end())
      .finally(this.settle)
  }
}
