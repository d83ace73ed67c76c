import fp from 'fastify-plugin'
import fs from 'node:fs/promises'
import path from 'node:path'
import { EventHub } from '../../events/event-hub.ts'
import { EndpointManager } from '../../sockets/endpoint-manager.ts'
import { DEFAULT_TRAFFIC_LOG_MAX_BYTES, type GatewayConfig } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig
    hub: EventHub
    endpoints: EndpointManager
  }
  interface FastifyRequest {
    /** Who is asking (set by the auth plugin; absent when auth is off). */
    socklabUser?: { id: string; name: string; role: 'instructor' | 'student' | 'observer' }
  }
}

/** The gateway's services: event history and endpoints. Closing the app stops every endpoint (and closes its traffic log). */
export default fp(
  async (app, opts: { config: GatewayConfig }) => {
    const { config } = opts
    const filesRoot = path.join(config.dataDir, 'files')
    await fs.mkdir(filesRoot, { recursive: true })
    const hub = new EventHub({ maxEvents: config.historyEvents, maxBytes: config.historyBytes })
    const logs = { dir: path.join(config.dataDir, 'logs'), maxBytes: config.trafficLogMaxBytes ?? DEFAULT_TRAFFIC_LOG_MAX_BYTES }
    const endpoints = new EndpointManager({ hub, filesRoot, logs })
    app.decorate('config', config)
    app.decorate('hub', hub)
    app.decorate('endpoints', endpoints)
    app.addHook('onClose', async () => {
      await endpoints.closeAll()
    })
  },
  { name: 'socklab' },
)
