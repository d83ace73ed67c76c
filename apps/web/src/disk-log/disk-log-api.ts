import type { EndpointActionBody, EndpointDetail } from '@socklab/shared'
import { request } from '../api/client.ts'

const enc = encodeURIComponent

/** Traffic logs to disk: the `log` action, and where the current (or last) file downloads from. */
export const diskLogApi = {
  setLogging: (id: string, on: boolean) =>
    request<EndpointDetail>('POST', `/api/endpoints/${enc(id)}/actions`, { action: 'log', on } satisfies EndpointActionBody),
  downloadUrl: (id: string) => `/api/endpoints/${enc(id)}/log`,
}
