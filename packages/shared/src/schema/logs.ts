import { Type, type Static } from 'typebox'

/**
 * The logs folder (SOCKLAB_DATA/logs) as the instructor manages it: every traffic log file the gateway made,
 * also those of endpoints removed since, and how much of the folder's total they take.
 */

/** One traffic log file, as GET /api/logs lists it. */
export const LogFileEntrySchema = Type.Object({
  /** File name in the logs folder, `<endpoint>-<kind>-<port>-<YYYYMMDD-HHMMSS>.log`. */
  name: Type.String(),
  size: Type.Number({ description: 'bytes; for a file being written, what was handed to it so far' }),
  mtime: Type.Number(),
  /** A live endpoint is writing it: it cannot be deleted until that endpoint's logging is off. */
  active: Type.Boolean(),
  /** The endpoint writing it (when active). */
  endpointId: Type.Optional(Type.String()),
})
export type LogFileEntry = Static<typeof LogFileEntrySchema>

/** GET /api/logs: the files, newest first, and the folder's total against its quota. */
export const LogFolderSchema = Type.Object({
  entries: Type.Array(LogFileEntrySchema),
  /** What the traffic logs in the folder take, in bytes. */
  totalBytes: Type.Number(),
  /** The folder's quota (SOCKLAB_TRAFFIC_LOGS_MAX_BYTES): no new log starts at it, a running one stops there. */
  maxTotalBytes: Type.Number(),
  /** No room for a new log: starting one is refused (ELOGSFULL) until old logs are deleted. */
  full: Type.Boolean(),
  /** Size cap of one file (SOCKLAB_TRAFFIC_LOG_MAX_BYTES). */
  maxFileBytes: Type.Number(),
})
export type LogFolder = Static<typeof LogFolderSchema>

/** GET / DELETE /api/logs/:name */
export const LogNameParamsSchema = Type.Object({ name: Type.String({ maxLength: 255 }) })
