import { describe, expect, it } from 'vitest'
import { NO_ADDRESS, addressParts, formatAddress } from '../src/common/format.ts'

describe('address formatting', () => {
  it('writes IPv4 as host:port and brackets IPv6, split before the port', () => {
    expect(formatAddress({ address: '127.0.0.1', port: 5000 })).toBe('127.0.0.1:5000')
    expect(formatAddress({ host: '::1', port: 5000 })).toBe('[::1]:5000')
    expect(addressParts({ address: '::ffff:127.0.0.1', port: 40251, family: 'IPv6' })).toEqual(['[::ffff:127.0.0.1]', ':40251'])
  })

  it('shows "—" for an address never learned (a refused or timed-out connect), "" for none at all', () => {
    expect(formatAddress({ address: '', port: 0 })).toBe(NO_ADDRESS)
    expect(formatAddress({ address: '127.0.0.1', port: 0 })).toBe('—')
    expect(formatAddress({ address: '', port: 80 })).toBe('—')
    expect(formatAddress(undefined)).toBe('')
  })
})
