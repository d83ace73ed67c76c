import { createHash } from 'node:crypto'

/** Where students' own folders live inside the files area. */
export const STUDENTS_FOLDER = 'students'

/** Longest folder name we make, in bytes (a file system allows 255 per name). */
const MAX_FOLDER_BYTES = 200

/**
 * A student's folder name from their display name: the same name gives the same folder (also after a
 * gateway restart, so homework stays theirs), and two people never share one. Names are unique in a
 * class ignoring case, so the lower-cased name is written out one character at a time: letters, digits,
 * combining marks and `-` as they are, anything else (space, dot, slash, `_`…) as `_` plus its UTF-8
 * bytes in hex. Nothing can be `..`, start with a dot, or hold a separator; distinct names stay distinct.
 * A name that would come out too long is cut and gets a hash of the whole name (after `~`, which the
 * escaping never produces).
 */
export function studentFolderName(name: string): string {
  const lower = name.trim().toLowerCase()
  let out = ''
  for (const ch of lower) {
    out += /^[\p{L}\p{N}\p{M}-]$/u.test(ch) ? ch : [...Buffer.from(ch)].map((b) => `_${b.toString(16).padStart(2, '0')}`).join('')
  }
  if (out !== '' && Buffer.byteLength(out) <= MAX_FOLDER_BYTES) return out
  const hash = createHash('sha256').update(lower).digest('hex').slice(0, 16)
  // Cut by characters, then to the byte budget, so no character is split.
  let head = ''
  for (const ch of out) {
    if (Buffer.byteLength(head + ch) > MAX_FOLDER_BYTES - 17) break
    head += ch
  }
  return `${head}~${hash}`
}

/** The student's folder as a path inside the files area: `students/<name>`. */
export function studentFolder(name: string): string {
  return `${STUDENTS_FOLDER}/${studentFolderName(name)}`
}
