import { describe, expect, it } from 'vitest'
import { DEFAULT_RECONNECT_POLICY, reconnectDelay } from '../src/live/reconnect-policy.ts'

describe('reconnectDelay', () => {
  const p = { maxTries: 10, baseDelayMs: 250, maxDelayMs: 5000, jitter: 0 }

  it('doubles from the base delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((a) => reconnectDelay(p, a))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000])
  })

  it('spreads delays by the jitter fraction, never past the cap', () => {
    const q = { ...p, jitter: 0.2 }
    expect(reconnectDelay(q, 2, 0)).toBe(400)
    expect(reconnectDelay(q, 2, 0.999999)).toBe(600)
    expect(reconnectDelay(q, 8, 0.999999)).toBe(5000)
  })

  it('has a bounded number of tries by default', () => {
    expect(DEFAULT_RECONNECT_POLICY.maxTries).toBeGreaterThan(0)
    expect(Number.isFinite(DEFAULT_RECONNECT_POLICY.maxTries)).toBe(true)
  })
})
