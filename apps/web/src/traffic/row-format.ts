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

/** A data event's payload in the chosen view: one line (collapsed) or several (expanded). */
export function renderPayload(base64: string, size: number, view: ViewEncoding, expanded: boolean): Rendered {
  const limit = expanded ? EXPANDED_BYTES : PREVIEW_BYTES
  let bytes: Uint8Array
  try {
    bytes = bytesOf(base64, limit)
  } catch {
    return { text: '(undecodable payload)', hidden: 0 }
  }
  const text = decodeBytes(bytes, view)
  return { text: expanded && view !== 'hex' && view !== 'base64' ? multiLine(text) : oneLine(text), hidden: Math.max(0, size - bytes.length) }
}
