import type { RelayFaultKind, RelayFaults, RelayWay, RelayWayFaults } from '@socklab/shared'

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

export const WAY_LABEL: Record<RelayWay, string> = { toTarget: 'client→target', toClient: 'target→client' }

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

/** The active faults of one way, in words, one entry per fault (for fault events and notes). */
export function describeWay(way: RelayWay, f: WayFaults): { fault: RelayFaultKind; text: string }[] {
  const label = WAY_LABEL[way]
  const out: { fault: RelayFaultKind; text: string }[] = []
  if (f.latencyMs) out.push({ fault: 'latency', text: `${label}: every chunk held ${f.latencyMs} ms` })
  if (f.bytesPerSecond) out.push({ fault: 'bandwidth', text: `${label}: limited to ${rate(f.bytesPerSecond)}` })
  if (f.coalesceMs) out.push({ fault: 'coalesce', text: `${label}: chunks arriving within ${f.coalesceMs} ms are glued into one write (粘包)` })
  if (f.splitBytes) {
    out.push({ fault: 'split', text: `${label}: writes split into ${f.splitBytes}-byte pieces, ${f.splitGapMs} ms apart (拆包)` })
  }
  return out
}
