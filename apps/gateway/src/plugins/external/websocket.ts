import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import { WS_MAX_PAYLOAD } from '../../routes/api/events-ws.ts'

export default fp(async (app) => {
  await app.register(websocket, { options: { maxPayload: WS_MAX_PAYLOAD } })
})
