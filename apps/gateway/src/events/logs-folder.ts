import fsp from 'node:fs/promises'
import type { FileEntry, LogFileEntry, LogFolder } from '@socklab/shared'
import { FilesArea, type OpenedFile } from '../files/files-area.ts'
import { describeFsError } from '../files/fs-errors.ts'
import { checkFileName } from '../files/safe-path.ts'
import { SocketError } from '../sockets/socket-error.ts'
import { ensureLogsDir, LOG_FILE_NAME, STOP_LINE_RESERVE, type TrafficLogger } from './traffic-log.ts'

/** Room a new log needs to start: its header and its last line. */
const START_ROOM = 1024

/** One answer for every name refused, whether or not something by that name exists. */
export function badLogName(): SocketError {
  return new SocketError(
    'EBADPATH',
    'not a traffic log name: only the names the gateway gives its logs, like e3-tcp-server-9000-20250601-173000.log (no folders, "..", absolute paths, backslashes or other files)',
    'name',
  )
}

/** A name from a request, checked like a files-area name and then against the names the gateway makes. */
export function checkLogName(name: string): string {
  try {
    checkFileName(name, 'name')
  } catch {
    throw badLogName()
  }
  if (!LOG_FILE_NAME.test(name)) throw badLogName()
  return name
}

/**
 * SOCKLAB_DATA/logs as one managed place: the total its traffic logs take (scanned once at start, then kept in
 * memory — what loggers write is added, what is deleted subtracted), the files being written, and listing,
 * reading and deleting logs by name. Files are reached through a FilesArea rooted at the folder, so no name
 * leads outside it (no links, devices or FIFOs either).
 */
export class LogsFolder {
  private used = 0
  /** Files being written, by name, until their stream is closed. */
  private readonly writing = new Map<string, TrafficLogger>()
  private readonly area: FilesArea

  constructor(
    readonly dir: string,
    readonly maxFileBytes: number,
    readonly maxTotalBytes: number,
  ) {
    this.area = new FilesArea(dir)
  }

  /** Count the logs already there (made if missing). A folder that cannot be read counts as empty: logging then says why. */
  async scan(): Promise<void> {
    try {
      await ensureLogsDir(this.dir)
      this.used = (await this.onDisk()).reduce((sum, f) => sum + f.size, 0)
    } catch {
      this.used = 0
    }
  }

  get totalBytes(): number {
    return this.used
  }

  /** Bytes left for log lines, keeping back the last line of every file being written. */
  room(): number {
    return this.maxTotalBytes - this.used - STOP_LINE_RESERVE * this.writing.size
  }

  /** Room for a new log (its own last line kept back too)? */
  hasRoomForNew(): boolean {
    return this.room() - STOP_LINE_RESERVE >= START_ROOM
  }

  /** Before a new log: refuse when the folder has no room for one. */
  assertRoom() {
    if (this.hasRoomForNew()) return
    throw new SocketError(
      'ELOGSFULL',
      `the logs folder is full: its traffic logs take ${this.used} bytes of the ${this.maxTotalBytes} allowed (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES); ` +
        'delete old logs (Traffic logs in the panel, or DELETE /api/logs/{name}) to start a new one',
    )
  }

  /** Why a running log stopped at the total (its `error`). */
  stoppedError(): SocketError {
    return new SocketError(
      'ELOGSFULL',
      `the logs folder reached its total of ${this.maxTotalBytes} bytes (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES), so this log stopped there; delete old logs to log again`,
    )
  }

  /** A logger made its file: it counts as written until its stream is closed. */
  opened(logger: TrafficLogger) {
    this.writing.set(logger.file, logger)
    void logger.closed.then(() => this.writing.delete(logger.file))
  }

  /** Bytes a logger handed to its file. */
  added(bytes: number) {
    this.used += bytes
  }

  /**
   * Every traffic log, newest first, and the folder's total. The listing stats every file anyway, so the total
   * is taken from it (files deleted or copied in by hand are then counted right again).
   */
  async list(): Promise<LogFolder> {
    await ensureLogsDir(this.dir)
    const found = await this.onDisk()
    const listed = new Set<string>()
    let total = 0
    const entries: LogFileEntry[] = found.map((f) => {
      listed.add(f.name)
      const logger = this.writing.get(f.name)
      // Being written: the disk lags behind what was handed to the file.
      const size = logger ? Math.max(f.size, logger.info().bytes) : f.size
      total += size
      return { name: f.name, size, mtime: f.mtime, active: Boolean(logger), ...(logger ? { endpointId: logger.endpointId } : {}) }
    })
    // A file made since the listing was read, or one unlinked while still written: its bytes count all the same.
    for (const [name, logger] of this.writing) if (!listed.has(name)) total += logger.info().bytes
    this.used = total
    entries.sort((a, b) => b.mtime - a.mtime || b.name.localeCompare(a.name))
    return { entries, totalBytes: total, maxTotalBytes: this.maxTotalBytes, full: !this.hasRoomForNew(), maxFileBytes: this.maxFileBytes }
  }

  /** Open a log for reading; one being written is brought up to date first. The handle is the caller's to close. */
  async openRead(name: string): Promise<OpenedFile> {
    const file = checkLogName(name)
    await this.writing.get(file)?.flush()
    await ensureLogsDir(this.dir)
    try {
      return await this.area.openRead(file, 'name')
    } catch (err) {
      throw this.describe(err, file)
    }
  }

  /** Delete a log that nothing writes any more. */
  async remove(name: string): Promise<void> {
    const file = checkLogName(name)
    const logger = this.writing.get(file)
    if (logger) {
      throw new SocketError('EBUSY', `${file} is being written by endpoint ${logger.endpointId}: turn its "Log to disk" off (or remove the endpoint) first`, 'name')
    }
    await ensureLogsDir(this.dir)
    try {
      const r = await this.area.resolve(file, 'name')
      if (!r.stat) throw Object.assign(new Error(), { code: 'ENOENT' })
      if (!r.stat.isFile()) throw badLogName()
      await fsp.unlink(r.abs)
      this.used = Math.max(0, this.used - r.stat.size)
    } catch (err) {
      throw this.describe(err, file)
    }
  }

  /** The traffic logs on disk (other files and folders are not ours to show). */
  private async onDisk(): Promise<FileEntry[]> {
    const { entries } = await this.area.list('')
    return entries.filter((e) => e.type === 'file' && LOG_FILE_NAME.test(e.name))
  }

  /** A failure in the logs folder's words (the files area's helpers speak of the files area). */
  private describe(err: unknown, file: string): SocketError {
    const code = (err as { code?: string })?.code
    if (code === 'EBADPATH') return badLogName()
    if (code === 'ENOENT') return new SocketError('ENOENT', `there is no traffic log ${file} in the logs folder`, 'name')
    if (code === 'EISDIR') return badLogName()
    return describeFsError(err, `logs/${file}`, 'name')
  }
}
