import fs from 'node:fs/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  CloseConnectionBodySchema,
  CreateEndpointBodySchema,
  EndpointActionBodySchema,
  SendBodySchema,
} from '@socklab/shared'
import { toWire } from '../../events/event-hub.ts'
import { describeFsError } from '../../files/fs-errors.ts'
import { SocketError } from '../../sockets/socket-error.ts'
import { sendLogFile } from './logs.ts'

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
    const endpoint = await app.endpoints.create(req.body, { owner: req.socklabUser?.name, ownerId: req.socklabUser?.id, ownerRole: req.socklabUser?.role })
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
    if (req.body.on !== undefined && req.body.action !== 'log') throw new SocketError('EVALIDATION', '"on" goes with the "log" action only', 'on')
    await endpoint.action(req.body)
    return endpoint.detail()
  })

  // The endpoint's current (or last) traffic log as a text file, up to what was recorded when asked.
  app.get('/endpoints/:id/log', { schema: { params: IdParams } }, async (req, reply) => {
    const log = await app.endpoints.get(req.params.id).logFile()
    let handle: fs.FileHandle
    try {
      handle = await fs.open(log.path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SocketError('ENOENT', `the log file ${log.file} is no longer in the logs folder`)
      throw describeFsError(err, `logs/${log.file}`)
    }
    // A log being written grows after this: send what is there now, with its length.
    const { size } = await handle.stat()
    return sendLogFile(reply, handle, size, log.file)
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
      const events = app.hub.after(req.query.after ?? 0, req.query.limit ?? 1000, { endpointId: id })
      if (events.length === 0 && !app.endpoints.list().some((e) => e.id === id)) app.endpoints.get(id)
      return { events: events.map(toWire), headSeq: app.hub.headSeq, oldestSeq: app.hub.oldestSeq, evicted: app.hub.evicted }
    },
  )
}

export default endpointRoutes
