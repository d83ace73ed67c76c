import { Type, type Static } from 'typebox'
import { LiteralUnion } from './common.ts'

/**
 * The files area: one folder on the gateway (SOCKLAB_DATA/files) holding the files download servers
 * serve and the files upload servers receive. Every path in the API is relative to it, `/`-separated.
 */

/** A path inside the files area as the API takes it (the gateway checks it again, segment by segment). */
export const FilePathSchema = Type.String({ maxLength: 1024, description: 'path inside the files area, e.g. "received/a.txt"' })

/** Files whose upload stopped short are kept under their name plus this suffix, never as finished files. */
export const INCOMPLETE_SUFFIX = '.incomplete'

export const FileEntrySchema = Type.Object({
  name: Type.String(),
  /** Path from the root of the files area. */
  path: Type.String(),
  type: Type.Union([Type.Literal('file'), Type.Literal('dir')]),
  size: Type.Number(),
  mtime: Type.Number(),
  /** A received file that ended before all its declared bytes arrived. */
  incomplete: Type.Optional(Type.Boolean()),
})
export type FileEntry = Static<typeof FileEntrySchema>

/** GET /api/files?path= */
export const FilesQuerySchema = Type.Object({ path: Type.Optional(FilePathSchema) }, { additionalProperties: false })
export type FilesQuery = Static<typeof FilesQuerySchema>

export const FileListSchema = Type.Object({
  path: Type.String(),
  entries: Type.Array(FileEntrySchema),
})
export type FileList = Static<typeof FileListSchema>

/** What PUT does when the name is taken: refuse (default), pick a free name "a (1).txt", or replace atomically. */
export const ON_EXISTS = ['fail', 'rename', 'replace'] as const
export type OnExists = (typeof ON_EXISTS)[number]

/** PUT /api/files/{path}?onExists= */
export const PutFileQuerySchema = Type.Object(
  { onExists: Type.Optional(LiteralUnion(ON_EXISTS)) },
  { additionalProperties: false },
)
export type PutFileQuery = Static<typeof PutFileQuerySchema>

export const PutFileResultSchema = Type.Object({
  ...FileEntrySchema.properties,
  sha256: Type.String(),
})
export type PutFileResult = Static<typeof PutFileResultSchema>
