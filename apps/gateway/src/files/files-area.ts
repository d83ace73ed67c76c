import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { INCOMPLETE_SUFFIX, type FileEntry, type FileList } from '@socklab/shared'
import { SocketError } from '../sockets/socket-error.ts'
import { describeFsError } from './fs-errors.ts'
import { IncomingFile } from './incoming-file.ts'
import { HashCache } from './hash-cache.ts'
import { badPath, splitSafePath } from './safe-path.ts'

/** Largest file the gateway receives unless SOCKLAB_MAX_FILE_BYTES says otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3

/** The gateway-wide cap on received files (uploads from the page and from sockets). */
export function maxFileBytesFromEnv(): number {
  const raw = process.env.SOCKLAB_MAX_FILE_BYTES
  if (raw === undefined || raw === '') return DEFAULT_MAX_FILE_BYTES
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`SOCKLAB_MAX_FILE_BYTES must be a whole number of bytes, got "${raw}"`)
  return n
}

export interface ResolvedPath {
  /** Normalised path from the root of the files area ("" is the root). */
  rel: string
  abs: string
  /** lstat of the target, absent if it does not exist. */
  stat?: fs.Stats
}

export interface OpenedFile {
  handle: fsp.FileHandle
  size: number
  rel: string
  /** Identifies this version of the file (see HashCache). */
  version: string
}

// O_NOFOLLOW: a name swapped for a symlink after our checks still cannot be opened through.
// O_NONBLOCK: opening a FIFO must not hang the gateway; fstat then refuses it.
const READ_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0)

/**
 * The files area (SOCKLAB_DATA/files): every name is checked lexically (safe-path) and then on disk,
 * name by name, so nothing reaches outside it — no symlinks, devices, FIFOs or sockets, ever.
 */
export class FilesArea {
  constructor(
    readonly root: string,
    readonly maxFileBytes = maxFileBytesFromEnv(),
  ) {}

  /** `folder` + `name` as one path inside the area (both already relative to it). */
  static join(folder: string, name: string): string {
    const f = folder.replace(/\/+$/, '')
    return f ? `${f}/${name}` : name
  }

  /**
   * Check a path and find what is there. Every existing component is lstat'ed: a symlink or a
   * special file anywhere is refused with the same answer as a hostile name.
   */
  async resolve(rel: string, field = 'path'): Promise<ResolvedPath> {
    const segments = splitSafePath(rel, field)
    const norm = segments.join('/')
    let abs = this.root
    // The root itself may be reached through a link (a data folder on another disk): stat, not lstat.
    let stat: fs.Stats | undefined = await fsp.stat(this.root)
    for (let i = 0; i < segments.length; i++) {
      abs = path.join(abs, segments[i]!)
      const last = i === segments.length - 1
      try {
        stat = await fsp.lstat(abs)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT') return { rel: norm, abs: path.join(this.root, ...segments) }
        if (code === 'ENOTDIR') throw describeFsError(err, segments.slice(0, i).join('/'), field)
        throw describeFsError(err, norm, field)
      }
      if (stat.isSymbolicLink()) throw badPath(field)
      if (!stat.isFile() && !stat.isDirectory()) throw badPath(field)
      if (!last && !stat.isDirectory()) throw new SocketError('ENOTDIR', `"${segments.slice(0, i + 1).join('/')}" is a file, not a folder`, field)
    }
    // Belt and braces: the joined path must be the root or strictly below it (not a sibling sharing its prefix).
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) throw badPath(field)
    return { rel: norm, abs, stat }
  }

  /** An existing folder (ENOENT/ENOTDIR otherwise). */
  async folder(rel: string, field = 'folder'): Promise<ResolvedPath> {
    const r = await this.resolve(rel, field)
    if (!r.stat) throw describeFsError(Object.assign(new Error(), { code: 'ENOENT' }), r.rel, field)
    if (!r.stat.isDirectory()) throw new SocketError('ENOTDIR', `"${r.rel}" is a file, not a folder`, field)
    return r
  }

  /** A folder, created (with its parents) if missing; each level is checked as it is made. */
  async ensureFolder(rel: string, field = 'folder'): Promise<ResolvedPath> {
    const segments = splitSafePath(rel, field)
    for (let i = 1; i <= segments.length; i++) {
      const r = await this.resolve(segments.slice(0, i).join('/'), field)
      if (r.stat) {
        if (!r.stat.isDirectory()) throw new SocketError('ENOTDIR', `"${r.rel}" is a file, not a folder`, field)
        continue
      }
      await fsp.mkdir(r.abs).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw describeFsError(err, r.rel, field)
      })
    }
    return this.folder(segments.join('/'), field)
  }

  entryOf(rel: string, stat: fs.Stats): FileEntry {
    const name = rel.split('/').pop() ?? ''
    const isDir = stat.isDirectory()
    return {
      name,
      path: rel,
      type: isDir ? 'dir' : 'file',
      size: isDir ? 0 : stat.size,
      mtime: Math.round(stat.mtimeMs),
      ...(!isDir && name.endsWith(INCOMPLETE_SUFFIX) ? { incomplete: true } : {}),
    }
  }

  async entry(rel: string, field = 'path'): Promise<FileEntry> {
    const r = await this.resolve(rel, field)
    if (!r.stat) throw describeFsError(Object.assign(new Error(), { code: 'ENOENT' }), r.rel, field)
    return this.entryOf(r.rel, r.stat)
  }

  /** Folders first, then files, by name; dotfiles (our temporary files), links and special files are not shown. */
  async list(rel = ''): Promise<FileList> {
    const dir = await this.folder(rel, 'path')
    const names = await fsp.readdir(dir.abs, { withFileTypes: true }).catch((err) => {
      throw describeFsError(err, dir.rel, 'path')
    })
    const entries: FileEntry[] = []
    for (const d of names) {
      if (d.name.startsWith('.') || !(d.isFile() || d.isDirectory())) continue
      const childRel = dir.rel ? `${dir.rel}/${d.name}` : d.name
      const stat = await fsp.lstat(path.join(dir.abs, d.name)).catch(() => undefined)
      if (stat && (stat.isFile() || stat.isDirectory())) entries.push(this.entryOf(childRel, stat))
    }
    entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1))
    return { path: dir.rel, entries }
  }

  /** Open a regular file for reading; the handle is the caller's to close (a read stream with autoClose does). */
  async openRead(rel: string, field = 'path'): Promise<OpenedFile> {
    const r = await this.resolve(rel, field)
    if (!r.stat) throw describeFsError(Object.assign(new Error(), { code: 'ENOENT' }), r.rel, field)
    if (r.stat.isDirectory()) throw new SocketError('EISDIR', `"${r.rel}" is a folder, not a file`, field)
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(r.abs, READ_FLAGS)
    } catch (err) {
      // ELOOP: the name became a symlink between our check and the open.
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw badPath(field)
      throw describeFsError(err, r.rel, field)
    }
    const stat = await handle.stat()
    if (!stat.isFile()) {
      await handle.close()
      throw badPath(field)
    }
    return { handle, size: stat.size, rel: r.rel, version: HashCache.keyOf(stat) }
  }

  /** Delete a file, or a folder that is empty. */
  async remove(rel: string): Promise<void> {
    const r = await this.resolve(rel)
    if (r.rel === '') throw new SocketError('EINVAL', 'the root of the files area cannot be deleted', 'path')
    if (!r.stat) throw describeFsError(Object.assign(new Error(), { code: 'ENOENT' }), r.rel, 'path')
    try {
      if (r.stat.isDirectory()) await fsp.rmdir(r.abs)
      else await fsp.unlink(r.abs)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw describeFsError(err, r.rel, code === 'ENOTEMPTY' || code === 'EEXIST' ? 'path' : undefined)
    }
  }

  /** Start receiving a file into `folderRel` (created if missing), capped at `maxBytes` (and the area's own cap). */
  async receive(folderRel: string, maxBytes = Infinity, field = 'folder'): Promise<IncomingFile> {
    const dir = await this.ensureFolder(folderRel, field)
    return IncomingFile.open(dir.abs, dir.rel, Math.min(maxBytes, this.maxFileBytes))
  }
}

/** The sentence for a file over the cap, the same wherever it comes from. */
export function tooLarge(size: number | undefined, cap: number, field?: string): SocketError {
  const what = size === undefined ? 'the file' : `a file of ${size} bytes`
  return new SocketError('EFBIG', `${what} is over the limit of ${cap} bytes`, field)
}
