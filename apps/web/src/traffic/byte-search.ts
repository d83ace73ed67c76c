import { base64ToBytes, parseHex, type DataEvent, type TextEncoding, type ViewEncoding } from '@socklab/shared'

/**
 * Finding bytes in the traffic log. A query is turned into a byte pattern once (text encoded the way the
 * log shows it, or `hex: 0d 0a`), then matched against each data row's raw bytes. One row is one chunk
 * as it arrived: a pattern split across two chunks is not found.
 */

/** A query written as bytes starts with this (any case): `hex: 0d 0a`, `hex:0x0d,0x0a`, `hex: 0d0a`. */
export const HEX_PREFIX = 'hex:'

/** Bytes to find. Where `fold[i]` is 1, `bytes[i]` is a lower-case ASCII letter that also matches upper case. */
export interface BytePattern {
  bytes: Uint8Array
  fold: Uint8Array
}

export type SearchQuery =
  | { kind: 'none' }
  | { kind: 'invalid'; error: 'hex'; detail: string }
  | { kind: 'invalid'; error: 'unencodable'; char: string; encoding: TextEncoding }
  | { kind: 'pattern'; pattern: BytePattern; hex: boolean }

/** The text encoding a query is written in for a view: hex and base64 views search utf-8 text. */
export function queryEncoding(view: ViewEncoding): TextEncoding {
  return view === 'hex' || view === 'base64' ? 'utf-8' : view
}

/** Turn what was typed into bytes to look for. Empty (or only `hex:`) is no search. */
export function parseQuery(input: string, view: ViewEncoding): SearchQuery {
  const trimmed = input.trim()
  if (trimmed.toLowerCase().startsWith(HEX_PREFIX)) {
    let bytes: Uint8Array
    try {
      bytes = parseHex(trimmed.slice(HEX_PREFIX.length))
    } catch (err) {
      return { kind: 'invalid', error: 'hex', detail: (err as Error).message }
    }
    return bytes.length === 0 ? { kind: 'none' } : { kind: 'pattern', pattern: { bytes, fold: new Uint8Array(bytes.length) }, hex: true }
  }
  // Text is searched as typed (spaces included); only an all-blank box is no search.
  if (trimmed === '') return { kind: 'none' }
  const encoding = queryEncoding(view)
  const out: number[] = []
  const fold: number[] = []
  for (const char of input) {
    const bytes = encodeChar(char, encoding)
    if (!bytes) return { kind: 'invalid', error: 'unencodable', char, encoding }
    // Only a character that is an ASCII letter folds case: a gbk trail byte that happens to be 0x41 does not.
    const letter = bytes.length === 1 && isAsciiLetter(bytes[0]!)
    for (const b of bytes) {
      out.push(letter ? b | 0x20 : b)
      fold.push(letter ? 1 : 0)
    }
  }
  return { kind: 'pattern', pattern: { bytes: Uint8Array.from(out), fold: Uint8Array.from(fold) }, hex: false }
}

const isAsciiLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)

const utf8 = new TextEncoder()

/** One character (a code point) in `encoding`, or null when it has no bytes there. */
export function encodeChar(char: string, encoding: TextEncoding): number[] | null {
  const cp = char.codePointAt(0)!
  switch (encoding) {
    case 'utf-8':
      return [...utf8.encode(char)]
    case 'ascii':
      return cp < 0x80 ? [cp] : null
    case 'latin1':
      return cp <= 0xff ? [cp] : null
    default:
      return encodeGb(cp, encoding)
  }
}

/** Code unit → two gbk bytes (lead << 8 | trail), built once from the browser's own decoder. */
let gbTwo: Map<number, number> | null = null
/** BMP code unit → gb18030 four-byte pointer, for the characters outside the two-byte table. */
let gbFour: Map<number, number> | null = null

function gbTwoByte(): Map<number, number> {
  if (gbTwo) return gbTwo
  const map = new Map<number, number>()
  const d = new TextDecoder('gb18030')
  const pair = new Uint8Array(2)
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    pair[0] = lead
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue
      pair[1] = trail
      const s = d.decode(pair)
      if (s.length === 1 && s !== '\uFFFD' && !map.has(s.charCodeAt(0))) map.set(s.charCodeAt(0), (lead << 8) | trail)
    }
  }
  return (gbTwo = map)
}

/** gb18030 four-byte sequences are numbered ("pointers"); BMP ones run 0…39419. */
const FOUR_BYTE_BMP_POINTERS = 39420

function fourBytes(pointer: number): number[] {
  const b1 = Math.floor(pointer / 12600)
  const b2 = Math.floor((pointer % 12600) / 1260)
  const b3 = Math.floor((pointer % 1260) / 10)
  return [b1 + 0x81, b2 + 0x30, b3 + 0x81, (pointer % 10) + 0x30]
}

function gbFourByte(): Map<number, number> {
  if (gbFour) return gbFour
  const map = new Map<number, number>()
  const d = new TextDecoder('gb18030')
  for (let p = 0; p < FOUR_BYTE_BMP_POINTERS; p++) {
    const s = d.decode(Uint8Array.from(fourBytes(p)))
    if (s.length === 1 && s !== '\uFFFD' && !map.has(s.charCodeAt(0))) map.set(s.charCodeAt(0), p)
  }
  return (gbFour = map)
}

function encodeGb(cp: number, encoding: 'gbk' | 'gb18030'): number[] | null {
  if (cp < 0x80) return [cp]
  // The gbk encoder writes the euro sign as the single byte 0x80 (gb18030 has a two-byte code for it).
  if (cp === 0x20ac && encoding === 'gbk') return [0x80]
  const two = gbTwoByte().get(cp)
  if (two !== undefined) return [two >> 8, two & 0xff]
  if (encoding === 'gbk') return null
  if (cp >= 0x10000) return fourBytes(189000 + cp - 0x10000)
  const p = gbFourByte().get(cp)
  return p === undefined ? null : fourBytes(p)
}

/** Index of the first match at or after `from`, or -1. */
export function indexOfPattern(hay: Uint8Array, pattern: BytePattern, from = 0): number {
  const { bytes, fold } = pattern
  const m = bytes.length
  if (m === 0) return -1
  const last = hay.length - m
  const first = bytes[0]!
  const firstAlt = fold[0] ? first & ~0x20 : first
  for (let i = from; i <= last; i++) {
    const c = hay[i]!
    if (c !== first && c !== firstAlt) continue
    let k = 1
    while (k < m) {
      const h = hay[i + k]!
      const x = bytes[k]!
      // x is lower case where it folds: an upper-case letter ORed with 0x20 is x; nothing else is.
      if (h !== x && !(fold[k] && (h | 0x20) === x)) break
      k++
    }
    if (k === m) return i
  }
  return -1
}

/** Byte ranges [start, end) of the non-overlapping matches that start before `before` (all by default). */
export function findAll(hay: Uint8Array, pattern: BytePattern, before = hay.length): [number, number][] {
  const hits: [number, number][] = []
  const m = pattern.bytes.length
  for (let i = indexOfPattern(hay, pattern); i >= 0 && i < before; i = indexOfPattern(hay, pattern, i + m)) hits.push([i, i + m])
  return hits
}

/** A data row's bytes, decoded from base64 once and kept as long as the row (the event object) lives. */
const decoded = new WeakMap<DataEvent, Uint8Array>()
const NO_BYTES = new Uint8Array(0)

export function payloadBytes(e: DataEvent): Uint8Array {
  let bytes = decoded.get(e)
  if (!bytes) {
    try {
      bytes = base64ToBytes(e.data)
    } catch {
      bytes = NO_BYTES
    }
    decoded.set(e, bytes)
  }
  return bytes
}

/**
 * One search over the log: remembers each row's answer, so new rows arriving cost one match each and
 * the rows already seen cost a lookup. Make a new one when the pattern changes.
 */
export class RowSearch {
  private readonly answers = new WeakMap<DataEvent, boolean>()
  constructor(readonly pattern: BytePattern) {}

  matches(e: DataEvent): boolean {
    let found = this.answers.get(e)
    if (found === undefined) {
      found = indexOfPattern(payloadBytes(e), this.pattern) >= 0
      this.answers.set(e, found)
    }
    return found
  }
}
