import os from 'node:os'

/**
 * Checks at the edge, before anything else runs: the Host a request names (against DNS rebinding) and
 * the Origin of the page that sent it (against cross-site requests).
 */

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])

/**
 * Host names a request may carry: loopback names always; the bound address; when bound to every
 * interface, each interface's address and this machine's name; plus what the operator adds.
 */
export function allowedHostnames(bindHost: string, extra: string[] = []): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1'])
  const add = (h: string) => h && names.add(h.toLowerCase().replace(/^\[|\]$/g, ''))
  if (WILDCARDS.has(bindHost)) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) add(a.address.split('%')[0]!)
    add(os.hostname())
    add(`${os.hostname()}.local`)
  } else add(bindHost)
  for (const h of extra) add(h.trim())
  return names
}

/** The host name in a Host header (`[::1]:8080` → `::1`, `Example.org:80` → `example.org`). */
export function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined
  const h = hostHeader.trim().toLowerCase()
  const m = h.startsWith('[') ? /^\[([^\]]+)\](?::\d+)?$/.exec(h) : /^([^:]+)(?::\d+)?$/.exec(h)
  return m?.[1]
}

/**
 * Whether a page at `origin` may call us: it is the same origin as the request's Host (the panel
 * served by this gateway), or the operator allowed it (a dev server).
 */
export function originAllowed(origin: string, hostHeader: string | undefined, extraOrigins: string[] = []): boolean {
  let u: URL
  try {
    u = new URL(origin)
  } catch {
    return false
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false
  if (hostHeader && u.host === hostHeader.trim().toLowerCase()) return true
  return extraOrigins.some((o) => o.replace(/\/$/, '').toLowerCase() === u.origin)
}
