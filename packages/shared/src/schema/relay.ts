import { Type, type Static } from 'typebox'
import { HostSchema, LogOptionSchema, PortSchema, SaySchema } from './common.ts'

/**
 * TCP relay ("man in the middle you can see"): listens on host:port and forwards each accepted
 * connection to `target`. Each client↔target pair is ONE connection of the endpoint; its data events
 * carry `leg` ('client' or 'target') so direction keeps its usual meaning on that leg
 * (in = read by the relay from that side, out = written by the relay to that side).
 */

const Name = Type.Optional(Type.String({ maxLength: 80, description: 'a label shown in the panel' }))

/** The two ways bytes flow through a pair. */
export const RelayWaySchema = Type.Union([Type.Literal('toTarget'), Type.Literal('toClient')])
export type RelayWay = Static<typeof RelayWaySchema>

/** One side of a pair. */
export const RelaySideSchema = Type.Union([Type.Literal('client'), Type.Literal('target')])
export type RelaySide = Static<typeof RelaySideSchema>

/** Faults applied to one way (client→target or target→client). All optional; absent or 0 means off. */
export const RelayWayFaultsSchema = Type.Object(
  {
    /** Hold every chunk this long before passing it on. */
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
    /** Pass at most this many bytes per second (paced in small slices). */
    bytesPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    /** 拆包: write each chunk as pieces of at most this many bytes… */
    splitBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_048_576 })),
    /** …with this pause between pieces, so the receiver's recv() really sees them apart (default 5 ms). */
    splitGapMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    /** 粘包: gather everything that arrives within this window into one write. */
    coalesceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  },
  { additionalProperties: false },
)
export type RelayWayFaults = Static<typeof RelayWayFaultsSchema>

/**
 * The relay's fault settings; changeable while it runs (PATCH /api/endpoints/:id/faults).
 * In a PATCH, a way given replaces that way's settings; a way left out keeps its settings.
 */
export const RelayFaultsSchema = Type.Object(
  {
    toTarget: Type.Optional(RelayWayFaultsSchema),
    toClient: Type.Optional(RelayWayFaultsSchema),
    /** Reset (RST) every new connection at once instead of relaying it. */
    refuse: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type RelayFaults = Static<typeof RelayFaultsSchema>

export const TcpRelayOptionsSchema = Type.Object(
  {
    kind: Type.Literal('tcp-relay'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    target: Type.Object({ host: HostSchema, port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false }),
    /** Give up dialling the target after this long and close the client with the reason. */
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 10_000 })),
    /** Reset connections beyond this many open pairs. */
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    faults: Type.Optional(RelayFaultsSchema),
  },
  { additionalProperties: false },
)
export type TcpRelayOptions = Static<typeof TcpRelayOptionsSchema>

/** POST /api/endpoints/:id/connections/:cid/cut — the relay closes one side of a live pair. */
export const RelayCutBodySchema = Type.Object(
  {
    side: RelaySideSchema,
    /** fin = half-close toward that side (it reads end-of-stream); rst = reset it (it gets ECONNRESET). */
    how: Type.Union([Type.Literal('fin'), Type.Literal('rst')]),
  },
  { additionalProperties: false },
)
export type RelayCutBody = Static<typeof RelayCutBodySchema>

export const RelayFaultKindSchema = Type.Union([
  Type.Literal('latency'),
  Type.Literal('bandwidth'),
  Type.Literal('split'),
  Type.Literal('coalesce'),
  Type.Literal('fin'),
  Type.Literal('rst'),
  Type.Literal('refuse'),
  Type.Literal('dropped'),
])
export type RelayFaultKind = Static<typeof RelayFaultKindSchema>

/**
 * A fault touched a conversation (or, for `refuse`, a connection that never became one):
 * shown on that conversation's timeline. Emitted when a pair opens under active faults, when the
 * faults change while it is open, and for each one-shot fault (cut, refused, bytes dropped).
 */
export const RelayFaultEventSchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.Number(),
  endpointId: Type.String(),
  type: Type.Literal('fault'),
  connectionId: Type.Optional(Type.String()),
  fault: RelayFaultKindSchema,
  way: Type.Optional(RelayWaySchema),
  side: Type.Optional(RelaySideSchema),
  /** What was applied, in English words: "client→target: every chunk held 200 ms", "RST sent to the target…"… */
  text: Type.String(),
  /** The same text as a key + params of the shared notes table (packages/shared/src/notes.ts), to show translated. */
  say: Type.Optional(SaySchema),
})
export type RelayFaultEvent = Static<typeof RelayFaultEventSchema>
