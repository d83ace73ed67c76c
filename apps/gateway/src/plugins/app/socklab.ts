import fp from 'fastify-plugin'
import fs from 'node:fs/promises'
import path from 'node:path'
import { EventHub } from '../../events/event-hub.ts'
import { LogsFolder } from '../../events/logs-folder.ts'
import { EndpointManager } from '../../sockets/endpoint-manager.ts'
import { DEFAULT_TRAFFIC_LOG_MAX_BYTES, DEFAULT_TRAFFIC_LOGS_MAX_BYTES, type GatewayConfig } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig
    hub: EventHub
    endpoints: EndpointManager
    /** SOCKLAB_DATA/logs: the traffic logs, their total and quota. */
    logs: LogsFolder
  }
  interface FastifyRequest {
    /** Who is asking (set by the auth plugin; absent when auth is off). */
    socklabUser?: { id: string; name: string; role: 'instructor' | 'student' | 'observer' }
  }
}

/** The gateway's services: event history, endpoints and the logs folder. Closing the app stops every endpoint (and closes its traffic log). */
export default fp(
  async (app, opts: { config: GatewayConfig }) => {
    const { config } = opts
    const filesRoot = path.join(config.dataDir, 'files')
    await fs.mkdir(filesRoot, { recursive: true })
    const hub = new EventHub({ maxEvents: config.historyEvents, maxBytes: config.historyBytes })
    const maxBytes = config.trafficLogMaxBytes ?? DEFAULT_TRAFFIC_LOG_MAX_BYTES
    const folder = new LogsFolder(path.join(config.dataDir, 'logs'), maxBytes, config.trafficLogsMaxBytes ?? DEFAULT_TRAFFIC_LOGS_MAX_BYTES)
    // Once, at start: from then on the total is kept in memory.
    await folder.scan()
    const endpoints = new EndpointManager({ hub, filesRoot, logs: { dir: folder.dir, maxBytes, folder } })
    app.decorate('config', config)
    app.decorate('hub', hub)
    app.decorate('endpoints', endpoints)
    app.decorate('logs', folder)
    app.addHook('onClose', async () => {
      await endpoints.closeAll()
    })
  },
  { name: 'socklab' },
)
