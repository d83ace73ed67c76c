import { base64ToBytes, decodeBytes, printable, type ViewEncoding } from '@socklab/shared'

/** Bytes shown on a collapsed row; the rest waits behind "more". */
export const PREVIEW_BYTES = 200
/** Most bytes an expanded row shows (a 1 MiB chunk would freeze the page as text). */
export const EXPANDED_BYTES = 64 * 1024

/** The first `limit` bytes of a base64 payload, decoding only what is needed. */
export function bytesOf(base64: string, limit: number): Uint8Array {
  const chars = Math.ceil(limit / 3) * 4
  const bytes = base64ToBytes(base64.length > chars ? base64.slice(0, chars) : base64)
  return bytes.length > limit ? bytes.subarray(0, limit) : bytes
}

/** One line: line breaks and tabs as visible escapes, other control characters as \xNN. */
export function oneLine(text: string): string {
  return printable(text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t'))
}

/** Several lines: keep line breaks (a CR before LF is shown), escape other control characters. */
export function multiLine(text: string): string {
  return printable(text.replace(/\r\n/g, '\\r\n').replace(/\r(?!\n)/g, '\\r\n').replace(/\t/g, '\\t'))
}

export interface Rendered {
  text: string
  /** Bytes of the payload not shown. */
  hidden: number
}

/** Bytes as a row shows them: decoded in the view, then on one line (collapsed) or several (expanded). */
function showBytes(bytes: Uint8Array, view: ViewEncoding, expanded: boolean): string {
  const text = decodeBytes(bytes, view)
  return expanded && view !== 'hex' && view !== 'base64' ? multiLine(text) : oneLine(text)
}

/** A data event's payload in the chosen view: one line (collapsed) or several (expanded). */
export function renderPayload(base64: string, size: number, view: ViewEncoding, expanded: boolean): Rendered {
  const limit = expanded ? EXPANDED_BYTES : PREVIEW_BYTES
  let bytes: Uint8Array
  try {
    bytes = bytesOf(base64, limit)
  } catch {
    return { text: '(undecodable payload)', hidden: 0 }
  }
  return { text: showBytes(bytes, view, expanded), hidden: Math.max(0, size - bytes.length) }
}

/** A piece of a shown payload; `hit` pieces are the bytes a search found. */
export interface Piece {
  text: string
  hit: boolean
}

/**
 * The shown part of `bytes` (already decoded) with the byte ranges `hits` marked. Each piece is shown on
 * its own, so when that would read differently from the whole (a hit starting inside a multi-byte
 * character, or between \r and \n of an expanded row) and in the base64 view, the row is shown unmarked.
 */
export function renderMarked(bytes: Uint8Array, size: number, view: ViewEncoding, expanded: boolean, hits: readonly (readonly [number, number])[]): { pieces: Piece[]; hidden: number } {
  const shown = bytes.subarray(0, expanded ? EXPANDED_BYTES : PREVIEW_BYTES)
  const whole = showBytes(shown, view, expanded)
  const hidden = Math.max(0, size - shown.length)
  const plain = { pieces: [{ text: whole, hit: false }], hidden }
  if (view === 'base64' || hits.length === 0) return plain
  // Hex bytes are separated by a space; the space between two pieces stays outside the marks.
  const gap = view === 'hex' ? ' ' : ''
  const pieces: Piece[] = []
  const add = (start: number, end: number, hit: boolean) => {
    if (end <= start) return
    if (gap && pieces.length > 0) pieces.push({ text: gap, hit: false })
    pieces.push({ text: showBytes(shown.subarray(start, end), view, expanded), hit })
  }
  let at = 0
  for (const [start, end] of hits) {
    if (start >= shown.length) break
    add(at, start, false)
    add(start, Math.min(end, shown.length), true)
    at = Math.min(end, shown.length)
  }
  add(at, shown.length, false)
  return pieces.map((p) => p.text).join('') === whole ? { pieces, hidden } : plain
}
