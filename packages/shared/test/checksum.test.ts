import { describe, expect, it } from 'vitest'
import {
  appendChecksum,
  CHECKSUMS,
  CHECKSUM_SIZE,
  checksumBytes,
  crc16Ccitt,
  crc16Modbus,
  crc32,
  crc8,
  parseHex,
  sum8,
  validate,
  xor8,
  SendBodySchema,
  type ChecksumKind,
} from '../src/index.ts'

const ascii = (s: string) => new TextEncoder().encode(s)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase()
const CHECK = ascii('123456789')

describe('checksum check values (the catalogue "123456789" vectors)', () => {
  it('CRC-32 is CBF43926', () => expect(crc32(CHECK).toString(16).toUpperCase()).toBe('CBF43926'))
  it('CRC-16/CCITT-FALSE is 29B1', () => expect(crc16Ccitt(CHECK).toString(16).toUpperCase()).toBe('29B1'))
  it('CRC-16/MODBUS is 4B37', () => expect(crc16Modbus(CHECK).toString(16).toUpperCase()).toBe('4B37'))
  it('CRC-8 (poly 0x07) is F4', () => expect(crc8(CHECK).toString(16).toUpperCase()).toBe('F4'))
  it('sum8 is the byte sum mod 256 (0x31+…+0x39 = 0x1DD → DD)', () => expect(sum8(CHECK)).toBe(0xdd))
  it('xor8 of "123456789" is 0x31', () => expect(xor8(CHECK)).toBe(0x31))
  it('empty input: the initial values', () => {
    expect(crc32(new Uint8Array())).toBe(0)
    expect(crc16Modbus(new Uint8Array())).toBe(0xffff)
    expect(crc16Ccitt(new Uint8Array())).toBe(0xffff)
    expect(crc8(new Uint8Array())).toBe(0)
  })
  it('CRC-32 agrees with zlib on a long random buffer', async () => {
    const { crc32: zlibCrc32 } = await import('node:zlib')
    const data = new Uint8Array(100_003)
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24
    expect(crc32(data)).toBe(zlibCrc32(data))
  })
})

describe('checksumBytes: wire order', () => {
  it('Modbus RTU read request 01 03 00 00 00 0A ends with C5 CD (low byte first)', () => {
    expect(hex(checksumBytes('crc16-modbus', parseHex('01 03 00 00 00 0A')))).toBe('C5CD')
  })
  it('Modbus RTU 01 03 00 01 00 01 ends with D5 CA', () => {
    expect(hex(checksumBytes('crc16-modbus', parseHex('01 03 00 01 00 01')))).toBe('D5CA')
  })
  it('CCITT and CRC-32 go big-endian', () => {
    expect(hex(checksumBytes('crc16-ccitt', CHECK))).toBe('29B1')
    expect(hex(checksumBytes('crc32', CHECK))).toBe('CBF43926')
  })
  it.each(CHECKSUMS.map((k) => [k] as [ChecksumKind]))('%s appends CHECKSUM_SIZE bytes after the data', (kind) => {
    const out = appendChecksum(kind, CHECK)
    expect(out.length).toBe(CHECK.length + CHECKSUM_SIZE[kind])
    expect(hex(out.subarray(0, CHECK.length))).toBe(hex(CHECK))
    expect(hex(out.subarray(CHECK.length))).toBe(hex(checksumBytes(kind, CHECK)))
  })
  it('rejects an unknown kind', () => {
    expect(() => checksumBytes('md5' as ChecksumKind, CHECK)).toThrow(/unknown checksum "md5"/)
  })
})

describe('SendBody checksum and repeat', () => {
  it('accepts every checksum and a repeat', () => {
    for (const checksum of CHECKSUMS) expect(validate(SendBodySchema, { data: 'x', checksum }).ok).toBe(true)
    expect(validate(SendBodySchema, { data: 'x', repeat: { intervalMs: 10, count: 3 } }).ok).toBe(true)
    expect(validate(SendBodySchema, { data: 'x', repeat: { intervalMs: 3_600_000 } }).ok).toBe(true)
  })
  it.each([
    [{ checksum: 'md5' }, 'checksum'],
    [{ repeat: { intervalMs: 5 } }, 'repeat.intervalMs'],
    [{ repeat: { intervalMs: 3_600_001 } }, 'repeat.intervalMs'],
    [{ repeat: { intervalMs: 20.5 } }, 'repeat.intervalMs'],
    [{ repeat: { intervalMs: 20, count: 0 } }, 'repeat.count'],
    [{ repeat: { intervalMs: 20, count: 1_000_001 } }, 'repeat.count'],
    [{ repeat: { count: 3 } }, 'repeat.intervalMs'],
    [{ repeat: { intervalMs: 20, every: 1 } }, 'repeat.every'],
  ])('rejects %j naming %s', (extra, field) => {
    const r = validate(SendBodySchema, { data: 'x', ...extra })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.field).toBe(field)
  })
})
