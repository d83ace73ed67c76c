/**
 * Checksums a device protocol appends to a frame, as serial/network test tools (NetAssist, Packet Sender,
 * Hercules) offer them. Each returns the check bytes in the order they go on the wire.
 *
 * Convention (documented in the README): the check covers the payload bytes only and is appended right
 * after them, BEFORE any line ending — `01 03 00 00 00 0A` + CRC `C5 CD` + `\r\n`.
 */
export const CHECKSUMS = ['none', 'sum8', 'xor8', 'crc8', 'crc16-modbus', 'crc16-ccitt', 'crc32'] as const
export type ChecksumKind = (typeof CHECKSUMS)[number]

/** How many check bytes each kind appends. */
export const CHECKSUM_SIZE: Record<ChecksumKind, number> = {
  none: 0,
  sum8: 1,
  xor8: 1,
  crc8: 1,
  'crc16-modbus': 2,
  'crc16-ccitt': 2,
  crc32: 4,
}

/** Sum of all bytes, modulo 256. */
export function sum8(data: Uint8Array): number {
  let s = 0
  for (let i = 0; i < data.length; i++) s = (s + data[i]!) & 0xff
  return s
}

/** XOR of all bytes (the "BCC" of many serial protocols). */
export function xor8(data: Uint8Array): number {
  let x = 0
  for (let i = 0; i < data.length; i++) x ^= data[i]!
  return x
}

/** CRC-8 (SMBus): poly 0x07, init 0x00, no reflection, no final XOR. Check value of "123456789" is 0xF4. */
export function crc8(data: Uint8Array): number {
  let crc = 0
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i]!
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff
  }
  return crc
}

/** CRC-16/MODBUS: reflected poly 0xA001 (0x8005), init 0xFFFF. Check value of "123456789" is 0x4B37. */
export function crc16Modbus(data: Uint8Array): number {
  let crc = 0xffff
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i]!
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1
  }
  return crc
}

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection. Check value of "123456789" is 0x29B1. */
export function crc16Ccitt(data: Uint8Array): number {
  let crc = 0xffff
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i]! << 8
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

let crc32Table: Uint32Array | undefined
function crc32Lookup(): Uint32Array {
  if (crc32Table) return crc32Table
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return (crc32Table = table)
}

/** CRC-32 (zlib, Ethernet): reflected poly 0xEDB88320, init and final XOR 0xFFFFFFFF. "123456789" → 0xCBF43926. */
export function crc32(data: Uint8Array): number {
  // Table-driven: payloads go up to 8 MiB, and the bitwise loop is eight times the work per byte.
  const table = crc32Lookup()
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** The check bytes for `data`, in wire order: Modbus CRC little-endian (low byte first, as RTU sends it), CCITT and CRC-32 big-endian. */
export function checksumBytes(kind: ChecksumKind, data: Uint8Array): Uint8Array {
  switch (kind) {
    case 'none':
      return new Uint8Array(0)
    case 'sum8':
      return Uint8Array.of(sum8(data))
    case 'xor8':
      return Uint8Array.of(xor8(data))
    case 'crc8':
      return Uint8Array.of(crc8(data))
    case 'crc16-modbus': {
      const c = crc16Modbus(data)
      return Uint8Array.of(c & 0xff, c >>> 8)
    }
    case 'crc16-ccitt': {
      const c = crc16Ccitt(data)
      return Uint8Array.of(c >>> 8, c & 0xff)
    }
    case 'crc32': {
      const c = crc32(data)
      return Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff)
    }
    default:
      throw new RangeError(`unknown checksum "${String(kind)}"; use one of ${CHECKSUMS.join(', ')}`)
  }
}

/** `data` followed by its check bytes. */
export function appendChecksum(kind: ChecksumKind, data: Uint8Array): Uint8Array {
  if (kind === 'none') return data
  const check = checksumBytes(kind, data)
  const out = new Uint8Array(data.length + check.length)
  out.set(data, 0)
  out.set(check, data.length)
  return out
}
