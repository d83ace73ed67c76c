import type { ErrorInfo, FileList, OnExists, PutFileResult } from '@socklab/shared'
import { ApiError, request } from '../api/client.ts'

/** A path inside the files area as URL path segments (each encoded, the slashes kept). */
export function encodePath(rel: string): string {
  return rel.split('/').filter(Boolean).map(encodeURIComponent).join('/')
}

/** Where the browser downloads a file's bytes (Content-Disposition gives it its real name). */
export function contentUrl(rel: string): string {
  return `/api/files/${encodePath(rel)}/content`
}

/**
 * Upload a file from the browser, streamed from disk, with upload progress (fetch has none, so
 * XMLHttpRequest). Resolves with the saved entry and its sha256; rejects with the gateway's error.
 */
function upload(rel: string, file: Blob, onExists: OnExists, onProgress?: (sent: number, total: number) => void): Promise<PutFileResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', `/api/files/${encodePath(rel)}?onExists=${onExists}`)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total)
    xhr.onerror = () => reject(new ApiError(0, { code: 'ENETWORK', message: 'the upload could not reach the gateway' }))
    xhr.onload = () => {
      let body: unknown
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        body = undefined
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as PutFileResult)
      const info = (body as { error?: ErrorInfo } | undefined)?.error
      reject(new ApiError(xhr.status, info ?? { code: `HTTP${xhr.status}`, message: xhr.statusText || 'upload failed' }))
    }
    xhr.send(file)
  })
}

/** The files area API. */
export const filesApi = {
  list: (rel: string) => request<FileList>('GET', `/api/files${rel ? `?path=${encodeURIComponent(rel)}` : ''}`),
  remove: (rel: string) => request<void>('DELETE', `/api/files/${encodePath(rel)}`),
  upload,
}
