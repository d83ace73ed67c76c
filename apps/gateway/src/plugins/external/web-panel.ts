import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import fs from 'node:fs'
import path from 'node:path'

/** Serve the built panel (apps/web/dist); unknown non-API paths get index.html (single-page app). */
export default fp(async (app, opts: { root?: string }) => {
  const root = opts.root && path.resolve(opts.root)
  if (!root || !fs.existsSync(path.join(root, 'index.html'))) {
    app.get('/', async (_req, reply) =>
      reply.type('text/plain').send('socklab gateway is running, but the panel is not built: run `pnpm build`.'),
    )
    return
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: 'index.html' })
  app.setNotFoundHandler((req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html')
    return reply.code(404).send({ error: { code: 'ENOTFOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } })
  })
})
