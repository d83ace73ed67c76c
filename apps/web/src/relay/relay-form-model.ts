import type { RelayWayFaults } from '@socklab/shared'

/** The create form of a relay: where it listens and where it forwards to (faults are set once it runs). */
export interface TcpRelayFormModel {
  host: string
  port: number | ''
  target: { host: string; port: number | '' }
  connectTimeoutMs: number | ''
}

export const relayDefaults = (): TcpRelayFormModel => ({ host: '127.0.0.1', port: 0, target: { host: '127.0.0.1', port: '' }, connectTimeoutMs: 10_000 })

/** One way's fault inputs; '' = off. */
export interface WayFaultsModel {
  latencyMs: number | ''
  bytesPerSecond: number | ''
  splitBytes: number | ''
  splitGapMs: number | ''
  coalesceMs: number | ''
}

export const WAY_FIELDS = ['latencyMs', 'bytesPerSecond', 'splitBytes', 'splitGapMs', 'coalesceMs'] as const

export function wayModel(f: RelayWayFaults | undefined): WayFaultsModel {
  return {
    latencyMs: f?.latencyMs || '',
    bytesPerSecond: f?.bytesPerSecond || '',
    splitBytes: f?.splitBytes || '',
    splitGapMs: f?.splitGapMs ?? '',
    coalesceMs: f?.coalesceMs || '',
  }
}

/** Inputs → API: only the numbers typed (a cleared input means "off"). */
export function wayFaults(m: WayFaultsModel): RelayWayFaults {
  const out: RelayWayFaults = {}
  for (const k of WAY_FIELDS) {
    const v = m[k]
    if (v !== '' && v !== null && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v)
  }
  if (!out.splitBytes) delete out.splitGapMs
  return out
}
