import { Type, type Static } from 'typebox'
import { AddressSchema, ErrorInfoSchema, HostSchema, LogOptionSchema, PortSchema } from './common.ts'
import { FilePathSchema } from './files.ts'

/**
 * File transfer over raw TCP, byte for byte as the classic tutorials teach it:
 *
 * - download: the client sends a file name; the server answers `0<SEPARATOR>{size}` then the bytes and
 *   closes, or `-1<SEPARATOR>{name}文件不存在` and closes.
 * - upload: the client sends `{name}<SEPARATOR>{size}`, waits for any reply (`ok`), streams the bytes, closes.
 * - raw upload: the whole byte stream of a connection, until the client closes, is one file.
 *
 * The gateway plays the server side (endpoint kinds download-server, upload-server, raw-upload-server) or
 * the client side (kind file-client, also started by POST /api/transfers). Either way each file moved is
 * a transfer, reported as `transfer` events on the event stream and listed at GET /api/transfers.
 */

/** The tutorials' separator: this literal 11-character string. */
export const FILE_SEPARATOR = '<SEPARATOR>'
/** What the tutorial's upload server puts before a received file's name. */
export const DEFAULT_UPLOAD_PREFIX = '[接收]'
/** Pause between the download header and the file's bytes, so a client's single recv(1024) gets the header alone. */
export const DEFAULT_HEADER_PAUSE_MS = 100
/** Folder (in the files area) uploads are saved to unless told otherwise. */
export const DEFAULT_RECEIVE_FOLDER = 'received'

const Name = Type.Optional(Type.String({ maxLength: 80, description: 'a label shown in the panel' }))
const Folder = Type.Optional(FilePathSchema)
/** Largest file a receiving endpoint accepts (bytes); the gateway's own limit (SOCKLAB_MAX_FILE_BYTES) still applies. */
const MaxBytes = Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }))

export const DownloadServerOptionsSchema = Type.Object(
  {
    kind: Type.Literal('download-server'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    /** Folder served, relative to the files area (default: its root). */
    folder: Folder,
    /** 0 sends header and bytes back to back: shows the class why a protocol needs framing. */
    headerPauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: DEFAULT_HEADER_PAUSE_MS })),
  },
  { additionalProperties: false },
)
export type DownloadServerOptions = Static<typeof DownloadServerOptionsSchema>

export const UploadServerOptionsSchema = Type.Object(
  {
    kind: Type.Literal('upload-server'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    /** Folder files are saved to, relative to the files area (default `received`). */
    folder: Folder,
    /** Put before every saved name (default `[接收]`; "" keeps the sender's name). */
    prefix: Type.Optional(Type.String({ maxLength: 64, default: DEFAULT_UPLOAD_PREFIX })),
    maxBytes: MaxBytes,
  },
  { additionalProperties: false },
)
export type UploadServerOptions = Static<typeof UploadServerOptionsSchema>

export const RawUploadServerOptionsSchema = Type.Object(
  {
    kind: Type.Literal('raw-upload-server'),
    name: Name,
    log: LogOptionSchema,
    host: Type.Optional(HostSchema),
    port: PortSchema,
    folder: Folder,
    /** Text (utf-8) sent after the client has finished sending, e.g. `文件上传成功`; then the server closes. */
    reply: Type.Optional(Type.String({ maxLength: 4096 })),
    maxBytes: MaxBytes,
  },
  { additionalProperties: false },
)
export type RawUploadServerOptions = Static<typeof RawUploadServerOptionsSchema>

export const TransferDirectionSchema = Type.Union([Type.Literal('download'), Type.Literal('upload')])
export type TransferDirection = Static<typeof TransferDirectionSchema>

/** download: the name to ask the server for. upload: the file to send, relative to `folder`. */
const TransferFileName = Type.String({ minLength: 1, maxLength: 1024 })

const clientFields = {
  /** download: bytes flow from the server at host:port to the gateway; upload: from the gateway to it. */
  direction: TransferDirectionSchema,
  host: HostSchema,
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** download: where to save (default `received`). upload: where `name` is (default: the root). */
  folder: Folder,
  /** download: save under this name instead of the requested one. upload: announce this name instead of the file's. */
  as: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** Give up connecting, or waiting for the next bytes, after this long (default 10 s). */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, default: 10_000 })),
  maxBytes: MaxBytes,
}

/**
 * The gateway as the tutorial's client: one transfer, then the endpoint stays (closed or failed) to show
 * the result. `file` is the file name (`name` is every endpoint's label).
 */
export const FileClientOptionsSchema = Type.Object(
  { kind: Type.Literal('file-client'), name: Name, log: LogOptionSchema, file: TransferFileName, ...clientFields },
  { additionalProperties: false },
)
export type FileClientOptions = Static<typeof FileClientOptionsSchema>

/**
 * POST /api/transfers: start a client transfer. It runs as a `file-client` endpoint of its own
 * (shown with its connection and traffic like any other); `label` becomes that endpoint's name.
 */
export const StartTransferBodySchema = Type.Object(
  { name: TransferFileName, label: Name, ...clientFields },
  { additionalProperties: false },
)
export type StartTransferBody = Static<typeof StartTransferBodySchema>

export const TransferStateSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  /** Fewer bytes arrived than were declared (or the peer reset): kept as `name.incomplete`. */
  Type.Literal('incomplete'),
])
export type TransferState = Static<typeof TransferStateSchema>

export const TransferInfoSchema = Type.Object({
  id: Type.String(),
  endpointId: Type.String(),
  connectionId: Type.Optional(Type.String()),
  direction: TransferDirectionSchema,
  /** Which side of the protocol the gateway plays. */
  role: Type.Union([Type.Literal('server'), Type.Literal('client')]),
  /** The name as it went over the wire (requested, announced), or the saved name for a raw upload. */
  name: Type.String(),
  /** The file in the files area read or written (final name once known). */
  path: Type.Optional(Type.String()),
  peer: AddressSchema,
  bytesDone: Type.Number(),
  /** Absent while unknown (a raw upload never says its size). */
  bytesTotal: Type.Optional(Type.Number()),
  state: TransferStateSchema,
  /** Of the bytes moved, once done (also for an incomplete file, of what arrived). */
  sha256: Type.Optional(Type.String()),
  error: Type.Optional(ErrorInfoSchema),
  startedAt: Type.Number(),
  endedAt: Type.Optional(Type.Number()),
})
export type TransferInfo = Static<typeof TransferInfoSchema>

/** Progress of one transfer: at start, at most ~10 times a second while running, and at the end. */
export const TransferEventSchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.Number(),
  endpointId: Type.String(),
  type: Type.Literal('transfer'),
  connectionId: Type.Optional(Type.String()),
  transfer: TransferInfoSchema,
})
export type TransferEvent = Static<typeof TransferEventSchema>

/** POST /api/transfers answers with the new file-client endpoint's id and its transfer, just started. */
export const StartTransferResultSchema = Type.Object({ endpointId: Type.String(), transfer: TransferInfoSchema })
export type StartTransferResult = Static<typeof StartTransferResultSchema>

/** GET /api/transfers */
export const TransferListSchema = Type.Object({ transfers: Type.Array(TransferInfoSchema) })
export type TransferList = Static<typeof TransferListSchema>
