import { describe, expect, it } from 'vitest'
import { LogRing, firstAfter } from '../src/live/log-ring.ts'

interface Row {
  n: number
  v: number
}

describe('LogRing', () => {
  it('keeps the newest rows up to its capacity and counts what it dropped', () => {
    const ring = new LogRing<Row>(5000)
    for (let v = 1; v <= 12_345; v++) ring.push({ v })
    expect(ring.length).toBe(5000)
    expect(ring.dropped).toBe(7345)
    expect(ring.pushed).toBe(12_345)
    const rows = ring.toArray()
    expect(rows[0]!.v).toBe(7346)
    expect(rows.at(-1)!.v).toBe(12_345)
    expect(ring.at(0)!.v).toBe(7346)
    expect(ring.at(5000)).toBeUndefined()
    // Numbers keep increasing and are never reused, also across a clear.
    expect(rows.every((r, i) => i === 0 || r.n === rows[i - 1]!.n + 1)).toBe(true)
    ring.clear()
    expect([ring.length, ring.dropped]).toEqual([0, 0])
    expect(ring.push({ v: 0 }).n).toBe(12_346)
  })

  it('gives a copy that does not move when the ring does', () => {
    const ring = new LogRing<Row>(3)
    for (let v = 1; v <= 3; v++) ring.push({ v })
    const before = ring.toArray()
    ring.push({ v: 4 })
    expect(before.map((r) => r.v)).toEqual([1, 2, 3])
    expect(ring.toArray().map((r) => r.v)).toEqual([2, 3, 4])
  })

  it('finds the first row after a push number by binary search', () => {
    const rows = [2, 4, 6, 8].map((n) => ({ n }))
    expect(firstAfter(rows, 0)).toBe(0)
    expect(firstAfter(rows, 4)).toBe(2)
    expect(firstAfter(rows, 5)).toBe(2)
    expect(firstAfter(rows, 8)).toBe(4)
    expect(firstAfter([], 3)).toBe(0)
  })
})
