import path from 'node:path'

export interface GatewayConfig {
  host: string
  port: number
  /** Data folder; the files area is `files/` inside it. */
  dataDir: string
  /** Built panel to serve (apps/web/dist), if present. */
  webRoot?: string
  historyEvents: number
  historyBytes: number
  logLevel: string
}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
  return n
}

/** Read SOCKLAB_* variables; a bad value stops the start with a sentence saying which one. */
export function configFromEnv(defaults: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    host: process.env.SOCKLAB_HOST || defaults.host || '127.0.0.1',
    port: intFromEnv('SOCKLAB_PORT', defaults.port ?? 8080, 0, 65535),
    dataDir: path.resolve(process.env.SOCKLAB_DATA || defaults.dataDir || 'socklab-data'),
    webRoot: process.env.SOCKLAB_WEB_ROOT || defaults.webRoot,
    historyEvents: intFromEnv('SOCKLAB_HISTORY_EVENTS', defaults.historyEvents ?? 100_000, 100, 10_000_000),
    historyBytes: intFromEnv('SOCKLAB_HISTORY_BYTES', defaults.historyBytes ?? 64 * 1024 * 1024, 1024, 8 * 1024 * 1024 * 1024),
    logLevel: process.env.SOCKLAB_LOG_LEVEL || defaults.logLevel || 'warn',
  }
}
