import path from 'node:path'

/** Largest traffic log file (SOCKLAB_TRAFFIC_LOG_MAX_BYTES): at the cap the log stops and says so. */
export const DEFAULT_TRAFFIC_LOG_MAX_BYTES = 256 * 1024 * 1024
/** Total of all traffic logs in SOCKLAB_DATA/logs (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES): no new log at it, a running one stops there. */
export const DEFAULT_TRAFFIC_LOGS_MAX_BYTES = 2 * 1024 ** 3

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
  /**
   * Classroom access (SOCKLAB_AUTH=on|off, default on): the instructor logs in with a token, students
   * join with a class code. Off is allowed only on a loopback host.
   */
  auth: boolean
  /** Instructor secret (SOCKLAB_TOKEN); a random one is made at start when absent. */
  token?: string
  /** Code students join with (SOCKLAB_CLASS_CODE); random when absent. */
  classCode?: string
  /** More Host names to answer besides loopback names and the bound address (SOCKLAB_ALLOWED_HOSTS, comma-separated). */
  allowedHosts?: string[]
  /** More page origins allowed to call the API, e.g. a dev server (SOCKLAB_ALLOWED_ORIGINS, comma-separated). */
  allowedOrigins?: string[]
  /** Changes and WebSocket messages per person per second (SOCKLAB_COMMANDS_PER_SECOND, default 20). */
  commandsPerSecond?: number
  /** Failed logins per client address per minute before 429 (SOCKLAB_LOGIN_ATTEMPTS_PER_MINUTE, default 10). */
  loginAttemptsPerMinute?: number
  /** Ports students may listen on, until the instructor changes it (SOCKLAB_STUDENT_PORTS=9000-9999, default 1024-65535). */
  studentPorts?: { min: number; max: number }
  /** Endpoints per student, until the instructor changes it (SOCKLAB_STUDENT_MAX_ENDPOINTS, default 10). */
  studentMaxEndpoints?: number
  /** Size cap of one endpoint's traffic log file in SOCKLAB_DATA/logs (SOCKLAB_TRAFFIC_LOG_MAX_BYTES, default 256 MiB). */
  trafficLogMaxBytes?: number
  /** Total of every traffic log in SOCKLAB_DATA/logs (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES, default 2 GiB). */
  trafficLogsMaxBytes?: number
}

function authFromEnv(fallback: boolean): boolean {
  const raw = process.env.SOCKLAB_AUTH?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['on', 'true', '1', 'yes'].includes(raw)) return true
  if (['off', 'false', '0', 'no'].includes(raw)) return false
  throw new Error(`SOCKLAB_AUTH must be "on" or "off", got "${process.env.SOCKLAB_AUTH}"`)
}

function listFromEnv(name: string, fallback?: string[]): string[] | undefined {
  const raw = process.env[name]
  if (!raw) return fallback
  return raw.split(',').map((s) => s.trim()).filter(Boolean)
}

function portRangeFromEnv(name: string, fallback?: { min: number; max: number }) {
  const raw = process.env[name]
  if (!raw) return fallback
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(raw)
  const min = Number(m?.[1])
  const max = Number(m?.[2])
  if (!m || min < 1 || max > 65535 || min > max) throw new Error(`${name} must be a port range like 9000-9999, got "${raw}"`)
  return { min, max }
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
    auth: authFromEnv(defaults.auth ?? true),
    token: process.env.SOCKLAB_TOKEN || defaults.token,
    classCode: process.env.SOCKLAB_CLASS_CODE || defaults.classCode,
    allowedHosts: listFromEnv('SOCKLAB_ALLOWED_HOSTS', defaults.allowedHosts),
    allowedOrigins: listFromEnv('SOCKLAB_ALLOWED_ORIGINS', defaults.allowedOrigins),
    commandsPerSecond: intFromEnv('SOCKLAB_COMMANDS_PER_SECOND', defaults.commandsPerSecond ?? 20, 1, 100_000),
    loginAttemptsPerMinute: intFromEnv('SOCKLAB_LOGIN_ATTEMPTS_PER_MINUTE', defaults.loginAttemptsPerMinute ?? 10, 1, 10_000),
    studentPorts: portRangeFromEnv('SOCKLAB_STUDENT_PORTS', defaults.studentPorts),
    studentMaxEndpoints: intFromEnv('SOCKLAB_STUDENT_MAX_ENDPOINTS', defaults.studentMaxEndpoints ?? 10, 0, 1000),
    trafficLogMaxBytes: intFromEnv('SOCKLAB_TRAFFIC_LOG_MAX_BYTES', defaults.trafficLogMaxBytes ?? DEFAULT_TRAFFIC_LOG_MAX_BYTES, 1024, Number.MAX_SAFE_INTEGER),
    trafficLogsMaxBytes: intFromEnv('SOCKLAB_TRAFFIC_LOGS_MAX_BYTES', defaults.trafficLogsMaxBytes ?? DEFAULT_TRAFFIC_LOGS_MAX_BYTES, 1024, Number.MAX_SAFE_INTEGER),
  }
}
