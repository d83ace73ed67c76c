import os from 'node:os'
import { isLoopbackHost } from './edge.ts'

export interface BannerInput {
  host: string
  port: number
  auth: boolean
  token: string
  classCode: string
  /** The operator set SOCKLAB_TOKEN: they know it, so it is not printed. */
  tokenFromEnv: boolean
}

const shown = (h: string) => (h.includes(':') ? `[${h}]` : h)

/** Addresses students on the LAN can use when the gateway listens on every interface. */
function lanAddresses(): string[] {
  const out: string[] = []
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address)
  return out
}

/**
 * What the gateway prints at start (after "socklab listening on …"): the instructor's login link (as
 * Jupyter does), the class code, or a plain warning that auth is off.
 */
export function startBanner(b: BannerInput): string[] {
  const wildcard = b.host === '0.0.0.0' || b.host === '::'
  const local = `http://${wildcard ? '127.0.0.1' : shown(b.host)}:${b.port}`
  if (!b.auth) {
    return [`socklab: auth is OFF (SOCKLAB_AUTH=off): anyone using this machine can open sockets and write files through ${local}/`]
  }
  const lines = [
    b.tokenFromEnv
      ? `socklab instructor login: ${local}/?token=<SOCKLAB_TOKEN>  (scripts: Authorization: Bearer <SOCKLAB_TOKEN>)`
      : `socklab instructor login: ${local}/?token=${b.token}  (scripts: Authorization: Bearer <that token>)`,
    `socklab class code: ${b.classCode}  (students and observers open the page and join with it)`,
  ]
  if (wildcard) lines.push(`socklab students on the LAN open: ${lanAddresses().map((a) => `http://${a}:${b.port}/`).join('  ') || '(no LAN address found)'}`)
  else if (!isLoopbackHost(b.host)) lines.push(`socklab students on the LAN open: http://${shown(b.host)}:${b.port}/`)
  return lines
}
