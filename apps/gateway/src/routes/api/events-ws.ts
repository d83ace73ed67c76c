import type { FastifyPluginAsync } from 'fastify'
import { ClientMessageSchema, validate, type ServerMessage } from '@socklab/shared'
import type { TSchema } from 'typebox'
import { LiveFeed } from '../../events/live-feed.ts'

/** Largest frame a browser may send; a bigger one closes the socket with 1009 (message too big). */
export const WS_MAX_PAYLOAD = 64 * 1024

/** The variant a message's `type` names, so an error points at the wrong field (`id`), not at `type`. */
function schemaFor(msg: unknown): TSchema {
  const type = (msg as { type?: unknown } | null)?.type
  const variants = (ClientMessageSchema as unknown as { anyOf: { properties: { type: { const: unknown } } }[] }).anyOf
  return (variants.find((v) => v.properties.type.const === type) as TSchema | undefined) ?? ClientMessageSchema
}

/** GET /api/events (WebSocket): the live event stream, resumable by seq. */
const eventsWs: FastifyPluginAsync = async (app) => {
  app.get('/events', { websocket: true }, (socket, req) => {
    const sendMsg = (m: ServerMessage) => socket.send(JSON.stringify(m))
    // Each viewer sees only what their role allows (checked again per event: roles and sharing change).
    const caller = req.socklabCaller
    const feed = new LiveFeed(
      app.hub,
      { send: (text) => socket.send(text), bufferedAmount: () => socket.bufferedAmount },
      () => app.endpoints.list().filter((e) => app.access.visibleTo(caller, e.id)).map((e) => e.detail()),
      app.access.eventFilter(caller),
    )
    const untrack = app.access.trackSocket(caller, () => socket.close(1008, 'access revoked'))
    socket.on('message', (raw, isBinary) => {
      const allowed = app.access.checkMessage(caller)
      if (!allowed.ok) {
        if (allowed.close) return socket.close(1008, allowed.error.message)
        return sendMsg({ type: 'error', error: allowed.error })
      }
      let msg: unknown
      try {
        msg = JSON.parse(isBinary ? '' : raw.toString())
      } catch {
        return sendMsg({ type: 'error', error: { code: 'EBADJSON', message: 'message is not valid JSON' } })
      }
      const checked = validate(schemaFor(msg) as typeof ClientMessageSchema, msg)
      if (!checked.ok) return sendMsg({ type: 'error', error: checked.error })
      const m = checked.value
      if (m.type === 'hello') feed.hello(m.after, m.serverId)
      else sendMsg({ type: 'pong', ...(m.id !== undefined ? { id: m.id } : {}), seq: app.hub.headSeq })
    })
    socket.on('close', () => {
      feed.close()
      untrack()
    })
    socket.on('error', () => feed.close())
  })
}

export default eventsWs
