import path from 'node:path'
import type { ClassPolicy, Classroom, ErrorInfo, PolicyPatch, Role } from '@socklab/shared'
import { SocketError } from '../sockets/socket-error.ts'
import type { ViewFilter } from '../events/live-feed.ts'
import { AuditLog } from './audit-log.ts'
import { allowedHostnames, hostnameOf, isLoopbackHost, originAllowed } from './edge.ts'
import { FailureWindow, TokenBucket } from './rate-limit.ts'
import { canControl, canSee, CONNECTING_KINDS, LOCAL_INSTRUCTOR, type EndpointAccess, type Principal } from './roles.ts'
import { normalizeClassCode, randomClassCode, randomSecret, secretsEqual } from './secrets.ts'
import { Sessions, type Person } from './sessions.ts'
import { ruleFor, type Rule } from './route-rules.ts'

export interface AccessSettings {
  auth: boolean
  host: string
  dataDir?: string
  token?: string
  classCode?: string
  allowedHosts?: string[]
  allowedOrigins?: string[]
  commandsPerSecond?: number
  loginAttemptsPerMinute?: number
  studentPorts?: { min: number; max: number }
  studentMaxEndpoints?: number
}

/** The endpoint fields the access layer reads (Endpoint has them). */
export interface OwnedEndpoint {
  id: string
  ownerId?: string
  shared?: boolean
}

/** Who is asking and how they proved it. */
export interface Caller {
  principal: Principal
  via: 'bearer' | 'cookie' | 'none'
  /** Hash of the cookie's session id (to close that session's sockets on logout). */
  sessionKey?: string
}

export const LAN_WITHOUT_AUTH =
  'auth cannot be turned off on a non-loopback address: anyone on the network could open sockets and write files on this machine. ' +
  'Remove SOCKLAB_AUTH=off, or bind SOCKLAB_HOST=127.0.0.1.'

/**
 * Every access decision of the gateway, without Fastify: credentials, roles, ownership, quotas,
 * rate limits and the audit log. The Fastify plugin only feeds requests through it.
 */
export class AccessControl {
  readonly auth: boolean
  readonly token: string
  classCode: string
  readonly policy: ClassPolicy
  readonly sessions = new Sessions()
  readonly audit: AuditLog
  private readonly hosts: Set<string>
  private readonly origins: string[]
  private readonly commands: TokenBucket
  private readonly logins: FailureWindow
  /** By endpoint id; kept after removal so history stays filtered. Bounded by the number of endpoints ever made. */
  private readonly endpoints = new Map<string, EndpointAccess>()

  constructor(s: AccessSettings) {
    if (s.auth === false && !isLoopbackHost(s.host)) throw new Error(LAN_WITHOUT_AUTH)
    this.auth = s.auth !== false
    this.token = s.token || randomSecret(24)
    this.classCode = s.classCode || randomClassCode()
    this.policy = {
      studentPortMin: s.studentPorts?.min ?? 1024,
      studentPortMax: s.studentPorts?.max ?? 65535,
      maxEndpointsPerStudent: s.studentMaxEndpoints ?? 10,
    }
    this.hosts = allowedHostnames(s.host, s.allowedHosts)
    this.origins = s.allowedOrigins ?? []
    const cps = s.commandsPerSecond ?? 20
    this.commands = new TokenBucket(cps, cps * 2)
    this.logins = new FailureWindow(s.loginAttemptsPerMinute ?? 10, 60_000)
    this.audit = new AuditLog(s.dataDir ? path.join(s.dataDir, 'audit.jsonl') : undefined)
  }

  // ---- the edge -----------------------------------------------------------------------------

  /** DNS rebinding guard: the Host header must name this machine. */
  checkHost(hostHeader: string | undefined) {
    const name = hostnameOf(hostHeader)
    if (!name || !this.hosts.has(name)) {
      throw new SocketError('EHOST', `Host "${hostHeader ?? ''}" is not one this gateway answers to; add it to SOCKLAB_ALLOWED_HOSTS if it is this machine`)
    }
  }

  /**
   * Cross-site guard. A foreign Origin is refused outright. A browser request that uses the cookie to
   * change something (or to open the WebSocket) must say where it comes from.
   */
  checkOrigin(o: { origin?: string; host?: string; secFetchSite?: string; changes: boolean; cookie: boolean }) {
    if (o.origin !== undefined) {
      if (!originAllowed(o.origin, o.host, this.origins)) throw new SocketError('EORIGIN', `requests from ${o.origin} are not allowed: only this gateway's own page may call its API`)
      return
    }
    if (o.secFetchSite === 'cross-site' || o.secFetchSite === 'same-site') throw new SocketError('EORIGIN', 'cross-site requests are not allowed')
    if (o.changes && o.cookie && this.auth) throw new SocketError('EORIGIN', 'a request signed with the session cookie must carry an Origin header; scripts use Authorization: Bearer instead')
  }

  // ---- credentials --------------------------------------------------------------------------

  /** Who is calling, from the Authorization header or the session cookie; undefined = nobody (yet). */
  identify(authorization: string | undefined, sessionId: string | undefined): Caller | undefined {
    if (!this.auth) return { principal: LOCAL_INSTRUCTOR, via: 'none' }
    if (authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
      if (m && secretsEqual(m[1]!, this.token)) return { principal: this.principalOf(this.sessions.instructor()), via: 'bearer' }
      return undefined
    }
    if (sessionId) {
      const s = this.sessions.resolve(sessionId)
      if (s) return { principal: this.principalOf(s.person), via: 'cookie', sessionKey: s.sessionKey }
    }
    return undefined
  }

  private principalOf(p: Person): Principal {
    return { id: p.id, name: p.name, role: p.role }
  }

  /** Before checking a secret: has this address failed too often lately? */
  loginAllowed(ip: string) {
    const wait = this.logins.blockedFor(ip)
    if (wait > 0) throw new RateLimited(`too many failed logins from ${ip}; try again in ${Math.ceil(wait / 1000)} s`, wait)
  }

  loginFailed(ip: string) {
    this.logins.fail(ip)
  }

  /** The instructor's token for a session (browser) — returns the new session id for the cookie. */
  login(token: string, ip: string): { person: Person; sessionId: string } {
    this.loginAllowed(ip)
    if (!secretsEqual(token, this.token)) {
      this.loginFailed(ip)
      throw new SocketError('EAUTH', 'wrong token: use the login link the gateway printed at start, or SOCKLAB_TOKEN')
    }
    const person = this.sessions.instructor()
    return { person, sessionId: this.sessions.open(person) }
  }

  join(code: string, name: string, role: Extract<Role, 'student' | 'observer'>, ip: string): { person: Person; sessionId: string } {
    this.loginAllowed(ip)
    if (!secretsEqual(normalizeClassCode(code), normalizeClassCode(this.classCode))) {
      this.loginFailed(ip)
      throw new SocketError('EAUTH', 'wrong class code: ask your instructor for the current one', 'code')
    }
    const person = this.sessions.join(name, role)
    return { person, sessionId: this.sessions.open(person) }
  }

  // ---- rules --------------------------------------------------------------------------------

  rule(method: string, routeUrl: string | undefined, path: string): Rule {
    return ruleFor(method, routeUrl, path)
  }

  /** Throws unless the caller's role and (if the route names one) the endpoint allow the call. */
  authorize(caller: Caller, rule: Rule, endpointId?: string) {
    const p = caller.principal
    if (rule.need === 'instructor' && p.role !== 'instructor') throw new SocketError('EFORBIDDEN', 'only the instructor may do this')
    if (rule.need === 'actor' && p.role === 'observer') throw new SocketError('EFORBIDDEN', 'observers watch; they cannot change anything')
    if (rule.endpoint && endpointId !== undefined) {
      const e = this.endpoints.get(endpointId)
      if (!e) return // unknown id: the route answers 404
      const ok = rule.endpoint === 'see' ? canSee(p, e) : canControl(p, e)
      if (!ok) throw new SocketError('EFORBIDDEN', `endpoint ${endpointId} is not yours${rule.endpoint === 'see' ? ' and not shared with the class' : ''}`)
    }
  }

  /** Commands (changes, WebSocket messages) per person per second. */
  throttle(caller: Caller) {
    if (!this.auth) return
    const t = this.commands.take(caller.principal.id)
    if (!t.ok) throw new RateLimited(`too many commands: at most ${this.commands.perSecond} per second; slow down`, t.retryAfterMs)
  }

  /** A student's new endpoint must bind a port in the class range, within their endpoint count. */
  checkCreate(p: Principal, body: unknown, liveEndpoints: OwnedEndpoint[]) {
    if (p.role !== 'student') return
    const { kind, port } = (body ?? {}) as { kind?: unknown; port?: unknown }
    const { studentPortMin: min, studentPortMax: max, maxEndpointsPerStudent } = this.policy
    // Port 0 lets the system pick; only when the range is unrestricted is that pick sure to be inside it.
    const anyPortOk = min <= 1024 && max === 65535
    const outside = port === 0 ? !anyPortOk : typeof port === 'number' && Number.isInteger(port) && (port < min || port > max)
    if (typeof kind === 'string' && !CONNECTING_KINDS.has(kind) && outside) {
      throw new SocketError('EQUOTA', `students may listen only on ports ${min}–${max} in this class`, 'port')
    }
    const mine = liveEndpoints.filter((e) => e.ownerId === p.id).length
    if (mine >= maxEndpointsPerStudent) throw new SocketError('EQUOTA', `you already have ${mine} endpoints, the most this class allows; stop one first`)
  }

  // ---- endpoints ----------------------------------------------------------------------------

  /** Called for every endpoint before it starts, so its first events are already filtered. */
  registerEndpoint(e: OwnedEndpoint) {
    this.endpoints.set(e.id, { ownerId: e.ownerId, shared: Boolean(e.shared) })
  }

  accessOf(endpointId: string): EndpointAccess | undefined {
    return this.endpoints.get(endpointId)
  }

  setShared(endpointId: string, shared: boolean) {
    const e = this.endpoints.get(endpointId)
    if (!e) throw new SocketError('ENOENDPOINT', `no endpoint ${endpointId}`)
    e.shared = shared
  }

  /** Remember which event said "unshared", so every viewer (who may have had it) hears it. */
  markUnshared(endpointId: string, seq: number) {
    const e = this.endpoints.get(endpointId)
    if (e) e.unsharedAtSeq = seq
  }

  /** Whether this caller may see this endpoint now (lists and snapshots are filtered with it). */
  visibleTo(caller: Caller | undefined, endpointId: string): boolean {
    if (!this.auth) return true
    const p = caller && this.livePrincipal(caller)
    if (!p) return false
    const e = this.endpoints.get(endpointId)
    return e ? canSee(p, e) : p.role === 'instructor'
  }

  /** The viewer's event filter; reads the person's current role each time (it may change). */
  eventFilter(caller: Caller | undefined): ViewFilter {
    if (!this.auth) return () => true
    const filter: ViewFilter = (ev) => {
      const p = caller && this.livePrincipal(caller)
      if (!p) return false
      const e = this.endpoints.get(ev.endpointId)
      if (!e) return p.role === 'instructor'
      return canSee(p, e) || (ev.type === 'endpoint' && ev.seq === e.unsharedAtSeq)
    }
    // Data events follow the endpoint rule alone: the feed skips hidden ones without building them.
    filter.dataOf = (endpointId) => this.visibleTo(caller, endpointId ?? '')
    return filter
  }

  /** Remember a viewer's WebSocket so that revoking the person (or logging out this session) closes it. */
  trackSocket(caller: Caller | undefined, close: () => void): () => void {
    if (!this.auth || !caller) return () => {}
    return this.sessions.track(caller.principal.id, caller.sessionKey, close)
  }

  /** Every WebSocket message: the sender must still be allowed in, and within the command rate. */
  checkMessage(caller: Caller | undefined): { ok: true } | { ok: false; close: boolean; error: ErrorInfo } {
    if (!this.auth) return { ok: true }
    if (!caller || !this.livePrincipal(caller)) return { ok: false, close: true, error: { code: 'EAUTH', message: 'access revoked' } }
    try {
      this.throttle(caller)
      return { ok: true }
    } catch (err) {
      return { ok: false, close: false, error: (err as SocketError).toInfo() }
    }
  }

  /** The caller as they are now: role changes apply at once; revoked people are nobody. */
  livePrincipal(caller: Caller): Principal | undefined {
    if (!this.auth) return caller.principal
    const p = this.sessions.current(caller.principal.id)
    if (!p || p.revoked) return undefined
    return this.principalOf(p)
  }

  classroom(live: OwnedEndpoint[]): Classroom {
    return {
      classCode: this.classCode,
      policy: { ...this.policy },
      people: this.sessions.list((id) => live.filter((e) => e.ownerId === id).length),
    }
  }

  updatePolicy(patch: PolicyPatch): ClassPolicy {
    const next = { ...this.policy }
    if (patch.studentPortMin !== undefined) next.studentPortMin = patch.studentPortMin
    if (patch.studentPortMax !== undefined) next.studentPortMax = patch.studentPortMax
    if (patch.maxEndpointsPerStudent !== undefined) next.maxEndpointsPerStudent = patch.maxEndpointsPerStudent
    if (next.studentPortMin > next.studentPortMax) throw new SocketError('EVALIDATION', 'studentPortMin must not exceed studentPortMax', 'studentPortMin')
    Object.assign(this.policy, next)
    if (patch.rotateClassCode) this.classCode = randomClassCode()
    return { ...this.policy }
  }

  async close() {
    await this.audit.close()
  }
}

/** A 429 with how long to wait. */
export class RateLimited extends SocketError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('ERATELIMIT', message)
  }
}
