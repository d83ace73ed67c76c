import type { Address } from '@socklab/shared'

type AnyAddress = Address | { host: string; port: number }

/** Shown for an address that is not known (yet): a connection that never connected has host '' and port 0. */
export const NO_ADDRESS = '—'

/**
 * An address as its host part and its `:port` part (where a line may break), e.g. `['[::1]', ':5000']`;
 * `['—', '']` when it is not known (empty host or port 0), `['', '']` when there is none.
 */
export function addressParts(a: AnyAddress | undefined | null): [host: string, port: string] {
  if (!a) return ['', '']
  const host = 'address' in a ? a.address : a.host
  if (!host || !a.port) return [NO_ADDRESS, '']
  return [host.includes(':') ? `[${host}]` : host, `:${a.port}`]
}

/** `127.0.0.1:5000`, `[::1]:5000`; `—` for an address not known (empty host or port 0). */
export function formatAddress(a: AnyAddress | undefined | null): string {
  return addressParts(a).join('')
}

/** Byte counts in B / KiB / MiB / GiB, exact below 10 KiB so small lessons show exact numbers. */
export function formatBytes(n: number): string {
  if (n < 10 * 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(v < 100 ? 1 : 0)} ${units[u]}`
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** Local wall-clock time, with milliseconds unless `seconds` (`14:03:07.125` / `14:03:07`). */
export function formatTime(ts: number, precision: 'ms' | 'seconds' = 'ms'): string {
  const d = new Date(ts)
  const s = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return precision === 'ms' ? `${s}.${pad(d.getMilliseconds(), 3)}` : s
}

/** Remove empty form values ('' / null / undefined), recursively, so optional API fields are just absent. */
export function withoutEmpty<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === null || v === undefined) continue
    if (typeof v === 'object' && !Array.isArray(v)) {
      const inner = withoutEmpty(v as Record<string, unknown>)
      if (Object.keys(inner).length) out[k] = inner
      continue
    }
    out[k] = v
  }
  return out as Partial<T>
}
