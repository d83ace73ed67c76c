import iconv from 'iconv-lite'
import { base64ToBytes, checksumBytes, LINE_ENDINGS, parseHex, type ChecksumKind, type LineEnding, type SendEncoding } from '@socklab/shared'
import { SocketError } from './socket-error.ts'

/**
 * Text or hex/base64 typed by a person → the bytes to send. Throws a SocketError naming the problem.
 * A checksum covers the payload only and goes before the line ending (`payload + check + eol`), as devices
 * that frame by line expect; the line ending is plain ASCII in every supported encoding.
 */
export function encodePayload(
  data: string,
  encoding: SendEncoding = 'utf-8',
  lineEnding: LineEnding = 'none',
  checksum: ChecksumKind = 'none',
): Buffer {
  const eol = LINE_ENDINGS[lineEnding] ?? ''
  const body = encodeBody(data, encoding)
  if (checksum === 'none' && !eol) return body
  const check = checksum === 'none' ? null : checksumBytes(checksum, body)
  return Buffer.concat([body, ...(check ? [check] : []), ...(eol ? [Buffer.from(eol, 'ascii')] : [])])
}

function encodeBody(data: string, encoding: SendEncoding): Buffer {
  try {
    switch (encoding) {
      case 'hex':
        return Buffer.from(parseHex(data))
      case 'base64':
        return Buffer.from(base64ToBytes(data))
      case 'utf-8':
        return Buffer.from(data, 'utf8')
      case 'latin1':
        return Buffer.from(data, 'latin1')
      case 'ascii':
        if (/[^\x00-\x7f]/.test(data)) throw new SocketError('EENCODING', 'text has characters outside ASCII; choose utf-8 or gbk', 'data')
        return Buffer.from(data, 'ascii')
      default:
        return encodeText(data, encoding)
    }
  } catch (err) {
    if (err instanceof SocketError) throw err
    const code = (err as { code?: string }).code ?? 'EENCODING'
    throw new SocketError(code, `cannot read data as ${encoding}: ${(err as Error).message}`, 'data')
  }
}

export function encodeText(text: string, encoding: string): Buffer {
  if (encoding === 'utf-8' || encoding === 'utf8') return Buffer.from(text, 'utf8')
  if (encoding === 'latin1') return Buffer.from(text, 'latin1')
  return iconv.encode(text, encoding)
}

/** Upper-case a chunk the way the tutorial's `data.decode().upper().encode()` does, in the endpoint's encoding. */
export function upperCase(chunk: Buffer, encoding: string): Buffer {
  // Bytes that are not valid in the endpoint's encoding (gbk sent to a utf-8 server) would come back as
  // U+FFFD garbage of another length; answer them byte for byte instead, upper-casing only ASCII letters.
  return upperCaseText(chunk, encoding) ?? upperAsciiBytes(chunk)
}

/** The upper-cased text bytes, or null when the chunk is not valid text in the encoding. */
function upperCaseText(chunk: Buffer, encoding: string): Buffer | null {
  // ASCII-only fast path: safe in every ASCII-compatible encoding and needs no decode.
  let ascii = true
  for (let i = 0; i < chunk.length; i++) if (chunk[i]! >= 0x80) { ascii = false; break }
  if (ascii) return upperAsciiBytes(chunk)
  const text = encoding === 'utf-8' ? chunk.toString('utf8') : iconv.decode(chunk, encoding)
  if (!encodeText(text, encoding).equals(chunk)) return null
  return encodeText(text.toUpperCase(), encoding)
}

/**
 * Upper-case a byte stream (one TCP connection) as if it had arrived whole: a character split across reads
 * (`é` as 2 reads of 1 byte, `你` as 2 + 1) waits for its last byte and is answered with the next chunk.
 * A chunk that is not valid text in the encoding is answered byte for byte (as `upperCase` does), holding
 * nothing back. One instance per connection.
 */
export class UpperCaseStream {
  private held: Buffer | null = null

  constructor(private readonly encoding: string) {}

  /** Bytes to answer a chunk with, or null while everything received is the start of one character. */
  answer(chunk: Buffer): Buffer | null {
    const data = this.held ? Buffer.concat([this.held, chunk]) : chunk
    this.held = null
    const keep = incompleteTail(data, this.encoding)
    if (keep === 0) return upperCase(data, this.encoding)
    const head = data.subarray(0, data.length - keep)
    const upper = upperCaseText(head, this.encoding)
    if (!upper) return upperAsciiBytes(data)
    this.held = Buffer.from(data.subarray(head.length)) // a copy: at most 3 bytes, not a view pinning the read buffer
    return upper.length > 0 ? upper : null
  }

  /** End of the stream (peer's FIN, or close-after-reply): a character that never completed, byte for byte. */
  end(): Buffer | null {
    const held = this.held
    this.held = null
    return held ? upperAsciiBytes(held) : null
  }
}

/**
 * How many bytes at the end of `bytes` start a character of the encoding that is not complete yet
 * (0 when the chunk ends on a character boundary, or when the tail is invalid rather than incomplete).
 */
function incompleteTail(bytes: Buffer, encoding: string): number {
  switch (encoding) {
    case 'utf-8':
    case 'utf8':
      return utf8Tail(bytes)
    case 'gbk':
      return gbTail(bytes, false)
    case 'gb18030':
      return gbTail(bytes, true)
    default:
      return 0 // latin1, ascii: one byte per character
  }
}

function utf8Tail(b: Buffer): number {
  const n = b.length
  for (let k = 1; k <= 3 && k <= n; k++) {
    const c = b[n - k]!
    if (c < 0x80) return 0 // ASCII: a boundary
    if (c < 0xc0) continue // continuation byte: look further back for its lead
    if (c < 0xc2 || c > 0xf4) return 0 // never valid as a lead byte
    const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2
    if (k >= length) return 0 // complete (or over-long: invalid, not incomplete)
    if (k >= 2) {
      // The second byte's narrower ranges (no over-long forms, surrogates or code points past U+10FFFF).
      const s = b[n - k + 1]!
      if ((c === 0xe0 && s < 0xa0) || (c === 0xed && s > 0x9f) || (c === 0xf0 && s < 0x90) || (c === 0xf4 && s > 0x8f)) return 0
    }
    return k
  }
  return 0
}

/** GBK: lead 0x81–0xFE + one trail byte. GB18030 adds lead, 0x30–0x39, 0x81–0xFE, 0x30–0x39. */
function gbTail(b: Buffer, fourByte: boolean): number {
  const n = b.length
  // A byte below 0x30 is never part of a multi-byte character: scan forward from the last one.
  let i = n
  while (i > 0 && b[i - 1]! >= 0x30) i--
  while (i < n) {
    const c = b[i]!
    if (c < 0x81 || c === 0xff) {
      i++
      continue
    }
    if (i + 1 === n) return 1
    const c2 = b[i + 1]!
    if (fourByte && c2 >= 0x30 && c2 <= 0x39) {
      if (i + 4 <= n) {
        i += 4
        continue
      }
      if (i + 2 < n && (b[i + 2]! < 0x81 || b[i + 2] === 0xff)) return 0 // invalid third byte
      return n - i
    }
    i += 2
  }
  return 0
}

function upperAsciiBytes(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(chunk.length)
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i]!
    out[i] = b >= 0x61 && b <= 0x7a ? b - 32 : b
  }
  return out
}
