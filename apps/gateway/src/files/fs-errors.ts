import { describeError, SocketError } from '../sockets/socket-error.ts'

/** A file-system failure as a sentence about the files area (never an absolute path of the gateway's disk). */
export function describeFsError(err: unknown, rel: string, field?: string): SocketError {
  if (err instanceof SocketError) return err
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN'
  const name = rel === '' ? 'the files area' : `"${rel}"`
  const text: Record<string, string> = {
    ENOENT: `${name} does not exist in the files area`,
    ENOTDIR: `${name} is not a folder`,
    EISDIR: `${name} is a folder, not a file`,
    ENOTEMPTY: `folder ${name} is not empty`,
    EEXIST: `${name} already exists`,
    ENOSPC: `the disk is full: could not finish writing ${name}`,
    EDQUOT: `disk quota exceeded while writing ${name}`,
    EFBIG: `${name} grew past the largest file this system lets the gateway write`,
    EACCES: `permission denied for ${name}`,
    EPERM: `operation not permitted on ${name}`,
    EMFILE: 'too many open files on the gateway; try again when transfers finish',
  }
  if (text[code]) return new SocketError(code, text[code]!, field)
  const e = describeError(err)
  return new SocketError(e.code, e.message, field)
}

/** A write that failed part-way into a received file: say why, and that nothing half-written was kept. */
export function describeWriteError(err: unknown, folderRel: string): SocketError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN'
  const where = folderRel ? `"${folderRel}"` : 'the files area'
  const text: Record<string, string> = {
    ENOSPC: `the disk is full: the file being received into ${where} was dropped`,
    EDQUOT: `disk quota exceeded: the file being received into ${where} was dropped`,
    EFBIG: `the file being received into ${where} grew past the largest file this system lets the gateway write; it was dropped`,
  }
  return text[code] ? new SocketError(code, text[code]!) : describeFsError(err, folderRel)
}
