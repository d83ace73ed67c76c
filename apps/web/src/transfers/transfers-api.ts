import type { StartTransferBody, StartTransferResult, TransferList } from '@socklab/shared'
import { request } from '../api/client.ts'

/** GET/POST /api/transfers (progress itself arrives as `transfer` events on the live feed). */
export const transfersApi = {
  list: () => request<TransferList>('GET', '/api/transfers'),
  start: (body: StartTransferBody) => request<StartTransferResult>('POST', '/api/transfers', body),
}
