import { Type, type Static } from 'typebox'
import { AddressSchema, ErrorInfoSchema, SaySchema } from './common.ts'
import { ConnectionInfoSchema, ConnectionStateSchema, EndpointInfoSchema } from './endpoints.ts'
import { RelayFaultEventSchema, RelaySideSchema } from './relay.ts'
import { HttpRequestEventSchema } from './http.ts'
import { TransferEventSchema } from './transfers.ts'

/**
 * Everything that happens on the gateway is one of these events. Each has `seq` (increasing per
 * gateway run, no gaps at the source), `ts` (ms since epoch) and `endpointId`; `type` discriminates.
 * The same objects go over REST (`/api/endpoints/:id/events`) and the WebSocket (`/api/events`).
 */
const Base = {
  seq: Type.Integer(),
  ts: Type.Number(),
  endpointId: Type.String(),
}

/** The endpoint was created or changed state/stats; carries its full snapshot (connections excluded). */
export const EndpointEventSchema = Type.Object({ ...Base, type: Type.Literal('endpoint'), endpoint: EndpointInfoSchema })
export const EndpointRemovedEventSchema = Type.Object({ ...Base, type: Type.Literal('endpoint-removed') })

export const ConnectionOpenedEventSchema = Type.Object({
  ...Base,
  type: Type.Literal('connection-opened'),
  connectionId: Type.String(),
  connection: ConnectionInfoSchema,
})

/** Open (a connection that dialed out), half-close (FIN either way), close, reset. */
export const ConnectionStateEventSchema = Type.Object({
  ...Base,
  type: Type.Literal('connection-state'),
  connectionId: Type.String(),
  state: ConnectionStateSchema,
  reason: Type.Optional(ErrorInfoSchema),
  /**
   * On `open` of a connection that dialed out (TCP client, file client): its addresses, learned by
   * connecting. Its `connection-opened` came while it was still connecting, with empty addresses (port 0).
   */
  local: Type.Optional(AddressSchema),
  remote: Type.Optional(AddressSchema),
  /** TCP relay, on `open`: the pair's target leg as connected (the target's address, ours toward it). */
  target: Type.Optional(Type.Object({ remote: AddressSchema, local: AddressSchema })),
})

/** Bytes in or out. `data` is base64 of the raw bytes; `total` is the running byte count that way on that connection/socket. */
export const DataEventSchema = Type.Object({
  ...Base,
  type: Type.Literal('data'),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  connectionId: Type.Optional(Type.String()),
  /** UDP: the datagram's sender (in) or recipient (out). */
  peer: Type.Optional(AddressSchema),
  size: Type.Integer(),
  data: Type.String(),
  /**
   * Live feed only: `data` holds just the first bytes of the `size` bytes, because this viewer's payload
   * budget per second was spent (the full bytes stay in history: GET /api/endpoints/:id/events).
   */
  truncated: Type.Optional(Type.Boolean()),
  total: Type.Number(),
  /** What produced an outgoing chunk: user send, greeting, auto-reply… */
  origin: Type.Optional(Type.String()),
  /** TCP relay: which side of the pair this chunk was read from (in) or written to (out). */
  leg: Type.Optional(RelaySideSchema),
  /**
   * TCP relay, on an `in` chunk: it was written to the other side at once and unchanged (no fault
   * reshaped it), so no separate `out` event is recorded for it.
   */
  forwarded: Type.Optional(Type.Boolean()),
})

export const ErrorEventSchema = Type.Object({
  ...Base,
  type: Type.Literal('error'),
  connectionId: Type.Optional(Type.String()),
  error: ErrorInfoSchema,
})

/** A human-readable fact worth a line in the log (stopped listening, refused a connection over the limit…). */
export const NoteEventSchema = Type.Object({
  ...Base,
  type: Type.Literal('note'),
  connectionId: Type.Optional(Type.String()),
  /** In English, for scripts and the disk log. */
  text: Type.String(),
  /** The same text as a key + params of the shared notes table (packages/shared/src/notes.ts), to show translated. */
  say: Type.Optional(SaySchema),
})

export const SocklabEventSchema = Type.Union([
  EndpointEventSchema,
  EndpointRemovedEventSchema,
  ConnectionOpenedEventSchema,
  ConnectionStateEventSchema,
  DataEventSchema,
  ErrorEventSchema,
  NoteEventSchema,
  RelayFaultEventSchema,
  HttpRequestEventSchema,
  TransferEventSchema,
])
export type SocklabEvent = Static<typeof SocklabEventSchema>
export type SocklabEventType = SocklabEvent['type']
export type EventOf<T extends SocklabEventType> = Extract<SocklabEvent, { type: T }>
/** An event before the hub stamps it. */
export type EventInput = SocklabEvent extends infer E ? (E extends SocklabEvent ? Omit<E, 'seq' | 'ts'> : never) : never
export type DataEvent = EventOf<'data'>
