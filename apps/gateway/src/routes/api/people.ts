import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PersonPatchSchema, PolicyPatchSchema, ShareBodySchema } from '@socklab/shared'

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

/** The instructor's classroom controls: who is here, revoke, roles, the class policy, sharing endpoints. */
const peopleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const access = app.access

  app.get('/people', async () => access.classroom(app.endpoints.list()))

  app.post('/people/:id/revoke', { schema: { params: IdParams } }, async (req) => {
    const p = access.sessions.revoke(req.params.id)
    return access.classroom(app.endpoints.list()).people.find((x) => x.id === p.id)
  })

  app.patch('/people/:id', { schema: { params: IdParams, body: PersonPatchSchema } }, async (req) => {
    const p = access.sessions.setRole(req.params.id, req.body.role)
    return access.classroom(app.endpoints.list()).people.find((x) => x.id === p.id)
  })

  app.put('/people/policy', { schema: { body: PolicyPatchSchema } }, async (req) => {
    access.updatePolicy(req.body)
    return access.classroom(app.endpoints.list())
  })

  // Sharing is announced with a fresh `endpoint` event so every panel updates at once.
  app.post('/endpoints/:id/share', { schema: { params: IdParams, body: ShareBodySchema } }, async (req) => {
    const endpoint = app.endpoints.get(req.params.id)
    access.setShared(endpoint.id, req.body.shared)
    endpoint.shared = req.body.shared
    const announced = endpoint.emit({ type: 'endpoint', endpoint: endpoint.info() })
    if (!req.body.shared) access.markUnshared(endpoint.id, announced.seq)
    return endpoint.detail()
  })
}

export default peopleRoutes
