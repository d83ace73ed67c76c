import { DEFAULT_HEADER_PAUSE_MS, FILE_SEPARATOR, type DownloadServerOptions } from '@socklab/shared'
import { FilesArea, type OpenedFile } from '../files/files-area.ts'
import { describeFsError } from '../files/fs-errors.ts'
import type { TcpConnection } from './tcp-connection.ts'
import { describeError } from './socket-error.ts'
import { FileServerEndpoint, Transfer, pauseOn, recordProtocol, sendFile, sendProtocol, type FileSession } from './transfer.ts'

/**
 * The tutorial's download server: a client sends a file name; if the file is in the served folder the
 * answer is `0<SEPARATOR>{size}`, a short pause (so a client's single recv(1024) gets the header
 * alone), the bytes, and close; otherwise `-1<SEPARATOR>{name}文件不存在` and close.
 */
export class DownloadServerEndpoint extends FileServerEndpoint<DownloadServerOptions> {
  folderRel = ''

  protected async prepare() {
    this.folderRel = (await this.area.folder(this.options.folder ?? '', 'folder')).rel
  }

  protected openSession(conn: TcpConnection): FileSession {
    return new DownloadSession(this, conn)
  }

  /** The served file for a requested name, or the reason it cannot be served (never outside the folder). */
  openRequested(name: string): Promise<OpenedFile> {
    return this.area.openRead(FilesArea.join(this.folderRel, name), 'name')
  }

  track(t: Transfer): Transfer {
    return this.log.add(t)
  }
}

class DownloadSession implements FileSession {
  readonly settled: Promise<void>
  private named = false
  private settle!: () => void

  constructor(
    private readonly server: DownloadServerEndpoint,
    private readonly conn: TcpConnection,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve))
    // A client that leaves without naming a file leaves nothing open.
    void conn.closed.then(() => {
      if (!this.named) this.settle()
    })
  }

  onData(chunk: Buffer) {
    // The protocol has one message from the client: its first send. Anything later is not part of it.
    if (this.named) return
    this.named = true
    recordProtocol(this.conn, 'in', chunk)
    const name = chunk.toString('utf8').replace(/\r?\n$/, '')
    this.serve(name)
      .catch((err) => {
        this.server.emit({ type: 'error', connectionId: this.conn.id, error: describeError(err).toInfo() })
        this.conn.destroy()
      })
      .finally(this.settle)
  }

  private async serve(name: string) {
    const { server, conn } = this
    const t = server.track(new Transfer(server, { direction: 'download', role: 'server', name, peer: conn.remote, connectionId: conn.id }))
    let file: OpenedFile
    try {
      file = await server.openRequested(name)
    } catch (err) {
      // Same answer for a missing file and a refused name: the wire tells nothing about what exists.
      sendProtocol(conn, Buffer.from(`-1${FILE_SEPARATOR}${name}文件不存在`))
      conn.end()
      t.finish('failed', { error: describeFsError(err, name, 'name').toInfo() })
      return
    }
    t.set({ path: file.rel, bytesTotal: file.size })
    if (!sendProtocol(conn, Buffer.from(`0${FILE_SEPARATOR}${file.size}`))) {
      await file.handle.close()
      t.finish('failed', { error: { code: 'EPIPE', message: 'the client left before the header was sent' } })
      return
    }
    const pause = server.options.headerPauseMs ?? DEFAULT_HEADER_PAUSE_MS
    if (pause > 0) await pauseOn(conn, pause)
    await sendFile(conn, file, t)
  }
}
