import type { EndpointInfo } from '@socklab/shared'

/**
 * What changed in an endpoint snapshot that a person would call an event. Counters (stats, a traffic log's
 * bytes/events/dropped, a timed resend's `sent`) are not: the gateway sends a snapshot about once a second
 * while a log is written or a resend runs only so those stay live.
 */
export type SnapshotChange = 'state' | 'address' | 'error' | 'access' | 'log' | 'repeats'

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The traffic log's identity and condition, without its counters. */
const logKey = (e: EndpointInfo) => e.log && [e.log.state, e.log.file, e.log.error?.code, e.log.error?.message]
/** The running resends, without how often each has sent so far. */
const repeatsKey = (e: EndpointInfo) => (e.repeats ?? []).map((r) => [r.target, r.intervalMs, r.count, r.bytes, r.startedAt])

/**
 * The changes of `next` against the previous snapshot of the same endpoint; empty when only counters moved.
 * The first snapshot seen of an endpoint (`prev` undefined) is always an event: its state, and a log or
 * resend it already has.
 */
export function snapshotChanges(prev: EndpointInfo | undefined, next: EndpointInfo): SnapshotChange[] {
  if (!prev) {
    const first: SnapshotChange[] = ['state']
    if (next.log) first.push('log')
    if (next.repeats?.length) first.push('repeats')
    return first
  }
  const changes: SnapshotChange[] = []
  if (prev.state !== next.state) changes.push('state')
  if (!same(prev.local, next.local) || !same(prev.remote, next.remote)) changes.push('address')
  if (!same(prev.error, next.error)) changes.push('error')
  if (prev.owner !== next.owner || prev.shared !== next.shared) changes.push('access')
  if (!same(logKey(prev), logKey(next))) changes.push('log')
  if (!same(repeatsKey(prev), repeatsKey(next))) changes.push('repeats')
  return changes
}
