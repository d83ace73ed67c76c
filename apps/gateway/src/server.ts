import Fastify from 'fastify'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import app from './app.ts'
import { configFromEnv } from './config.ts'

/** The only place that listens: build, listen, print the URL, close gracefully on signals. */
async function main() {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const config = configFromEnv({ webRoot: path.resolve(here, '../../web/dist') })
  const fastify = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: 16 * 1024 * 1024,
    requestTimeout: 60_000,
    connectionTimeout: 0,
    forceCloseConnections: true,
  })
  await fastify.register(app, { config })
  await fastify.listen({ host: config.host, port: config.port })
  const addr = fastify.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.port
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host
  console.log(`socklab listening on http://${shownHost}:${port}/`)

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    console.log(`socklab: ${signal}, closing every endpoint`)
    const force = setTimeout(() => process.exit(1), 5000)
    force.unref()
    await fastify.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((err) => {
  console.error(`socklab could not start: ${err?.message ?? err}`)
  process.exit(1)
})
