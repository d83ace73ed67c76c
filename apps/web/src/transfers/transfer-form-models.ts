import { DEFAULT_HEADER_PAUSE_MS, DEFAULT_RECEIVE_FOLDER, DEFAULT_UPLOAD_PREFIX } from '@socklab/shared'

/** Create forms of the file endpoints; '' means "not given" (dropped before sending). */
export interface DownloadServerFormModel {
  host: string
  port: number | ''
  folder: string
  headerPauseMs: number | ''
}
export interface UploadServerFormModel {
  host: string
  port: number | ''
  folder: string
  prefix: string
  maxBytes: number | ''
}
export interface RawUploadServerFormModel {
  host: string
  port: number | ''
  folder: string
  reply: string
  maxBytes: number | ''
}
export interface FileClientFormModel {
  direction: 'download' | 'upload'
  host: string
  port: number | ''
  file: string
  folder: string
  as: string
  timeoutMs: number | ''
}

export const downloadServerDefaults = (): DownloadServerFormModel => ({ host: '127.0.0.1', port: 0, folder: '', headerPauseMs: DEFAULT_HEADER_PAUSE_MS })
export const uploadServerDefaults = (): UploadServerFormModel => ({ host: '127.0.0.1', port: 0, folder: DEFAULT_RECEIVE_FOLDER, prefix: DEFAULT_UPLOAD_PREFIX, maxBytes: '' })
export const rawUploadServerDefaults = (): RawUploadServerFormModel => ({ host: '127.0.0.1', port: 0, folder: DEFAULT_RECEIVE_FOLDER, reply: '', maxBytes: '' })
export const fileClientDefaults = (): FileClientFormModel => ({ direction: 'download', host: '127.0.0.1', port: '', file: '', folder: '', as: '', timeoutMs: 10_000 })
