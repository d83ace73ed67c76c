import { Type, type Static, type TLiteral, type TUnion } from 'typebox'

export const PortSchema = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP/UDP port; 0 = any free port' })
export const HostSchema = Type.String({ minLength: 1, maxLength: 253, description: 'IP address or host name' })

export const AddressSchema = Type.Object({
  address: Type.String(),
  port: Type.Integer(),
  family: Type.Optional(Type.String()),
})
export type Address = Static<typeof AddressSchema>

/** Every endpoint kind's `log` option: write its traffic to a text file in the data folder from the start. */
export const LogOptionSchema = Type.Optional(Type.Boolean({ description: 'log traffic to a file in SOCKLAB_DATA/logs' }))

export const HostPortSchema = Type.Object({ host: HostSchema, port: PortSchema }, { additionalProperties: false })
export type HostPort = Static<typeof HostPortSchema>

/** Every failure the gateway reports: a Node/socket error code (EADDRINUSE, ECONNREFUSED…) or one of ours. */
export const ErrorInfoSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
})
export type ErrorInfo = Static<typeof ErrorInfoSchema>

/**
 * A gateway-written text in machine-readable form (`note` and `fault` events): a key of the shared
 * table (packages/shared/src/notes.ts) and its params, so the panel can show it in the viewer's language.
 * The event's `text` stays the English of the same template.
 */
export const SaySchema = Type.Object({
  key: Type.String(),
  params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
})
export type Say = Static<typeof SaySchema>

export const ErrorBodySchema = Type.Object({ error: ErrorInfoSchema })
export type ErrorBody = Static<typeof ErrorBodySchema>

/** `Type.Union` of string literals from a const list, typed as that union (a plain `.map` loses the literal types). */
export function LiteralUnion<const T extends readonly string[]>(values: T, options?: Parameters<typeof Type.Union>[1]) {
  return Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>
}
