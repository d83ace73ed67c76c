import { describe, expect, it } from 'vitest'
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  decodeBytes,
  parseHex,
  printable,
  validate,
  Base64ParseError,
  HexParseError,
  SendBodySchema,
  TcpClientOptionsSchema,
  TcpServerOptionsSchema,
  UdpOptionsSchema,
} from '../src/index.ts'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('parseHex', () => {
  it.each([
    ['48 65 6c 6c 6f', '48656c6c6f'],
    ['48656c6c6f', '48656c6c6f'],
    ['48656C6C6F', '48656c6c6f'],
    ['0x48,0x65,0x6c', '48656c'],
    ['0X48 0x65', '4865'],
    ['0x48, 0x65; 0x6c', '48656c'],
    ['48-65:6c_6c|6f', '48656c6c6f'],
    ['  48\n65\r\n\t6c  ', '48656c'],
    ['4865 6c6c', '48656c6c'],
    ['0x4865', '4865'],
    ['0 a f', '000a0f'],
    ['ff FF fF', 'ffffff'],
    ['', ''],
    ['   ', ''],
  ])('accepts %j → %s', (input, expected) => {
    expect(hex(parseHex(input))).toBe(expected)
  })

  it.each([
    ['zz', 'not a hex byte: "zz"'],
    ['48 6g', 'not a hex byte: "6g"'],
    ['486', 'odd number of hex digits in "486"'],
    ['0x486', 'odd number of hex digits in "486"'],
    ['48.65', 'not a hex byte: "48.65"'],
    ['0x0x48', 'not a hex byte: "0x48"'],
    ['你好', 'not a hex byte: "你好"'],
  ])('rejects %j with a message naming the token', (input, message) => {
    let error: unknown
    try {
      parseHex(input)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(HexParseError)
    expect(error).toMatchObject({ code: 'EBADHEX', message })
  })

  it('bytesToHex writes lower-case pairs with a chosen separator', () => {
    expect(bytesToHex(Uint8Array.from([0, 0x0a, 0xff, 0x48]))).toBe('00 0a ff 48')
    expect(bytesToHex(Uint8Array.from([0xde, 0xad]), '')).toBe('dead')
    expect(bytesToHex(new Uint8Array(0))).toBe('')
    // Round trip through what a person would type.
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(hex(parseHex(bytesToHex(all)))).toBe(hex(all))
  })
})

describe('base64', () => {
  it('round-trips every length 0..70 and matches Node’s encoder', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff)
      const b64 = bytesToBase64(bytes)
      expect(b64).toBe(Buffer.from(bytes).toString('base64'))
      expect(hex(base64ToBytes(b64))).toBe(hex(bytes))
    }
  })

  it('empty in, empty out', () => {
    expect(bytesToBase64(new Uint8Array(0))).toBe('')
    expect(base64ToBytes('').length).toBe(0)
    expect(base64ToBytes('  \n').length).toBe(0)
  })

  it('reads url-safe, unpadded and wrapped input', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0xfe])
    const url = Buffer.from(bytes).toString('base64url') // -_-_ style, no padding
    expect(url).toMatch(/[-_]/)
    expect(hex(base64ToBytes(url))).toBe(hex(bytes))
    expect(hex(base64ToBytes('+/+/'))).toBe(hex(base64ToBytes('-_-_')))
    expect(hex(base64ToBytes('SGVsbG8'))).toBe('48656c6c6f')
    expect(hex(base64ToBytes('SGVs\r\nbG8=\n'))).toBe('48656c6c6f')
  })

  it.each([
    ['SGV$bG8=', 'not a base64 character: "$"'],
    ['SG=Vsg', 'not a base64 character: "="'],
    ['SGVsb', 'base64 text has an impossible length'],
    ['SGé=', 'not a base64 character: "é"'],
  ])('rejects %j', (input, message) => {
    expect(() => base64ToBytes(input)).toThrow(Base64ParseError)
    expect(() => base64ToBytes(input)).toThrow(message)
  })
})

describe('decodeBytes views', () => {
  const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))

  it('gbk and gb18030 read Chinese text; utf-8 shows the mojibake the tutorials warn about', () => {
    expect(decodeBytes(b('c4e3bac3'), 'gbk')).toBe('你好')
    expect(decodeBytes(b('d2d1cbcdb4ef'), 'gbk')).toBe('已送达')
    expect(decodeBytes(b('c4e3bac3'), 'gb18030')).toBe('你好')
    expect(decodeBytes(b('e4bda0e5a5bd'), 'utf-8')).toBe('你好')
    const wrong = decodeBytes(b('c4e3bac3'), 'utf-8')
    expect(wrong).not.toBe('你好')
    expect(wrong).toContain('\uFFFD')
  })

  it('latin1 maps every byte 0x00..0xff to the same code point (not windows-1252)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const text = decodeBytes(all, 'latin1')
    expect(text.length).toBe(256)
    for (let i = 0; i < 256; i++) expect(text.charCodeAt(i)).toBe(i)
    expect(decodeBytes(b('80'), 'latin1')).toBe('\u0080') // windows-1252 would say €
    expect(decodeBytes(b('636166e9'), 'latin1')).toBe('café')
  })

  it('latin1 handles large inputs (chunked, no call-stack overflow)', () => {
    const big = new Uint8Array(200_000).fill(0x41)
    expect(decodeBytes(big, 'latin1')).toBe('A'.repeat(200_000))
  })

  it('ascii keeps 0x00..0x7f and replaces each high byte with U+FFFD', () => {
    expect(decodeBytes(b('48690a'), 'ascii')).toBe('Hi\n')
    expect(decodeBytes(b('4880ff49'), 'ascii')).toBe('H\uFFFD\uFFFDI')
    expect(decodeBytes(b('c4e3bac3'), 'ascii')).toBe('\uFFFD'.repeat(4))
  })

  it('hex and base64 views', () => {
    expect(decodeBytes(b('48656c6c6f'), 'hex')).toBe('48 65 6c 6c 6f')
    expect(decodeBytes(b('48656c6c6f'), 'base64')).toBe('SGVsbG8=')
    expect(decodeBytes(new Uint8Array(0), 'hex')).toBe('')
    expect(decodeBytes(new Uint8Array(0), 'utf-8')).toBe('')
  })

  it('printable escapes control characters but keeps tab, newline and carriage return', () => {
    expect(printable('a\x00b\x1bc\x7f')).toBe('a\\x00b\\x1bc\\x7f')
    expect(printable('line\r\n\tnext')).toBe('line\r\n\tnext')
    expect(printable('你好')).toBe('你好')
  })
})

describe('validate', () => {
  it('accepts a valid value and returns it unchanged (no defaults filled in)', () => {
    const input = { kind: 'tcp-client', host: '127.0.0.1', port: 80 }
    const r = validate(TcpClientOptionsSchema, input)
    expect(r).toEqual({ ok: true, value: input })
    expect(input).toEqual({ kind: 'tcp-client', host: '127.0.0.1', port: 80 })
  })

  it.each([
    [{ kind: 'tcp-server', port: 70000 }, 'port'],
    [{ kind: 'tcp-server', port: -1 }, 'port'],
    [{ kind: 'tcp-server', port: 1.5 }, 'port'],
    [{ kind: 'tcp-server', port: '80' }, 'port'],
    [{ kind: 'tcp-server' }, 'port'],
    [{ kind: 'tcp-server', port: 0, colour: 'red' }, 'colour'],
    [{ kind: 'tcp-server', port: 0, reply: { mode: 'loud' } }, 'reply.mode'],
    [{ kind: 'tcp-server', port: 0, reply: { mode: 'echo', extra: 1 } }, 'reply.extra'],
    [{ kind: 'tcp-server', port: 0, backlog: 0 }, 'backlog'],
    [{ kind: 'tcp-server', port: 0, idleTimeoutMs: -5 }, 'idleTimeoutMs'],
    [{ kind: 'tcp-server', port: 0, host: '' }, 'host'],
  ])('names the field: %j → %s', (input, field) => {
    const r = validate(TcpServerOptionsSchema, input)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('EVALIDATION')
    expect(r.error.field).toBe(field)
    expect(r.error.message).toContain(field)
  })

  it('names nested fields of UDP and send bodies', () => {
    const udp = validate(UdpOptionsSchema, { kind: 'udp', port: 0, remote: { host: '127.0.0.1', port: 99999 } })
    expect(udp.ok || udp.error.field).toBe('remote.port')
    const send = validate(SendBodySchema, { data: 'x', to: { host: '127.0.0.1' } })
    expect(send.ok || send.error.field).toBe('to.port')
    const unknown = validate(SendBodySchema, { data: 'x', dta: 'y' })
    expect(unknown.ok || unknown.error).toEqual({ code: 'EVALIDATION', message: 'unknown field "dta"', field: 'dta' })
  })
})
