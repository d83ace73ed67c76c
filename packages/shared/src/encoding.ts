/**
 * Bytes <-> text helpers shared by the gateway and the panel.
 * Pure TypeScript on Uint8Array (no Node Buffer) so the browser can use them too.
 */

/** Encodings a payload can be typed in (send box, API `encoding`). */
export const SEND_ENCODINGS = ['utf-8', 'gbk', 'gb18030', 'latin1', 'ascii', 'hex', 'base64'] as const
export type SendEncoding = (typeof SEND_ENCODINGS)[number]

/** Ways received bytes can be shown; switchable after the fact. */
export const VIEW_ENCODINGS = ['utf-8', 'gbk', 'gb18030', 'latin1', 'ascii', 'hex', 'base64'] as const
export type ViewEncoding = (typeof VIEW_ENCODINGS)[number]

/** Text encodings (encodable from a string by the gateway with iconv-lite / Buffer). */
export const TEXT_ENCODINGS = ['utf-8', 'gbk', 'gb18030', 'latin1', 'ascii'] as const
export type TextEncoding = (typeof TEXT_ENCODINGS)[number]

export const LINE_ENDINGS = { none: '', lf: '\n', crlf: '\r\n' } as const
export type LineEnding = keyof typeof LINE_ENDINGS

export class HexParseError extends Error {
  readonly code = 'EBADHEX'
  constructor(message: string) {
    super(message)
  }
}

/**
 * Parse hex typed by a person: `48 65 6c`, `0x48,0x65`, `48656c`, `48-65:6C`, newlines…
 * Tokens separated by anything that is not a hex digit; a `0x` prefix is allowed per token.
 * A token of odd length is an error (ambiguous), as is any non-hex character inside a token.
 */
export function parseHex(input: string): Uint8Array {
  const out: number[] = []
  const tokens = input.split(/[\s,;:\-_|]+/).filter(Boolean)
  for (let token of tokens) {
    if (/^0x/i.test(token)) token = token.slice(2)
    if (token.length === 0) continue
    if (!/^[0-9a-fA-F]+$/.test(token)) throw new HexParseError(`not a hex byte: "${token}"`)
    if (token.length % 2 !== 0) {
      if (token.length === 1) token = '0' + token
      else throw new HexParseError(`odd number of hex digits in "${token}"`)
    }
    for (let i = 0; i < token.length; i += 2) out.push(parseInt(token.slice(i, i + 2), 16))
  }
  return Uint8Array.from(out)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function bytesToHex(bytes: Uint8Array, separator = ' '): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += (i ? separator : '') + HEX[bytes[i]!]
  return s
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i
B64_INDEX['-'.charCodeAt(0)] = 62
B64_INDEX['_'.charCodeAt(0)] = 63

export function bytesToBase64(bytes: Uint8Array): string {
  let s = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '='
  }
  return s
}

export class Base64ParseError extends Error {
  readonly code = 'EBADBASE64'
}

/** Decode standard or url-safe base64; whitespace ignored; padding optional. */
export function base64ToBytes(input: string): Uint8Array {
  const clean = input.replace(/\s+/g, '').replace(/=+$/, '')
  if (clean.length % 4 === 1) throw new Base64ParseError('base64 text has an impossible length')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let buffer = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i)
    const v = c < 128 ? B64_INDEX[c]! : -1
    if (v < 0) throw new Base64ParseError(`not a base64 character: "${clean[i]}"`)
    buffer = (buffer << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (buffer >> bits) & 0xff
    }
  }
  return out.subarray(0, o)
}

const decoders = new Map<string, TextDecoder>()
function decoder(label: string): TextDecoder {
  let d = decoders.get(label)
  if (!d) {
    d = new TextDecoder(label)
    decoders.set(label, d)
  }
  return d
}

/**
 * Show bytes in the chosen view. Text views never throw: invalid sequences become U+FFFD,
 * which is exactly the mojibake the tutorials warn about (gbk bytes read as utf-8).
 */
export function decodeBytes(bytes: Uint8Array, view: ViewEncoding): string {
  switch (view) {
    case 'hex':
      return bytesToHex(bytes)
    case 'base64':
      return bytesToBase64(bytes)
    case 'latin1': {
      // TextDecoder('latin1') is really windows-1252; ISO-8859-1 maps each byte to the same code point.
      let s = ''
      for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192))
      return s
    }
    case 'ascii': {
      let s = ''
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!
        s += b < 0x80 ? String.fromCharCode(b) : '\uFFFD'
      }
      return s
    }
    default:
      return decoder(view).decode(bytes)
  }
}

/** Bytes a person cannot see (control characters) shown as escapes, for one-line previews. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
