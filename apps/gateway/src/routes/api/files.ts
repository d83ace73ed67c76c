import path from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FilesQuerySchema, PutFileQuerySchema } from '@socklab/shared'
import { FilesArea } from '../../files/files-area.ts'
import { receiveRequestBody } from '../../files/receive-request.ts'
import { splitSafePath } from '../../files/safe-path.ts'
import { SocketError } from '../../sockets/socket-error.ts'

const CONTENT_SUFFIX = '/content'

/** `attachment` with the real name for browsers (RFC 6266 filename*) and a plain ASCII fallback. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/**
 * REST for the files area; thin — FilesArea decides what is allowed. File bodies are streams: this
 * plugin's content-type parser passes every body through unread, so a PUT is written as it arrives.
 */
const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const area = new FilesArea(path.join(app.config.dataDir, 'files'))

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined))

  app.get('/files', { schema: { querystring: FilesQuerySchema } }, async (req) => area.list(req.query.path ?? ''))

  // GET /files/{path} → what it is (size, mtime); GET /files/{path}/content → its bytes.
  app.get('/files/*', async (req, reply) => {
    const rel = (req.params as { '*': string })['*']
    if (!rel.endsWith(CONTENT_SUFFIX)) return area.entry(rel)
    const file = await area.openRead(rel.slice(0, -CONTENT_SUFFIX.length))
    return reply
      .type('application/octet-stream')
      .header('content-length', String(file.size))
      .header('content-disposition', contentDisposition(path.posix.basename(file.rel)))
      .header('x-content-type-options', 'nosniff')
      .send(file.handle.createReadStream({ highWaterMark: 1024 * 1024 }))
  })

  app.put('/files/*', { schema: { querystring: PutFileQuerySchema } }, async (req, reply) => {
    const rel = (req.params as { '*': string })['*']
    const segments = splitSafePath(rel)
    if (segments.length === 0) throw new SocketError('EINVAL', 'name the file: PUT /api/files/{folder/name}', 'path')
    const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined
    try {
      const saved = await receiveRequestBody(area, req.raw, {
        folder: segments.slice(0, -1).join('/'),
        name: segments[segments.length - 1]!,
        onExists: req.query.onExists ?? 'fail',
        declared: Number.isSafeInteger(declared) ? declared : undefined,
      })
      return reply.code(201).send(saved)
    } catch (err) {
      // The body may be unread (refused early) or half read: close after answering rather than drain it.
      reply.header('connection', 'close')
      throw err
    }
  })

  app.delete('/files/*', async (req, reply) => {
    await area.remove((req.params as { '*': string })['*'])
    return reply.code(204).send()
  })
}

export default fileRoutes
