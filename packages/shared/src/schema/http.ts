import { Type, type Static } from 'typebox'
import { ErrorInfoSchema, HostSchema, LogOptionSchema, PortSchema } from './common.ts'

/**
 * Static HTTP server: serves a folder of the files area (or one fixed response, like the tutorials'
 * `HTTP/1.1 200 OK` + `hello world` server). Every request is an `http-request` event; the raw bytes
 * read from and written to each keep-alive connection are ordinary data events of that connection.
 */

const Name = Type.Optional(Type.String({ maxLength: 80, description: 'a label shown in the panel' }))

/** Answer every request (any method, any path) with this. */
export const HttpFixedResponseSchema = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, default: 200 })),
    contentType: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7e]+$', default: 'text/plain; charset=utf-8' })),
    body: Type.Optional(Type.String({ maxLength: 1_048_576, default: 'hello world' })),
  },
  { additionalProperties: false },
)
export type HttpFixedResponse = Static<typeof HttpFixedResponseSchema>

export const HttpStaticOptionsSchema = Type.Object(
  {
    kind: Type.Literal('http-static'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    /** Folder to serve, relative to the files area (default: the files area itself). */
    folder: Type.Optional(Type.String({ maxLength: 1024 })),
    fixed: Type.Optional(HttpFixedResponseSchema),
    /** Whole request headers must arrive within this (slow-loris guard). Default 10 s. */
    headersTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Whole request (headers and body) must arrive within this. Default 30 s. */
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** Keep an idle keep-alive connection open this long for the next request. Default 5 s. */
    keepAliveTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Close a connection on which nothing moves for this long. Default 60 s. */
    idleTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** Reset connections beyond this many. */
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
)
export type HttpStaticOptions = Static<typeof HttpStaticOptionsSchema>

const HeaderValue = Type.Union([Type.String(), Type.Array(Type.String())])

/** One request and its answer: emitted when the response is finished (or the client went away). */
export const HttpRequestEventSchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.Number(),
  endpointId: Type.String(),
  type: Type.Literal('http-request'),
  connectionId: Type.String(),
  /** Position of this request on its (keep-alive) connection, from 1. */
  index: Type.Integer(),
  method: Type.String(),
  url: Type.String(),
  httpVersion: Type.String(),
  headers: Type.Record(Type.String(), HeaderValue),
  status: Type.Integer(),
  statusText: Type.String(),
  responseHeaders: Type.Record(Type.String(), HeaderValue),
  /** Body bytes sent (not counting the status line and headers). Not `bytes`: the hub keeps raw payloads under that name. */
  bodyBytes: Type.Number(),
  durationMs: Type.Number(),
  /** The file served, relative to the served folder. */
  file: Type.Optional(Type.String()),
  /** Why the answer is an error (refused path, missing file…), in words. */
  reason: Type.Optional(Type.String()),
  /** The client closed before the whole response was sent. */
  aborted: Type.Optional(Type.Boolean()),
  error: Type.Optional(ErrorInfoSchema),
})
export type HttpRequestEvent = Static<typeof HttpRequestEventSchema>
