import { Type, type Static } from 'typebox'
import { LiteralUnion, AddressSchema, ErrorInfoSchema, HostPortSchema, HostSchema, LogOptionSchema, PortSchema } from './common.ts'
import { SEND_ENCODINGS, TEXT_ENCODINGS } from '../encoding.ts'
import { CHECKSUMS } from '../checksum.ts'
import { RelaySideSchema, TcpRelayOptionsSchema } from './relay.ts'
import { HttpStaticOptionsSchema } from './http.ts'
import { DownloadServerOptionsSchema, FileClientOptionsSchema, RawUploadServerOptionsSchema, UploadServerOptionsSchema } from './transfers.ts'

const Name = Type.Optional(Type.String({ maxLength: 80, description: 'a label shown in the panel' }))
/** Encoding of the text options (greeting, fixed reply); also what `upper` decodes with. */
const TextEncodingOption = Type.Optional(LiteralUnion(TEXT_ENCODINGS, { default: 'utf-8' }))

export const ReplyModeSchema = Type.Union([Type.Literal('none'), Type.Literal('echo'), Type.Literal('upper'), Type.Literal('fixed'), Type.Literal('rules')])
export type ReplyMode = Static<typeof ReplyModeSchema>

/** How many rules one auto-reply may hold, and the size caps of a rule's bytes (after encoding). */
export const REPLY_RULES_MAX = 32
export const REPLY_MATCH_MAX_BYTES = 1024
export const REPLY_ANSWER_MAX_BYTES = 16384

export const REPLY_MATCH_HOWS = ['contains', 'equals', 'starts'] as const
export type ReplyMatchHow = (typeof REPLY_MATCH_HOWS)[number]
/** How a rule's `match`/`answer` is typed: text in the endpoint's encoding, or hex bytes. */
export const REPLY_FORMATS = ['text', 'hex'] as const
export type ReplyFormat = (typeof REPLY_FORMATS)[number]

/**
 * One rule of `mode: 'rules'`: when a received chunk (one TCP read, one datagram) matches `match`, answer `answer`.
 * `how`: the chunk contains the bytes (default), equals them exactly, or starts with them.
 * An empty `answer` answers nothing (and stops the search: use it to keep `otherwise: 'echo'` off some messages).
 */
export const ReplyRuleSchema = Type.Object(
  {
    match: Type.String({ maxLength: 4 * REPLY_MATCH_MAX_BYTES }),
    matchFormat: Type.Optional(LiteralUnion(REPLY_FORMATS, { default: 'text' })),
    how: Type.Optional(LiteralUnion(REPLY_MATCH_HOWS, { default: 'contains' })),
    answer: Type.String({ maxLength: 4 * REPLY_ANSWER_MAX_BYTES }),
    answerFormat: Type.Optional(LiteralUnion(REPLY_FORMATS, { default: 'text' })),
    /** Check bytes appended to the answer, as the send box does. */
    checksum: Type.Optional(LiteralUnion(CHECKSUMS, { default: 'none' })),
  },
  { additionalProperties: false },
)
export type ReplyRule = Static<typeof ReplyRuleSchema>

/**
 * Auto-reply, as the tutorial servers do: echo, upper-case echo, or a fixed text; or `rules` (first matching rule
 * answers, else `otherwise`: none or echo), as device simulators do. Optionally close after replying once.
 * `text` is read only by `fixed`; `rules` and `otherwise` only by `rules`.
 */
export const ReplySchema = Type.Object(
  {
    mode: ReplyModeSchema,
    text: Type.Optional(Type.String({ maxLength: 65536 })),
    rules: Type.Optional(Type.Array(ReplyRuleSchema, { maxItems: REPLY_RULES_MAX })),
    otherwise: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('echo')], { default: 'none' })),
    close: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type Reply = Static<typeof ReplySchema>

export const TcpServerOptionsSchema = Type.Object(
  {
    kind: Type.Literal('tcp-server'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    backlog: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    greeting: Type.Optional(Type.String({ maxLength: 65536 })),
    reply: Type.Optional(ReplySchema),
    encoding: TextEncodingOption,
    /** Close a connection that sends nothing for this long (0/absent = never). */
    idleTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    /** Refuse (close at once, counted) connections beyond this many. */
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
)
export type TcpServerOptions = Static<typeof TcpServerOptionsSchema>

export const TcpClientOptionsSchema = Type.Object(
  {
    kind: Type.Literal('tcp-client'),
    name: Name,
    log: LogOptionSchema,
    host: HostSchema,
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 10_000 })),
    reply: Type.Optional(ReplySchema),
    encoding: TextEncodingOption,
  },
  { additionalProperties: false },
)
export type TcpClientOptions = Static<typeof TcpClientOptionsSchema>

export const UdpOptionsSchema = Type.Object(
  {
    kind: Type.Literal('udp'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    reply: Type.Optional(ReplySchema),
    encoding: TextEncodingOption,
    /** Default destination for sends that name none. */
    remote: Type.Optional(HostPortSchema),
  },
  { additionalProperties: false },
)
export type UdpOptions = Static<typeof UdpOptionsSchema>

/**
 * Every kind of endpoint, keyed by `kind`. Later kinds (file transfer, relay, http) add themselves here;
 * the gateway validates a create request against exactly the schema its `kind` names.
 */
export const ENDPOINT_OPTION_SCHEMAS = {
  'tcp-server': TcpServerOptionsSchema,
  'tcp-client': TcpClientOptionsSchema,
  udp: UdpOptionsSchema,
  'tcp-relay': TcpRelayOptionsSchema,
  'http-static': HttpStaticOptionsSchema,
  'download-server': DownloadServerOptionsSchema,
  'upload-server': UploadServerOptionsSchema,
  'raw-upload-server': RawUploadServerOptionsSchema,
  'file-client': FileClientOptionsSchema,
} as const

export type EndpointKind = keyof typeof ENDPOINT_OPTION_SCHEMAS
export const ENDPOINT_KINDS = Object.keys(ENDPOINT_OPTION_SCHEMAS) as EndpointKind[]
export type EndpointOptions = { [K in EndpointKind]: Static<(typeof ENDPOINT_OPTION_SCHEMAS)[K]> }[EndpointKind]

/** Loose envelope used at the REST edge: `kind` first, then the kind's own schema. */
export const CreateEndpointBodySchema = Type.Object(
  { kind: LiteralUnion(ENDPOINT_KINDS) },
  { additionalProperties: true },
)

export const EndpointStateSchema = Type.Union([
  Type.Literal('starting'),
  Type.Literal('listening'),
  /** Listening socket closed, accepted connections still talking. */
  Type.Literal('not-listening'),
  Type.Literal('connecting'),
  Type.Literal('connected'),
  Type.Literal('bound'),
  Type.Literal('closed'),
  Type.Literal('failed'),
])
export type EndpointState = Static<typeof EndpointStateSchema>

export const EndpointStatsSchema = Type.Object({
  connections: Type.Integer({ description: 'open connections now' }),
  totalConnections: Type.Integer(),
  refused: Type.Integer({ description: 'connections closed at once because of maxConnections' }),
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
})
export type EndpointStats = Static<typeof EndpointStatsSchema>

/** Timed resend, as NetAssist's "send every N ms": send now, then every `intervalMs` until `count` sends (absent = until stopped). */
export const RepeatSchema = Type.Object(
  {
    intervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
)
export type Repeat = Static<typeof RepeatSchema>

/** A running timed resend, as endpoint info shows it. */
export const RepeatInfoSchema = Type.Object({
  /** What it sends to: a connection id or "all" (TCP server), "connection" (TCP client), "host:port" (UDP). */
  target: Type.String(),
  intervalMs: Type.Integer(),
  count: Type.Optional(Type.Integer()),
  sent: Type.Integer(),
  bytes: Type.Integer({ description: 'size of each send' }),
  startedAt: Type.Number(),
})
export type RepeatInfo = Static<typeof RepeatInfoSchema>

export const TrafficLogStateSchema = Type.Union([
  Type.Literal('on'),
  Type.Literal('off'),
  /** Stopped at the size cap of one file (SOCKLAB_TRAFFIC_LOG_MAX_BYTES); the file's last line says so. */
  Type.Literal('full'),
  /**
   * Stopped because the logs folder reached its total (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES): the file's last line says
   * so, `error` (ELOGSFULL) too. Deleting old logs (GET/DELETE /api/logs) makes room for new ones.
   */
  Type.Literal('folder-full'),
  /** The disk refused a write (see `error`); nothing more is written. */
  Type.Literal('failed'),
])
export type TrafficLogState = Static<typeof TrafficLogStateSchema>

/** An endpoint's traffic log (a text file in SOCKLAB_DATA/logs), as endpoint info shows it: the current or last one. */
export const TrafficLogInfoSchema = Type.Object({
  state: TrafficLogStateSchema,
  /** File name in the logs folder; GET /api/endpoints/:id/log downloads it. */
  file: Type.String(),
  bytes: Type.Number({ description: 'bytes written to the file' }),
  events: Type.Integer({ description: 'events written, one line each' }),
  /**
   * Events lost because the logger fell behind and the history evicted them first. Counted from the gap in the
   * gateway-wide sequence, so it may include other endpoints' events; the file has a line at the gap.
   */
  dropped: Type.Integer(),
  maxBytes: Type.Number({ description: 'size cap of one file' }),
  startedAt: Type.Number(),
  error: Type.Optional(ErrorInfoSchema),
})
export type TrafficLogInfo = Static<typeof TrafficLogInfoSchema>

export const EndpointInfoSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.Optional(Type.String()),
  state: EndpointStateSchema,
  local: Type.Optional(AddressSchema),
  remote: Type.Optional(AddressSchema),
  options: Type.Record(Type.String(), Type.Unknown()),
  error: Type.Optional(ErrorInfoSchema),
  createdAt: Type.Number(),
  owner: Type.Optional(Type.String()),
  shared: Type.Optional(Type.Boolean()),
  stats: EndpointStatsSchema,
  /** Timed resends running now, one per target (absent when none). */
  repeats: Type.Optional(Type.Array(RepeatInfoSchema)),
  /** Traffic log to disk: present once logging was turned on. */
  log: Type.Optional(TrafficLogInfoSchema),
})
export type EndpointInfo = Static<typeof EndpointInfoSchema>

export const ConnectionStateSchema = Type.Union([
  Type.Literal('connecting'),
  Type.Literal('open'),
  /** The peer sent FIN: its recv loop ended; we may still send. */
  Type.Literal('fin-received'),
  /** We sent FIN (half-close): the peer's recv returns empty; it may still send. */
  Type.Literal('fin-sent'),
  Type.Literal('closed'),
  Type.Literal('reset'),
])
export type ConnectionState = Static<typeof ConnectionStateSchema>

export const ConnectionInfoSchema = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  remote: AddressSchema,
  local: AddressSchema,
  state: ConnectionStateSchema,
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
  openedAt: Type.Number(),
  closedAt: Type.Optional(Type.Number()),
  reason: Type.Optional(ErrorInfoSchema),
  /** TCP relay: the relay's own connection to the target for this pair (remote/local above are the client's leg). */
  target: Type.Optional(
    Type.Object({ remote: AddressSchema, local: Type.Optional(AddressSchema), bytesIn: Type.Number(), bytesOut: Type.Number() }),
  ),
})
export type ConnectionInfo = Static<typeof ConnectionInfoSchema>

export const EndpointDetailSchema = Type.Intersect([
  EndpointInfoSchema,
  Type.Object({ connections: Type.Array(ConnectionInfoSchema) }),
])
export type EndpointDetail = EndpointInfo & { connections: ConnectionInfo[] }

export const SendBodySchema = Type.Object(
  {
    data: Type.String({ maxLength: 8 * 1024 * 1024 }),
    encoding: Type.Optional(LiteralUnion(SEND_ENCODINGS, { default: 'utf-8' })),
    lineEnding: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('lf'), Type.Literal('crlf')])),
    /** TCP server: a connection id, or "all" (the default) to broadcast. */
    connection: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** UDP: where to send (falls back to the socket's `remote`). */
    to: Type.Optional(HostPortSchema),
    /** TCP relay: inject into the pair named by `connection`, toward its client or its target. */
    toward: Type.Optional(RelaySideSchema),
    /** Check bytes appended after the payload, before the line ending (TCP server/client, UDP). */
    checksum: Type.Optional(LiteralUnion(CHECKSUMS, { default: 'none' })),
    /** Send now, then again on a timer; replaces the endpoint's running resend to the same target (TCP server/client, UDP). */
    repeat: Type.Optional(RepeatSchema),
  },
  { additionalProperties: false },
)
export type SendBody = Static<typeof SendBodySchema>

export const SendResultSchema = Type.Object({
  bytes: Type.Integer(),
  connections: Type.Integer(),
  /** Present when the send started a timed resend. */
  repeat: Type.Optional(RepeatInfoSchema),
})
export type SendResult = Static<typeof SendResultSchema>

export const CloseConnectionBodySchema = Type.Object(
  { mode: Type.Optional(Type.Union([Type.Literal('end'), Type.Literal('destroy')], { default: 'end' })) },
  { additionalProperties: false },
)
export type CloseConnectionBody = Static<typeof CloseConnectionBodySchema>

/**
 * Actions on an endpoint other than send/close: `stop-listening` (TCP server), `reconnect` (TCP client), `half-close` (TCP client),
 * `stop-repeat` (stop the timed resend to `target`, or every one when no target is named),
 * `log` (any kind: `on: true` starts a new traffic log file, `on: false` closes it).
 */
export const EndpointActionBodySchema = Type.Object(
  {
    action: Type.Union([
      Type.Literal('stop-listening'),
      Type.Literal('reconnect'),
      Type.Literal('half-close'),
      Type.Literal('close'),
      Type.Literal('stop-repeat'),
      Type.Literal('log'),
    ]),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    /** `log`: turn logging on or off. */
    on: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type EndpointActionBody = Static<typeof EndpointActionBodySchema>
