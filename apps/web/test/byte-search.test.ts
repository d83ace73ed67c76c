import { describe, expect, it } from 'vitest'
import { bytesToBase64, type DataEvent } from '@socklab/shared'
import { RowSearch, encodeChar, findAll, indexOfPattern, parseQuery, payloadBytes, type BytePattern } from '../src/traffic/byte-search.ts'
import { PREVIEW_BYTES, renderMarked } from '../src/traffic/row-format.ts'

const hex = (h: string) => Uint8Array.from(h.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)))
const ascii = (s: string) => new TextEncoder().encode(s)

/** The pattern of a query that must parse. */
function pattern(input: string, view: Parameters<typeof parseQuery>[1] = 'utf-8'): BytePattern {
  const q = parseQuery(input, view)
  if (q.kind !== 'pattern') throw new Error(`expected a pattern for ${input}, got ${JSON.stringify(q)}`)
  return q.pattern
}

function dataEvent(seq: number, bytes: Uint8Array, truncated = false): DataEvent {
  return { seq, ts: 0, type: 'data', endpointId: 'e1', direction: 'in', size: bytes.length, data: bytesToBase64(bytes), total: 0, ...(truncated ? { truncated } : {}) }
}

describe('search queries', () => {
  it('encodes text in the view: gbk and gb18030 as gbk bytes, utf-8 for the hex and base64 views', () => {
    expect(pattern('你好', 'gbk').bytes).toEqual(hex('c4e3bac3'))
    expect(pattern('你好', 'gb18030').bytes).toEqual(hex('c4e3bac3'))
    expect(pattern('你好', 'utf-8').bytes).toEqual(hex('e4bda0 e5a5bd'))
    expect(pattern('你好', 'hex').bytes).toEqual(hex('e4bda0 e5a5bd'))
    expect(pattern('你好', 'base64').bytes).toEqual(hex('e4bda0 e5a5bd'))
    expect(pattern('é', 'latin1').bytes).toEqual(hex('e9'))
    // gb18030 has four-byte codes for what gbk lacks (and for everything outside the BMP).
    expect(encodeChar('😀', 'gb18030')).toEqual([0x94, 0x39, 0xfc, 0x36])
    expect(encodeChar('\u0080', 'gb18030')).toEqual([0x81, 0x30, 0x81, 0x30])
    expect(encodeChar('😀', 'gbk')).toBeNull()
  })

  it('says which character the view cannot encode', () => {
    expect(parseQuery('naïve', 'ascii')).toEqual({ kind: 'invalid', error: 'unencodable', char: 'ï', encoding: 'ascii' })
    expect(parseQuery('你', 'latin1')).toMatchObject({ kind: 'invalid', error: 'unencodable', char: '你', encoding: 'latin1' })
    expect(parseQuery('😀', 'gbk')).toMatchObject({ kind: 'invalid', char: '😀', encoding: 'gbk' })
  })

  it('reads "hex:" queries as exact bytes, in the separators the send box accepts', () => {
    for (const q of ['hex: 0d 0a', 'HEX:0d0a', 'hex: 0x0d,0x0a', ' hex:0D-0A ']) expect(pattern(q).bytes).toEqual(hex('0d0a'))
    expect(pattern('hex: 41').fold).toEqual(new Uint8Array(1)) // bytes are bytes: no case folding
  })

  it('reports invalid hex and searches nothing; an empty box (or a bare "hex:") is no search', () => {
    expect(parseQuery('hex: 0d 0g', 'utf-8')).toMatchObject({ kind: 'invalid', error: 'hex', detail: expect.stringContaining('0g') })
    expect(parseQuery('hex: 0d0', 'utf-8')).toMatchObject({ kind: 'invalid', error: 'hex', detail: expect.stringContaining('odd') })
    expect(parseQuery('', 'utf-8')).toEqual({ kind: 'none' })
    expect(parseQuery('   ', 'utf-8')).toEqual({ kind: 'none' })
    expect(parseQuery('hex:', 'utf-8')).toEqual({ kind: 'none' })
  })
})

describe('byte matcher', () => {
  it('matches ASCII letters in either case, and nothing else loosely', () => {
    const p = pattern('Hello')
    expect(indexOfPattern(ascii('say HELLO'), p)).toBe(4)
    expect(indexOfPattern(ascii('say hello'), p)).toBe(4)
    expect(indexOfPattern(ascii('say hElLo'), p)).toBe(4)
    expect(indexOfPattern(ascii('say help'), p)).toBe(-1)
    // '@' is 'A' - 1 and '[' is 'Z' + 1: no accidental folding around the letters; digits stay digits.
    expect(indexOfPattern(ascii('`'), pattern('@'))).toBe(-1)
    expect(indexOfPattern(ascii('{'), pattern('['))).toBe(-1)
    expect(indexOfPattern(ascii('\x10'), pattern('0'))).toBe(-1)
  })

  it('folds only characters that are ASCII letters, not gbk trail bytes that look like one', () => {
    // The gbk character 81 41 has 'A' as its trail byte; 81 61 ('a') is a different character.
    const char = new TextDecoder('gbk').decode(hex('8141'))
    const p = pattern(char, 'gbk')
    expect(p.bytes).toEqual(hex('8141'))
    expect(indexOfPattern(hex('8141'), p)).toBe(0)
    expect(indexOfPattern(hex('8161'), p)).toBe(-1)
    expect(indexOfPattern(hex('8161'), pattern('hex: 81 41'))).toBe(-1)
    // The letters around it still fold.
    expect(indexOfPattern(hex('58 8141 59'), pattern(`x${char}y`, 'gbk'))).toBe(0)
  })

  it('finds gbk text only in the gbk view, where its bytes are gbk', () => {
    const row = hex('6869 20 c4e3bac3 0d0a') // "hi 你好\r\n" in gbk
    expect(indexOfPattern(row, pattern('你好', 'gbk'))).toBe(3)
    expect(indexOfPattern(row, pattern('你好', 'utf-8'))).toBe(-1)
    expect(indexOfPattern(row, pattern('hex: 0d 0a'))).toBe(7)
    expect(findAll(hex('0d0a 41 0d0a 0d0a'), pattern('hex: 0d0a'))).toEqual([
      [0, 2],
      [3, 5],
      [5, 7],
    ])
    // Non-overlapping, and only the hits starting before a limit (what a collapsed row shows).
    expect(findAll(ascii('aaaa'), pattern('aa'))).toEqual([
      [0, 2],
      [2, 4],
    ])
    expect(findAll(ascii('xx ab ab'), pattern('ab'), 4)).toEqual([[3, 5]])
  })

  it('does not find a pattern split across two chunks: one row is one chunk', () => {
    const search = new RowSearch(pattern('hello'))
    const first = dataEvent(1, ascii('say hel'))
    const second = dataEvent(2, ascii('lo there'))
    expect(search.matches(first)).toBe(false)
    expect(search.matches(second)).toBe(false)
    expect(search.matches(dataEvent(3, ascii('say hello there')))).toBe(true)
  })

  it('searches a truncated row in the bytes it has', () => {
    const bytes = ascii('head only')
    const e = { ...dataEvent(1, bytes, true), size: 10_000 }
    expect(new RowSearch(pattern('head')).matches(e)).toBe(true)
    expect(new RowSearch(pattern('tail')).matches(e)).toBe(false)
  })

  it('decodes a row once and keeps the answer per search', () => {
    const e = dataEvent(1, ascii('abc'))
    expect(payloadBytes(e)).toBe(payloadBytes(e))
    const s = new RowSearch(pattern('b'))
    expect(s.matches(e)).toBe(true)
    expect(payloadBytes({ ...e, data: '!!!' })).toEqual(new Uint8Array(0)) // undecodable: no bytes, no match
  })

  it('finds exactly the matching rows among 100,000 (worst case: a case-folded near miss on every row)', () => {
    // Correctness at the page's full log size; speed is not asserted here (measured by hand: ~70 ms per search).
    const rows: DataEvent[] = []
    for (let i = 0; i < 100_000; i++) rows.push(dataEvent(i, ascii(`GET /item/${i} HTTP/1.1\r\nHost: example.test\r\nUser-Agent: socklab-bench\r\n\r\n`.padEnd(180, '.'))))
    const count = (q: string) => {
      const s = new RowSearch(pattern(q))
      return rows.filter((e) => s.matches(e)).length
    }
    expect(count('user-agent: curl')).toBe(0)
    expect(count('USER-AGENT: SOCKLAB')).toBe(100_000)
    expect(count('/item/99999 ')).toBe(1)
    expect(count('hex: 0d 0a 0d 0a')).toBe(100_000)
  })
})

describe('marking matches in a row', () => {
  const texts = (r: ReturnType<typeof renderMarked>) => r.pieces.map((p) => (p.hit ? `[${p.text}]` : p.text)).join('')

  it('marks the found bytes in text and hex views, outside the separators', () => {
    const bytes = hex('6869 20 c4e3bac3 0d0a')
    const hits = findAll(bytes, pattern('你好', 'gbk'))
    expect(texts(renderMarked(bytes, bytes.length, 'gbk', false, hits))).toBe('hi [你好]\\r\\n')
    expect(texts(renderMarked(bytes, bytes.length, 'hex', false, hits))).toBe('68 69 20 [c4 e3 ba c3] 0d 0a')
    expect(texts(renderMarked(bytes, bytes.length, 'hex', false, findAll(bytes, pattern('hex: 0d0a'))))).toBe('68 69 20 c4 e3 ba c3 [0d 0a]')
  })

  it('shows the row unmarked where pieces would read differently, and in base64', () => {
    const bytes = hex('c4e3bac3')
    // e3 ba starts inside 你: decoding the pieces apart would make mojibake.
    expect(texts(renderMarked(bytes, 4, 'gbk', false, [[1, 3]]))).toBe('你好')
    expect(texts(renderMarked(bytes, 4, 'base64', false, [[0, 2]]))).toBe('xOO6ww==')
    // An expanded row keeps \r\n as one line break: a hit on the \r alone is not marked.
    expect(texts(renderMarked(ascii('a\r\nb'), 4, 'utf-8', true, [[1, 2]]))).toBe('a\\r\nb')
  })

  it('marks only within the bytes a collapsed row shows', () => {
    const bytes = ascii('x'.repeat(PREVIEW_BYTES - 2) + 'abcd')
    const r = renderMarked(bytes, bytes.length, 'latin1', false, findAll(bytes, pattern('abc'), PREVIEW_BYTES))
    expect(r.hidden).toBe(2)
    expect(r.pieces.at(-1)).toEqual({ text: 'ab', hit: true })
  })
})
