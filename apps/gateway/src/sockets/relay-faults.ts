import { say, type RelayFaultKind, type RelayFaults, type RelayWay, type RelayWayFaults, type Saying } from '@socklab/shared'

/** One way's faults with every value filled in (0 = off). */
export interface WayFaults {
  latencyMs: number
  bytesPerSecond: number
  splitBytes: number
  splitGapMs: number
  coalesceMs: number
}

/** Pause between split pieces when none is given: long enough that a reader's recv() sees them apart on loopback. */
export const DEFAULT_SPLIT_GAP_MS = 5

export function normalizeWay(f: RelayWayFaults | undefined): WayFaults {
  return {
    latencyMs: f?.latencyMs ?? 0,
    bytesPerSecond: f?.bytesPerSecond ?? 0,
    splitBytes: f?.splitBytes ?? 0,
    splitGapMs: f?.splitBytes ? (f.splitGapMs ?? DEFAULT_SPLIT_GAP_MS) : 0,
    coalesceMs: f?.coalesceMs ?? 0,
  }
}

/** True when bytes can go straight from read to write (the fast path). */
export function passesStraight(f: WayFaults): boolean {
  return f.latencyMs === 0 && f.bytesPerSecond === 0 && f.splitBytes === 0 && f.coalesceMs === 0
}

/** A PATCH: ways given replace that way's settings; `refuse` replaces when given; the rest is kept. */
export function mergeFaults(current: RelayFaults, patch: RelayFaults): RelayFaults {
  const next: RelayFaults = { ...current }
  if (patch.toTarget !== undefined) next.toTarget = patch.toTarget
  if (patch.toClient !== undefined) next.toClient = patch.toClient
  if (patch.refuse !== undefined) next.refuse = patch.refuse
  return next
}

function rate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1_048_576) return `${+(bytesPerSecond / 1_048_576).toFixed(1)} MiB/s`
  if (bytesPerSecond >= 1024) return `${+(bytesPerSecond / 1024).toFixed(1)} KiB/s`
  return `${bytesPerSecond} B/s`
}

/** The active faults of one way, in words (shared notes table), one entry per fault (for fault events). */
export function describeWay(way: RelayWay, f: WayFaults): ({ fault: RelayFaultKind } & Saying)[] {
  const out: ({ fault: RelayFaultKind } & Saying)[] = []
  if (f.latencyMs) out.push({ fault: 'latency', ...say('relay.latency', { way, ms: f.latencyMs }) })
  if (f.bytesPerSecond) out.push({ fault: 'bandwidth', ...say('relay.bandwidth', { way, rate: rate(f.bytesPerSecond) }) })
  if (f.coalesceMs) out.push({ fault: 'coalesce', ...say('relay.coalesce', { way, ms: f.coalesceMs }) })
  if (f.splitBytes) out.push({ fault: 'split', ...say('relay.split', { way, bytes: f.splitBytes, gapMs: f.splitGapMs }) })
  return out
}
