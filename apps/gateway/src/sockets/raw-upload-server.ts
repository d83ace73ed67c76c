import { DEFAULT_RECEIVE_FOLDER, type ErrorInfo, type RawUploadServerOptions } from '@socklab/shared'
import { tooLarge } from '../files/files-area.ts'
import { describeFsError } from '../files/fs-errors.ts'
import type { IncomingFile } from '../files/incoming-file.ts'
import type { TcpConnection } from './tcp-connection.ts'
import { describeError } from './socket-error.ts'
import { FileServerEndpoint, Transfer, receiveChunk, saveReceived, sendProtocol, type FileSession } from './transfer.ts'

/**
 * The simplest upload there is: whatever a client sends, until it closes its side, is one file,
 * saved as `upload-{n}.bin` (the next free number). Then the optional reply text, then close.
 */
export class RawUploadServerEndpoint extends FileServerEndpoint<RawUploadServerOptions> {
  folderRel = DEFAULT_RECEIVE_FOLDER
  private counter = 0

  protected async prepare() {
    this.folderRel = (await this.area.ensureFolder(this.options.folder ?? DEFAULT_RECEIVE_FOLDER, 'folder')).rel
  }

  protected openSession(conn: TcpConnection): FileSession {
    return new RawUploadSession(this, conn)
  }

  get cap(): number {
    return Math.min(this.options.maxBytes ?? Infinity, this.area.maxFileBytes)
  }

  receive(): Promise<IncomingFile> {
    return this.area.receive(this.folderRel, this.cap)
  }

  /** The next numbered name; commit moves past names already taken. */
  nextName = (attempt: number): string => `upload-${++this.counter}.bin`

  track(t: Transfer): Transfer {
    return this.log.add(t)
  }
}

class RawUploadSession implements FileSession {
  readonly settled: Promise<void>
  private settle!: () => void
  private phase: 'opening' | 'receiving' | 'saving' | 'over' = 'opening'
  private file?: IncomingFile
  private readonly t: Transfer

  constructor(
    private readonly server: RawUploadServerEndpoint,
    private readonly conn: TcpConnection,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve))
    this.t = server.track(new Transfer(server, { direction: 'upload', role: 'server', name: 'upload-?.bin', peer: conn.remote, connectionId: conn.id }))
    conn.socket.on('end', () => this.ended(true))
    void conn.closed.then(() => this.ended(false))
    // Hold the bytes (and the FIN) until the file is open.
    conn.socket.pause()
    server
      .receive()
      .then((file) => {
        this.file = file
        this.t.set({ path: server.folderRel })
        this.phase = 'receiving'
        void file.failed.then((e) => this.abort(e.toInfo(), false))
        conn.socket.resume()
        // A paused socket still reports the client's FIN: if it came while the file opened, finish now.
        if (conn.state === 'fin-received') this.ended(true)
        else if (!conn.isOpen) this.ended(false)
      })
      .catch((err) => {
        conn.socket.resume()
        this.abort(describeFsError(err, server.folderRel).toInfo(), false)
      })
  }

  onData(chunk: Buffer) {
    if (this.phase !== 'receiving') return
    const file = this.file!
    if (file.wouldExceed(chunk.length)) {
      return this.abort(tooLarge(undefined, file.maxBytes).toInfo(), true)
    }
    try {
      receiveChunk(this.conn, file, this.t, chunk)
    } catch (err) {
      this.abort(describeFsError(err, this.server.folderRel).toInfo(), false)
    }
  }

  private abort(error: ErrorInfo, keep: boolean) {
    if (this.phase === 'over' || this.phase === 'saving') return
    this.phase = 'over'
    const file = this.file
    this.conn.destroy()
    const done = async () => {
      const saved = file && keep ? await file.keepIncomplete(this.server.nextName(0)).catch(() => undefined) : undefined
      if (!saved) await file?.discard()
      this.t.finish(saved ? 'incomplete' : 'failed', { error, ...(saved ? { path: saved.rel, name: saved.name, sha256: saved.sha256 } : {}) })
    }
    done().finally(this.settle)
  }

  /** FIN: the upload is complete. A close without FIN (reset) keeps what came as incomplete. */
  private ended(fin: boolean) {
    if (this.phase !== 'receiving') return
    if (!fin) return this.abort(this.conn.reason ?? { code: 'ECONNRESET', message: 'the connection closed without finishing the upload' }, true)
    this.phase = 'saving'
    saveReceived(this.file!, this.t, this.server.nextName, undefined)
      .catch((err) => this.t.finish('failed', { error: describeError(err).toInfo() }))
      .then(() => {
        const reply = this.server.options.reply
        if (reply && this.t.info.state === 'done') sendProtocol(this.conn, Buffer.from(reply, 'utf8'))
        this.conn.end()
      })
      .finally(this.settle)
  }
}
