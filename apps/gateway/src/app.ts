import type { FastifyInstance, FastifyError } from 'fastify'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import socklab from './plugins/app/socklab.ts'
import websocket from './plugins/external/websocket.ts'
import webPanel from './plugins/external/web-panel.ts'
import endpointRoutes from './routes/api/endpoints.ts'
import eventsWs from './routes/api/events-ws.ts'
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
  ENOTSUP: 405,
  EADDRINUSE: 409,
  ENOTCONN: 409,
  EPIPE: 409,
}

function fieldFromValidation(err: FastifyError): string | undefined {
  const v = err.validation?.[0] as { instancePath?: string; params?: { additionalProperties?: string[] } } | undefined
  if (!v) return undefined
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const extra = v.params?.additionalProperties?.[0]
  return [path, extra].filter(Boolean).join('.') || undefined
}

/** The whole gateway as a plugin; server.ts (or a test) decides where it listens. */
export default async function app(fastify: FastifyInstance, opts: { config: GatewayConfig }) {
  fastify.setValidatorCompiler(TypeBoxValidatorCompiler)

  fastify.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof SocketError) {
      return reply.code(STATUS[err.code] ?? 422).send({ error: err.toInfo() })
    }
    if (err.validation) {
      const field = fieldFromValidation(err)
      return reply.code(400).send({ error: { code: 'EVALIDATION', message: err.message, ...(field ? { field } : {}) } })
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
  await fastify.register(
    async (api) => {
      await api.register(endpointRoutes)
      await api.register(eventsWs)
    },
    { prefix: '/api' },
  )
  await fastify.register(webPanel, { root: opts.config.webRoot })
}
