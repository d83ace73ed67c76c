import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  CloseConnectionBodySchema,
  CreateEndpointBodySchema,
  EndpointActionBodySchema,
  SendBodySchema,
} from '@socklab/shared'
import { toWire } from '../../events/event-hub.ts'

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

/** REST for endpoints: thin — every decision is made in sockets/. */
const endpointRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/endpoints', async (req) =>
    app.endpoints
      .list()
      .filter((e) => app.access.visibleTo(req.socklabCaller, e.id))
      .map((e) => e.info()),
  )

  app.post('/endpoints', { schema: { body: CreateEndpointBodySchema } }, async (req, reply) => {
    const endpoint = await app.endpoints.create(req.body, { owner: req.socklabUser?.name, ownerId: req.socklabUser?.id })
    return reply.code(201).send(endpoint.detail())
  })

  app.get('/endpoints/:id', { schema: { params: IdParams } }, async (req) => app.endpoints.get(req.params.id).detail())

  app.delete('/endpoints/:id', { schema: { params: IdParams } }, async (req, reply) => {
    await app.endpoints.remove(req.params.id)
    return reply.code(204).send()
  })

  app.post('/endpoints/:id/send', { schema: { params: IdParams, body: SendBodySchema } }, async (req) => {
    const endpoint = app.endpoints.get(req.params.id)
    endpoint.assertSendOptions(req.body)
    return endpoint.send(req.body)
  })

  app.post('/endpoints/:id/actions', { schema: { params: IdParams, body: EndpointActionBodySchema } }, async (req) => {
    const endpoint = app.endpoints.get(req.params.id)
    await endpoint.action(req.body)
    return endpoint.detail()
  })

  app.post(
    '/endpoints/:id/connections/:cid/close',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }), cid: Type.String({ maxLength: 64 }) }), body: Type.Optional(CloseConnectionBodySchema) } },
    async (req) => {
      const endpoint = app.endpoints.get(req.params.id)
      endpoint.closeConnection(req.params.cid, req.body?.mode ?? 'end')
      return { ok: true }
    },
  )

  app.get(
    '/endpoints/:id/events',
    {
      schema: {
        params: IdParams,
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
        }),
      },
    },
    async (req) => {
      const id = req.params.id
      // An endpoint that was removed still has history; only an id never seen is unknown.
      const events = app.hub.after(req.query.after ?? 0, req.query.limit ?? 1000, (e) => e.endpointId === id)
      if (events.length === 0 && !app.endpoints.list().some((e) => e.id === id)) app.endpoints.get(id)
      return { events: events.map(toWire), headSeq: app.hub.headSeq, oldestSeq: app.hub.oldestSeq, evicted: app.hub.evicted }
    },
  )
}

export default endpointRoutes
