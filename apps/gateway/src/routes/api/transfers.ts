import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StartTransferBodySchema, type TransferInfo } from '@socklab/shared'
import { isTransferSource } from '../../sockets/transfer.ts'
import { SocketError } from '../../sockets/socket-error.ts'

/**
 * Transfers: GET lists those of every endpoint that moves files (server and client side); POST starts
 * a client transfer, which runs as a `file-client` endpoint of its own. Progress comes as `transfer`
 * events on the event stream.
 */
const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/transfers', async () => {
    const transfers: TransferInfo[] = []
    for (const e of app.endpoints.list()) if (isTransferSource(e)) transfers.push(...e.transfers())
    transfers.sort((a, b) => a.startedAt - b.startedAt)
    return { transfers }
  })

  app.post('/transfers', { schema: { body: StartTransferBodySchema } }, async (req, reply) => {
    const { name, label, ...rest } = req.body
    let endpoint
    try {
      endpoint = await app.endpoints.create(
        { kind: 'file-client', file: name, ...(label ? { name: label } : {}), ...rest },
        { owner: req.socklabUser?.name, ownerId: req.socklabUser?.id, ownerRole: req.socklabUser?.role },
      )
    } catch (err) {
      // The endpoint calls the file `file`; this body calls it `name`.
      if (err instanceof SocketError && err.field === 'file') throw new SocketError(err.code, err.message, 'name')
      throw err
    }
    const [transfer] = isTransferSource(endpoint) ? endpoint.transfers() : []
    return reply.code(201).send({ endpointId: endpoint.id, transfer })
  })
}

export default transferRoutes
