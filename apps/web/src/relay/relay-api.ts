import type { RelayCutBody, RelayFaults, SendResult } from '@socklab/shared'
import { request, type SendRequest } from '../api/client.ts'

const enc = encodeURIComponent

/** The relay's own routes: fault settings, cutting one side of a pair, injecting toward one side. */
export const relayApi = {
  faults: (id: string) => request<RelayFaults>('GET', `/api/endpoints/${enc(id)}/faults`),
  setFaults: (id: string, patch: RelayFaults) => request<RelayFaults>('PATCH', `/api/endpoints/${enc(id)}/faults`, patch),
  cut: (id: string, connectionId: string, body: RelayCutBody) =>
    request<{ ok: true }>('POST', `/api/endpoints/${enc(id)}/connections/${enc(connectionId)}/cut`, body),
  inject: (id: string, body: SendRequest & { connection: string; toward: 'client' | 'target' }) =>
    request<SendResult>('POST', `/api/endpoints/${enc(id)}/send`, body),
}
