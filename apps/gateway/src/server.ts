import './heap-tuning.ts'
import Fastify from 'fastify'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import app from './app.ts'
import { configFromEnv } from './config.ts'
import { LAN_WITHOUT_AUTH } from './access/access-control.ts'
import { startBanner } from './access/banner.ts'
import { isLoopbackHost } from './access/edge.ts'
import { randomClassCode, randomSecret, redactUrl } from './access/secrets.ts'

/** The only place that listens: build, listen, print the URL, close gracefully on signals. */
async function main() {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const config = configFromEnv({ webRoot: path.resolve(here, '../../web/dist') })
  // Refuse before anything listens: a LAN address without auth is Node-RED's mistake.
  if (!config.auth && !isLoopbackHost(config.host)) throw new Error(`SOCKLAB_HOST=${config.host} with SOCKLAB_AUTH=off: ${LAN_WITHOUT_AUTH}`)
  const tokenFromEnv = Boolean(config.token)
  config.token ||= randomSecret(24)
  config.classCode ||= randomClassCode()
  const fastify = Fastify({
    // Request lines are logged without the ?token= of the login link.
    logger: {
      level: config.logLevel,
      serializers: { req: (req) => ({ method: req.method, url: redactUrl(req.url ?? ''), remoteAddress: req.ip }) },
    },
    bodyLimit: 16 * 1024 * 1024,
    // Browser uploads of big files stream for minutes; slow-header clients are still cut by headersTimeout.
    requestTimeout: 3_600_000,
    connectionTimeout: 0,
    forceCloseConnections: true,
  })
  await fastify.register(app, { config })
  await fastify.listen({ host: config.host, port: config.port })
  const addr = fastify.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.port
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host
  console.log(
    [
      `socklab listening on http://${shownHost}:${port}/`,
      ...startBanner({ host: config.host, port, auth: config.auth, token: config.token, classCode: config.classCode, tokenFromEnv }),
    ].join('\n'),
  )

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
