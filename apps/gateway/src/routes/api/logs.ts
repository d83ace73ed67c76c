import type fs from 'node:fs/promises'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LogNameParamsSchema } from '@socklab/shared'
import { contentDisposition } from './files.ts'

/**
 * Send an open log file as text, as long as it is now: a log being written grows after this, so the body stops
 * at `size` (what Content-Length says). The handle is closed when sent.
 */
export async function sendLogFile(reply: FastifyReply, handle: fs.FileHandle, size: number, name: string) {
  reply
    .type('text/plain; charset=utf-8')
    .header('content-length', String(size))
    .header('content-disposition', contentDisposition(name))
    .header('x-content-type-options', 'nosniff')
  if (size === 0) {
    await handle.close()
    return reply.send('')
  }
  return reply.send(handle.createReadStream({ start: 0, end: size - 1 }))
}

/**
 * The logs folder (instructor only, like the files area): every traffic log, also of endpoints removed since,
 * to list, download and delete. Thin — LogsFolder checks names and keeps the total.
 */
const logRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/logs', async () => app.logs.list())

  app.get('/logs/:name', { schema: { params: LogNameParamsSchema } }, async (req, reply) => {
    const file = await app.logs.openRead(req.params.name)
    return sendLogFile(reply, file.handle, file.size, file.rel)
  })

  app.delete('/logs/:name', { schema: { params: LogNameParamsSchema } }, async (req, reply) => {
    await app.logs.remove(req.params.name)
    return reply.code(204).send()
  })
}

export default logRoutes
