import type { FastifyInstance, FastifyError } from 'fastify'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import socklab from './plugins/app/socklab.ts'
import access, { ACCESS_STATUS } from './plugins/app/access.ts'
import authRoutes from './routes/api/auth.ts'
import peopleRoutes from './routes/api/people.ts'
import auditRoutes from './routes/api/audit.ts'
import websocket from './plugins/external/websocket.ts'
import webPanel from './plugins/external/web-panel.ts'
import endpointRoutes from './routes/api/endpoints.ts'
import eventsWs from './routes/api/events-ws.ts'
import relayRoutes from './routes/api/relay.ts'
import fileRoutes from './routes/api/files.ts'
import transferRoutes from './routes/api/transfers.ts'
import logRoutes from './routes/api/logs.ts'
import { SocketError } from './sockets/socket-error.ts'
import type { GatewayConfig } from './config.ts'

/** HTTP status for each error code we raise; socket failures the user caused are 4xx. */
const STATUS: Record<string, number> = {
  EVALIDATION: 400,
  EBADJSON: 400,
  EBADHEX: 400,
  EBADBASE64: 400,
  EENCODING: 400,
  EMSGSIZE: 400,
  EDESTADDRREQ: 400,
  EINVAL: 400,
  ENOENDPOINT: 404,
  ENOCONN: 404,
  ENOLOG: 404,
  ENOTSUP: 405,
  EADDRINUSE: 409,
  ENOTCONN: 409,
  EPIPE: 409,
  // Files area: a refused name is a bad request, whether or not something by that name exists.
  EBADPATH: 400,
  ENOENT: 404,
  ENOTDIR: 409,
  EISDIR: 409,
  EEXIST: 409,
  ENOTEMPTY: 409,
  ESHORT: 400,
  EFBIG: 413,
  ENOSPC: 507,
  EDQUOT: 507,
  // Logs folder: at its quota no new log starts; a log still being written cannot be deleted.
  ELOGSFULL: 507,
  EBUSY: 409,
  ...ACCESS_STATUS,
}

type ValidationItem = { instancePath?: string; keyword?: string; message?: string; params?: Record<string, any> }

/**
 * One sentence naming the field, from the schema errors of a request (the raw list repeats itself:
 * "must be equal to constant" once per allowed value, and a "schema is false" echo per unknown field).
 */
function describeValidation(err: FastifyError): { message: string; field?: string } {
  const list = (err.validation ?? []) as ValidationItem[]
  const v = list.find((e) => e.keyword !== 'boolean') ?? list[0]
  if (!v) return { message: err.message }
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const extra = v.params?.additionalProperties?.[0] ?? v.params?.requiredProperties?.[0]
  const field = [path, extra].filter(Boolean).join('.') || undefined
  const allowed = list.filter((e) => e.instancePath === v.instancePath && e.keyword === 'const').map((e) => e.params?.allowedValue)
  const name = field ?? err.validationContext ?? 'body'
  const message =
    v.keyword === 'additionalProperties' ? `unknown field "${field}"`
    : v.keyword === 'required' ? `missing field "${field}"`
    : allowed.length ? `${name} must be one of: ${allowed.join(', ')}`
    : `${name} ${v.message}`
  return { message, ...(field ? { field } : {}) }
}

/** The whole gateway as a plugin; server.ts (or a test) decides where it listens. */
export default async function app(fastify: FastifyInstance, opts: { config: GatewayConfig }) {
  fastify.setValidatorCompiler(TypeBoxValidatorCompiler)

  fastify.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof SocketError) {
      return reply.code(STATUS[err.code] ?? 422).send({ error: err.toInfo() })
    }
    if (err.validation) {
      return reply.code(400).send({ error: { code: 'EVALIDATION', ...describeValidation(err) } })
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return reply.code(400).send({ error: { code: 'EBADJSON', message: 'request body is not valid JSON' } })
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: { code: err.code ?? 'EREQUEST', message: err.message } })
    }
    req.log.error({ err }, 'unexpected error')
    return reply.code(500).send({ error: { code: 'EINTERNAL', message: 'internal error; the gateway keeps running' } })
  })

  await fastify.register(socklab, { config: opts.config })
  await fastify.register(websocket)
  // After websocket: its hooks mark upgrade requests first, so a refused upgrade's socket is closed by it.
  await fastify.register(access, { config: opts.config })
  await fastify.register(
    async (api) => {
      await api.register(authRoutes)
      await api.register(peopleRoutes)
      await api.register(auditRoutes)
      await api.register(endpointRoutes)
      await api.register(eventsWs)
      await api.register(relayRoutes)
      await api.register(fileRoutes)
      await api.register(transferRoutes)
      await api.register(logRoutes)
    },
    { prefix: '/api' },
  )
  await fastify.register(webPanel, { root: opts.config.webRoot })
}
