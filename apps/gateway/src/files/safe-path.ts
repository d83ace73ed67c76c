import { SocketError } from '../sockets/socket-error.ts'

/**
 * One answer for every name we refuse, whether or not the target exists, so probing the answers
 * tells nothing about what lies outside the files area.
 */
export const BAD_PATH_MESSAGE =
  'not an allowed name: paths stay inside the files area (no "..", absolute paths, backslashes, dotfiles, control characters, links or special files)'

export function badPath(field = 'path'): SocketError {
  return new SocketError('EBADPATH', BAD_PATH_MESSAGE, field)
}

/** Longest name of one file or folder, in bytes (what Linux and most file systems allow). */
const MAX_SEGMENT_BYTES = 255
const MAX_DEPTH = 32

/** Percent-decode until stable (a few rounds): `%2e%2e%2f` and `%252e%252e%252f` are judged as what they become. */
function decodedForms(text: string): string[] {
  const forms = [text]
  let current = text
  for (let i = 0; i < 3; i++) {
    let next: string
    try {
      next = decodeURIComponent(current)
    } catch {
      break
    }
    if (next === current) break
    forms.push(next)
    current = next
  }
  return forms
}

function badSegment(segment: string): boolean {
  // A leading dot covers ".", ".." and dotfiles (including our own ".partial-*" temporary files).
  return segment.startsWith('.') || Buffer.byteLength(segment) > MAX_SEGMENT_BYTES
}

/**
 * Split a path inside the files area into its names, refusing anything that could point elsewhere.
 * `""` (and `"/"`-free empty forms) mean the root. This is the lexical check only; FilesArea also
 * refuses symlinks, devices and FIFOs it finds on disk.
 */
export function splitSafePath(rel: string, field = 'path'): string[] {
  if (typeof rel !== 'string' || rel.length > 1024) throw badPath(field)
  for (const form of decodedForms(rel)) {
    // NUL and other control characters, backslashes (Windows separators), absolute and drive paths.
    if (/[\u0000-\u001f\u007f\\]/.test(form)) throw badPath(field)
    if (form.startsWith('/') || /^[a-zA-Z]:/.test(form)) throw badPath(field)
    if (form.split('/').some((s) => s !== '' && badSegment(s))) throw badPath(field)
  }
  const segments = rel.split('/')
  // Only a trailing slash may leave an empty name ("folder/"); "a//b" is not a path we produce.
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop()
  if (segments.length === 1 && segments[0] === '') return []
  if (segments.some((s) => s === '') || segments.length > MAX_DEPTH) throw badPath(field)
  return segments
}

/** A single file name (no folders): what an upload announces or a file is saved as. */
export function checkFileName(name: string, field = 'name'): string {
  const segments = splitSafePath(name, field)
  if (segments.length !== 1) throw badPath(field)
  return segments[0]!
}

/** The last name of a path the way Python's os.path.basename would see it on either system. */
export function baseName(name: string): string {
  const parts = name.split(/[\\/]/)
  return parts[parts.length - 1] ?? ''
}
