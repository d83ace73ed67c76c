import type { EndpointActionBody, EndpointDetail, LogFolder } from '@socklab/shared'
import { request } from '../api/client.ts'

const enc = encodeURIComponent

/**
 * Traffic logs to disk: the `log` action, where an endpoint's current (or last) file downloads from, and the
 * logs folder (instructor): every log file, also of removed endpoints, to download and delete.
 */
export const diskLogApi = {
  setLogging: (id: string, on: boolean) =>
    request<EndpointDetail>('POST', `/api/endpoints/${enc(id)}/actions`, { action: 'log', on } satisfies EndpointActionBody),
  downloadUrl: (id: string) => `/api/endpoints/${enc(id)}/log`,
  listFolder: () => request<LogFolder>('GET', '/api/logs'),
  fileUrl: (name: string) => `/api/logs/${enc(name)}`,
  removeFile: (name: string) => request<void>('DELETE', `/api/logs/${enc(name)}`),
}
