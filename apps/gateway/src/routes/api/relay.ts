import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { RelayCutBodySchema, RelayFaultsSchema } from '@socklab/shared'
import { TcpRelayEndpoint } from '../../sockets/tcp-relay.ts'
import { SocketError } from '../../sockets/socket-error.ts'

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

/** REST for TCP relays: read and change the fault settings, cut one side of a pair. Thin: sockets/tcp-relay.ts decides. */
const relayRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const relay = (id: string): TcpRelayEndpoint => {
    const e = app.endpoints.get(id)
    if (!(e instanceof TcpRelayEndpoint)) throw new SocketError('ENOTSUP', `${id} is a ${e.kind} endpoint, not a tcp-relay: it has no faults`)
    return e
  }

  app.get('/endpoints/:id/faults', { schema: { params: IdParams } }, async (req) => relay(req.params.id).faults)

  app.patch('/endpoints/:id/faults', { schema: { params: IdParams, body: RelayFaultsSchema } }, async (req) =>
    relay(req.params.id).setFaults(req.body),
  )

  app.post(
    '/endpoints/:id/connections/:cid/cut',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }), cid: Type.String({ maxLength: 64 }) }), body: RelayCutBodySchema } },
    async (req) => {
      relay(req.params.id).cut(req.params.cid, req.body)
      return { ok: true }
    },
  )
}

export default relayRoutes
