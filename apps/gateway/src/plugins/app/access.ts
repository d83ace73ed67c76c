import fp from 'fastify-plugin'
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify'
import { AccessControl, RateLimited, type Caller } from '../../access/access-control.ts'
import { auditAction, auditDetail, auditTarget } from '../../access/audit-actions.ts'
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from '../../access/cookies.ts'
import { isSafeMethod } from '../../access/route-rules.ts'
import { parseJsonBody } from '../../access/safe-json.ts'
import { SocketError } from '../../sockets/socket-error.ts'
import type { GatewayConfig } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    access: AccessControl
  }
  interface FastifyRequest {
    /** Who is asking and how they proved it (set on every request, also with auth off). */
    socklabCaller?: Caller
    /** A small JSON answer kept for the audit entry (endpoint id, bytes sent). */
    auditResponse?: Record<string, unknown>
  }
}

/** HTTP status of the refusals this plugin sends itself. */
export const ACCESS_STATUS: Record<string, number> = {
  EAUTH: 401,
  EFORBIDDEN: 403,
  EORIGIN: 403,
  EHOST: 403,
  EQUOTA: 403,
  EREVOKED: 403,
  ENOPERSON: 404,
  ENAMETAKEN: 409,
  ERATELIMIT: 429,
}

/** Send a refusal as `{ error }` (with Retry-After on 429); anything unexpected stays a 500 for the app's handler. */
export function refuse(reply: FastifyReply, err: unknown) {
  if (!(err instanceof SocketError)) throw err
  if (err instanceof RateLimited) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))))
  return reply.code(ACCESS_STATUS[err.code] ?? 400).send({ error: err.toInfo() })
}

const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!
const isUpgrade = (req: FastifyRequest) => req.headers.upgrade?.toLowerCase() === 'websocket'

/** Routes whose answer names what was made or moved (for the audit line). */
const KEEP_RESPONSE = new Set(['POST /api/endpoints', 'POST /api/endpoints/:id/send', 'PUT /api/files/*', 'POST /api/transfers'])

/**
 * The gateway's edge: Host and Origin checks, credentials (Bearer token or session cookie), role and
 * ownership rules, rate limits, the /?token= login link, and the audit trail. Every request passes
 * here before its body is read; WebSocket upgrades are refused here, before the handshake.
 */
export default fp(
  async (app, opts: { config: GatewayConfig }) => {
    const c = opts.config
    const access = new AccessControl({
      auth: c.auth,
      host: c.host,
      dataDir: c.dataDir,
      token: c.token,
      classCode: c.classCode,
      allowedHosts: c.allowedHosts,
      allowedOrigins: c.allowedOrigins,
      commandsPerSecond: c.commandsPerSecond,
      loginAttemptsPerMinute: c.loginAttemptsPerMinute,
      studentPorts: c.studentPorts,
      studentMaxEndpoints: c.studentMaxEndpoints,
    })
    app.decorate('access', access)
    app.endpoints.onRegister((e) => access.registerEndpoint(e))
    app.addHook('onClose', async () => access.close())

    // Same as Fastify's JSON parser, but a __proto__ key is named in the error instead of "invalid JSON".
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      if (body === '') return done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined)
      try {
        done(null, parseJsonBody(body as string))
      } catch (err) {
        done(err as Error, undefined)
      }
    })

    app.addHook('onRequest', async (req, reply) => {
      const path = pathOf(req)
      const isApi = path === '/api' || path.startsWith('/api/')
      const sessionId = readCookie(req.headers.cookie, SESSION_COOKIE)
      const authorization = req.headers.authorization
      try {
        access.checkHost(req.headers.host)
        if (isApi) {
          access.checkOrigin({
            origin: req.headers.origin,
            host: req.headers.host,
            secFetchSite: req.headers['sec-fetch-site'] as string | undefined,
            changes: !isSafeMethod(req.method) || isUpgrade(req),
            cookie: Boolean(sessionId) && authorization === undefined,
          })
        }
        const query = req.query as Record<string, unknown> | undefined
        if (!isApi && req.method === 'GET' && typeof query?.token === 'string') return loginLink(req, reply, query.token)

        // A wrong Bearer token is a failed login: it counts toward the per-address limit.
        if (authorization !== undefined && access.auth) access.loginAllowed(req.ip)
        const caller = access.identify(authorization, sessionId)
        if (!caller && authorization !== undefined && access.auth) access.loginFailed(req.ip)
        if (caller) {
          req.socklabCaller = caller
          if (access.auth) req.socklabUser = caller.principal
        }

        const rule = access.rule(req.method, req.routeOptions.url, path)
        if (rule.need === 'public') return
        if (!caller) {
          throw new SocketError('EAUTH', authorization !== undefined ? 'the Bearer token is wrong' : 'log in first: open the login link the gateway printed, or join with the class code')
        }
        // Throttle first: a flood of refused commands is still a flood.
        if (!isSafeMethod(req.method)) access.throttle(caller)
        access.authorize(caller, rule, (req.params as { id?: string } | undefined)?.id)
      } catch (err) {
        // The body was never read; closing beats draining megabytes from someone we just refused.
        if (req.headers['content-length'] || req.headers['transfer-encoding']) reply.header('connection', 'close')
        return refuse(reply, err)
      }
    })

    // Needs the validated body: a student's new endpoint must fit the class policy.
    app.addHook('preHandler', async (req) => {
      if (req.method === 'POST' && req.routeOptions.url === '/api/endpoints' && req.socklabCaller) {
        access.checkCreate(req.socklabCaller.principal, req.body, app.endpoints.list())
      }
    })

    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode < 300 && typeof payload === 'string' && payload.length < 65536 && KEEP_RESPONSE.has(`${req.method} ${req.routeOptions.url}`)) {
        try {
          req.auditResponse = JSON.parse(payload)
        } catch {}
      }
      return payload
    })

    // The trail: every change (or attempt) under /api, and every login, with its outcome.
    app.addHook('onResponse', async (req, reply) => {
      const path = pathOf(req)
      const isLoginLink = req.method === 'GET' && !path.startsWith('/api') && typeof (req.query as { token?: unknown })?.token === 'string'
      if (!isLoginLink && (isSafeMethod(req.method) || !path.startsWith('/api/'))) return
      const status = reply.statusCode
      const action = isLoginLink ? 'login' : auditAction(req.method, req.routeOptions.url, path)
      // Floods (429) and anonymous pokes (401 outside login) would drown the log.
      if (status === 429 || (status === 401 && action !== 'login' && action !== 'join')) return
      const who = req.socklabCaller?.principal ?? req.socklabUser
      access.audit.record({
        actor: who ? { id: who.id, name: who.name, role: who.role } : { id: '-', name: 'anonymous', role: 'anonymous' },
        action,
        ...(() => {
          const target = auditTarget(path, req.params as Record<string, unknown>, req.auditResponse)
          return target ? { target } : {}
        })(),
        ...(() => {
          const detail = isLoginLink ? 'login link' : auditDetail(action, req.body, req.auditResponse)
          return detail ? { detail } : {}
        })(),
        outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed',
        status,
        ip: req.ip,
      })
    })

    /** GET /anything?token=… (the printed link): trade the token for a cookie and drop it from the address bar. */
    async function loginLink(req: FastifyRequest, reply: FastifyReply, token: string) {
      const url = new URL(req.url, 'http://x')
      url.searchParams.delete('token')
      const clean = url.pathname + (url.search || '')
      if (!access.auth) return reply.code(303).header('location', clean).send()
      try {
        const { person, sessionId } = access.login(token, req.ip)
        req.socklabUser = { id: person.id, name: person.name, role: person.role }
        return reply.code(303).header('set-cookie', sessionCookie(sessionId, req.protocol === 'https')).header('location', clean).send()
      } catch (err) {
        if (!(err instanceof SocketError)) throw err
        if (err instanceof RateLimited) reply.header('retry-after', String(Math.ceil(err.retryAfterMs / 1000)))
        return reply
          .code(ACCESS_STATUS[err.code] ?? 401)
          .type('text/plain; charset=utf-8')
          .send(`socklab: ${err.message}`)
      }
    }
  },
  { name: 'socklab-access', dependencies: ['socklab'] },
)

export { clearedSessionCookie, sessionCookie }
