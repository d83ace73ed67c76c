import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { INCOMPLETE_SUFFIX, type OnExists } from '@socklab/shared'
import { SocketError } from '../sockets/socket-error.ts'
import { describeFsError, describeWriteError } from './fs-errors.ts'
import { checkFileName } from './safe-path.ts'

/** Prefix of temporary names; a dotfile, so never listed nor reachable through the API. */
const TEMP_PREFIX = '.partial-'
const WRITE_CHUNK = 1024 * 1024

export interface SavedFile {
  name: string
  /** Path from the root of the files area. */
  rel: string
  size: number
  sha256: string
}

/** `a.txt` → `a (1).txt`, `a (2).txt`…: the names tried when a received file's name is taken. */
export function numberedName(name: string, attempt: number): string {
  if (attempt === 0) return name
  const ext = path.extname(name)
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name
  return `${stem} (${attempt})${ext}`
}

/**
 * A file being received: bytes go to a temporary name in the target folder and become a file only
 * by `commit` (an atomic link/rename that never replaces an existing file unless asked). Hashes as it
 * writes, enforces a byte cap, and honours backpressure (`write` returns false → wait for `drain`).
 */
export class IncomingFile {
  private hash = createHash('sha256')
  private digest?: string
  bytes = 0
  private streamError?: SocketError
  private settled = false
  /** Resolves with the error if writing fails (disk full…); never rejects. */
  readonly failed: Promise<SocketError>

  private constructor(
    private readonly dirAbs: string,
    private readonly dirRel: string,
    private readonly tempAbs: string,
    private readonly stream: fs.WriteStream,
    readonly maxBytes: number,
  ) {
    this.failed = new Promise((resolve) => {
      stream.on('error', (err) => {
        this.streamError = describeWriteError(err, this.dirRel)
        resolve(this.streamError)
      })
    })
  }

  static async open(dirAbs: string, dirRel: string, maxBytes: number): Promise<IncomingFile> {
    const tempAbs = path.join(dirAbs, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`)
    const stream = fs.createWriteStream(tempAbs, { flags: 'wx', mode: 0o644, highWaterMark: WRITE_CHUNK })
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', (err) => reject(describeFsError(err, dirRel)))
    })
    return new IncomingFile(dirAbs, dirRel, tempAbs, stream, maxBytes)
  }

  get error(): SocketError | undefined {
    return this.streamError
  }

  get sha256(): string {
    return this.digest ?? this.hash.copy().digest('hex')
  }

  /** Would `more` bytes go over the cap? Callers check before writing so nothing past the cap lands on disk. */
  wouldExceed(more: number): boolean {
    return this.bytes + more > this.maxBytes
  }

  /** Write a chunk; false means "pause the source until drain". Throws the disk error once there is one. */
  write(chunk: Buffer): boolean {
    if (this.streamError) throw this.streamError
    this.bytes += chunk.length
    this.hash.update(chunk)
    return this.stream.write(chunk)
  }

  onceDrain(fn: () => void) {
    this.stream.once('drain', fn)
  }

  /** Flush and close the temporary file; throws the disk error if writing failed. */
  private async close(): Promise<void> {
    if (this.streamError) throw this.streamError
    if (!this.stream.closed) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('error', () => reject(this.streamError))
        this.stream.end(() => resolve())
      })
      if (!this.stream.closed) await new Promise<void>((r) => this.stream.once('close', () => r()))
    }
    if (this.streamError) throw this.streamError
  }

  /**
   * Give the received bytes their name. `name` may be a function of the attempt number (numbered
   * files). `rename` tries `a (1).txt`… when the name is taken, `fail` throws EEXIST, `replace`
   * atomically swaps the old file for the new one.
   */
  async commit(name: string | ((attempt: number) => string), onExists: OnExists = 'rename'): Promise<SavedFile> {
    if (this.settled) throw new SocketError('EINVAL', 'file already saved')
    try {
      await this.close()
    } catch (err) {
      await this.discard()
      throw err
    }
    const nameAt = typeof name === 'function' ? name : (attempt: number) => numberedName(name, attempt)
    const sha256 = (this.digest = this.hash.digest('hex'))
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const finalName = checkFileName(nameAt(attempt))
      const finalAbs = path.join(this.dirAbs, finalName)
      const rel = this.dirRel ? `${this.dirRel}/${finalName}` : finalName
      try {
        if (onExists === 'replace') await fsp.rename(this.tempAbs, finalAbs)
        else await linkNoReplace(this.tempAbs, finalAbs)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EEXIST' && onExists === 'rename') continue
        await this.discard()
        throw describeFsError(err, rel, 'path')
      }
      if (onExists !== 'replace') await fsp.unlink(this.tempAbs).catch(() => {})
      this.settled = true
      return { name: finalName, rel, size: this.bytes, sha256 }
    }
    await this.discard()
    throw new SocketError('EEXIST', `no free name left for "${nameAt(0)}"`, 'path')
  }

  /** Keep what arrived of a transfer that ended short, under `name.incomplete` (numbered if taken). */
  keepIncomplete(name: string): Promise<SavedFile> {
    return this.commit(`${name}${INCOMPLETE_SUFFIX}`)
  }

  /**
   * Put bytes before what was written: a download header whose size digits ran into the file's first
   * bytes is only resolved at the end. Copies by streaming, so memory stays flat; rare path.
   */
  async prepend(bytes: Buffer): Promise<void> {
    await this.close()
    const other = `${this.tempAbs}-p`
    const hash = createHash('sha256').update(bytes)
    await new Promise<void>((resolve, reject) => {
      const dst = fs.createWriteStream(other, { flags: 'wx', mode: 0o644 })
      const src = fs.createReadStream(this.tempAbs, { highWaterMark: WRITE_CHUNK })
      src.on('data', (chunk) => hash.update(chunk as Buffer))
      src.on('error', reject)
      dst.on('error', reject)
      dst.on('close', () => resolve())
      dst.write(bytes)
      src.pipe(dst)
    }).catch(async (err) => {
      await fsp.unlink(other).catch(() => {})
      throw describeFsError(err, this.dirRel)
    })
    await fsp.rename(other, this.tempAbs)
    this.bytes += bytes.length
    this.hash = hash
  }

  /** Drop the temporary file (stop, cap exceeded, or nothing worth keeping). */
  async discard(): Promise<void> {
    this.settled = true
    if (!this.stream.closed) {
      this.stream.destroy()
      await new Promise<void>((r) => (this.stream.closed ? r() : this.stream.once('close', () => r())))
    }
    await fsp.unlink(this.tempAbs).catch(() => {})
  }
}

/** Create `to` as a second name of `from`, failing with EEXIST if `to` exists: atomic, never overwrites. */
async function linkNoReplace(from: string, to: string): Promise<void> {
  try {
    await fsp.link(from, to)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
    // File systems without hard links: reserve the name exclusively, then rename over our own placeholder.
    const placeholder = await fsp.open(to, 'wx')
    await placeholder.close()
    await fsp.rename(from, to)
  }
}
