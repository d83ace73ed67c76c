import { Type, type Static } from 'typebox'
import { EndpointDetailSchema, type EndpointDetail } from './endpoints.ts'
import { ErrorInfoSchema } from './common.ts'
import type { SocklabEvent } from './events.ts'

/**
 * The WebSocket at /api/events. Client → server messages are validated by the gateway on every frame;
 * server → client messages are typed here and trusted by the panel.
 */
export const ClientHelloSchema = Type.Object(
  {
    type: Type.Literal('hello'),
    /** Resume: the last seq this client has; the gateway replays what came after it. */
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The serverId the client saw before; if the gateway restarted, `after` is ignored. */
    serverId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
)
export const ClientPingSchema = Type.Object({ type: Type.Literal('ping'), id: Type.Optional(Type.Integer()) }, { additionalProperties: false })
export const ClientMessageSchema = Type.Union([ClientHelloSchema, ClientPingSchema])
export type ClientMessage = Static<typeof ClientMessageSchema>

export interface WelcomeMessage {
  type: 'welcome'
  serverId: string
  /** The state below is as of this seq; later events apply on top. */
  snapshotSeq: number
  oldestSeq: number
  endpoints: EndpointDetail[]
  /** Events the gateway's history has evicted so far (memory bound). */
  evicted: number
  /** True when `after` was honoured (same gateway run) and history continues from it. */
  resumed: boolean
}
export interface EventsMessage {
  type: 'events'
  events: SocklabEvent[]
}
/** Events the client will never receive: evicted before it could be sent (slow link) or beyond the initial history. */
export interface GapMessage {
  type: 'gap'
  fromSeq: number
  toSeq: number
  missed: number
  reason: 'evicted' | 'history-limit'
}
export interface PongMessage {
  type: 'pong'
  id?: number
  seq: number
}
export interface ServerErrorMessage {
  type: 'error'
  error: Static<typeof ErrorInfoSchema>
}
export type ServerMessage = WelcomeMessage | EventsMessage | GapMessage | PongMessage | ServerErrorMessage
export { EndpointDetailSchema }
