import Fastify, { type FastifyInstance } from 'fastify'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import app from '../src/app.ts'
import type { GatewayConfig } from '../src/config.ts'
import type { EventHub } from '../src/events/event-hub.ts'
import type { EndpointManager } from '../src/sockets/endpoint-manager.ts'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { Cleanup } from './peers.ts'

export interface TestGateway {
  app: FastifyInstance
  url: string
  wsUrl: string
  dataDir: string
  /** The app's own plugin context: its decorations (hub, endpoints, websocketServer…) are not on `app`. */
  context: FastifyInstance
  hub: EventHub
  endpoints: EndpointManager
  /** JSON request against the API; returns status and parsed body. */
  api<T = any>(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>
  close(): Promise<void>
}

/** A real gateway on 127.0.0.1:0 with a fresh data folder. Every test builds its own through here. */
export async function startGateway(overrides: Partial<GatewayConfig> = {}): Promise<TestGateway> {
  const dataDir = overrides.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-test-')))
  const config: GatewayConfig = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    historyEvents: 100_000,
    historyBytes: 64 * 1024 * 1024,
    logLevel: 'silent',
    // The product default is auth on; tests opt in with `auth: true` (access-*.test.ts do).
    auth: false,
    ...overrides,
  }
  const fastify = Fastify({ logger: false })
  // The first plugin context created is the app's; its decorations (hub, endpoints) live there.
  let appContext: FastifyInstance | undefined
  fastify.addHook('onRegister', (instance) => {
    appContext ??= instance
  })
  await fastify.register(app, { config })
  await fastify.listen({ host: config.host, port: 0 })
  const { port } = fastify.server.address() as { port: number }
  const url = `http://127.0.0.1:${port}`
  return {
    app: fastify,
    url,
    wsUrl: `ws://127.0.0.1:${port}/api/events`,
    dataDir,
    context: appContext!,
    hub: appContext!.hub,
    endpoints: appContext!.endpoints,
    async api(method, urlPath, body, headers = {}) {
      const res = await fetch(url + urlPath, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
        body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
      })
      const text = await res.text()
      let parsed: any = text
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {}
      return { status: res.status, body: parsed }
    },
    async close() {
      await fastify.close()
      if (!overrides.dataDir) await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * The frame most test files share: one gateway for the whole file (handed to `use` once it is up) and a
 * Cleanup that closes what each test opened, after every test. Call at the top level of the file.
 */
export function gatewayForFile(use: (gw: TestGateway) => unknown, overrides: Partial<GatewayConfig> = {}): Cleanup {
  const cleanup = new Cleanup()
  let gw: TestGateway | undefined
  beforeAll(async () => {
    gw = await startGateway(overrides)
    await use(gw)
  })
  afterEach(() => cleanup.run())
  afterAll(() => gw?.close())
  return cleanup
}
