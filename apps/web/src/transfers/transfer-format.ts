import type { TransferInfo } from '@socklab/shared'
import { formatAddress, formatBytes } from '../common/format.ts'

/** A transfer as the panel shows it: the gateway's info plus the rate measured from its progress events. */
export interface TransferView extends TransferInfo {
  /** Bytes per second: smoothed while running, the average once ended. */
  rate?: number
}

/** Whole percent, 100 only when every byte is there (a 99.97% transfer is not "100%"). */
export function percentOf(t: TransferInfo): number | undefined {
  if (t.bytesTotal === undefined) return undefined
  if (t.bytesTotal === 0) return t.state === 'done' ? 100 : 0
  const p = (t.bytesDone / t.bytesTotal) * 100
  return t.bytesDone >= t.bytesTotal ? 100 : Math.min(99, Math.floor(p))
}

export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return ''
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** Seconds left at the current rate, as `42 s` / `3 min 5 s` / `1 h 2 min`. */
export function etaOf(t: TransferView): string {
  if (t.state !== 'running' || t.bytesTotal === undefined || !t.rate) return ''
  const s = Math.max(0, Math.ceil((t.bytesTotal - t.bytesDone) / t.rate))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/**
 * One line for the traffic log: `t3 download lecture.pdf ← 127.0.0.1:5000: running · 12.0 MiB / 40.0 MiB (30%)`.
 * `words` puts the direction and state in the reader's language.
 */
export function describeTransfer(t: TransferInfo, words: { direction: string; state: string } = t): string {
  const arrow = (t.direction === 'download') === (t.role === 'server') ? '→' : '←'
  const total = t.bytesTotal !== undefined ? ` / ${formatBytes(t.bytesTotal)}` : ''
  const pct = percentOf(t)
  const head = `${t.id} ${words.direction} ${t.name} ${arrow} ${formatAddress(t.peer)}: ${words.state} · ${formatBytes(t.bytesDone)}${total}${pct !== undefined ? ` (${pct}%)` : ''}`
  if (t.state === 'done' && t.sha256) return `${head} · sha256 ${t.sha256}`
  if (t.error) return `${head} — ${t.error.code}: ${t.error.message}`
  return head
}
