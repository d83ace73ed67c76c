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
  // ASCII-only fast path: safe in every ASCII-compatible encoding and needs no decode.
  let ascii = true
  for (let i = 0; i < chunk.length; i++) if (chunk[i]! >= 0x80) { ascii = false; break }
  if (ascii) return upperAsciiBytes(chunk)
  const text = encoding === 'utf-8' ? chunk.toString('utf8') : iconv.decode(chunk, encoding)
  const answer = encodeText(text.toUpperCase(), encoding)
  // Bytes that are not valid in the endpoint's encoding (gbk sent to a utf-8 server) would come back as
  // U+FFFD garbage of another length; answer them byte for byte instead, upper-casing only ASCII letters.
  if (!encodeText(text, encoding).equals(chunk)) return upperAsciiBytes(chunk)
  return answer
}

function upperAsciiBytes(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(chunk.length)
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i]!
    out[i] = b >= 0x61 && b <= 0x7a ? b - 32 : b
  }
  return out
}
