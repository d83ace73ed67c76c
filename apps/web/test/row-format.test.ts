import { describe, expect, it } from 'vitest'
import { bytesToBase64 } from '@socklab/shared'
import { EXPANDED_BYTES, PREVIEW_BYTES, bytesOf, oneLine, renderPayload } from '../src/traffic/row-format.ts'

const b64 = (hex: string) => bytesToBase64(Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16))))

describe('row formatting', () => {
  it('shows gbk bytes as 你好 in gbk and as replacement characters in utf-8', () => {
    const data = b64('c4e3bac3')
    expect(renderPayload(data, 4, 'gbk', false).text).toBe('你好')
    expect(renderPayload(data, 4, 'utf-8', false).text).toContain('\uFFFD')
    expect(renderPayload(data, 4, 'hex', false).text).toBe('c4 e3 ba c3')
  })

  it('keeps a row on one line: line breaks, tabs and control bytes become escapes', () => {
    expect(oneLine('a\r\nb\tc\x00\x1b')).toBe('a\\r\\nb\\tc\\x00\\x1b')
    expect(renderPayload(btoa('hi\r\n'), 4, 'utf-8', true).text).toBe('hi\\r\n')
  })

  it('decodes only the preview of a long payload and says how much is hidden', () => {
    const big = new Uint8Array(100_000).fill(0x41)
    const data = bytesToBase64(big)
    const collapsed = renderPayload(data, big.length, 'latin1', false)
    expect(collapsed.text).toBe('A'.repeat(PREVIEW_BYTES))
    expect(collapsed.hidden).toBe(100_000 - PREVIEW_BYTES)
    const expanded = renderPayload(data, big.length, 'latin1', true)
    expect(expanded.text.length).toBe(EXPANDED_BYTES)
    expect(expanded.hidden).toBe(100_000 - EXPANDED_BYTES)
    expect(bytesOf(data, 7)).toEqual(new Uint8Array(7).fill(0x41))
  })

  it('shows an empty datagram as empty text', () => {
    expect(renderPayload('', 0, 'utf-8', false)).toEqual({ text: '', hidden: 0 })
  })
})
