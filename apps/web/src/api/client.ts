import type {
  CloseConnectionBody,
  EndpointActionBody,
  EndpointDetail,
  EndpointInfo,
  ErrorInfo,
  SendBody,
  SendEncoding,
  SendResult,
} from '@socklab/shared'

/**
 * POST /send body. `encoding` is restated because the shared Static type of that union (built with
 * `.map`) collapses to `undefined`.
 */
export type SendRequest = Omit<SendBody, 'encoding'> & { encoding?: SendEncoding }

/** A failed request, carrying the gateway's own `{ error: { code, message, field? } }`. */
export class ApiError extends Error {
  readonly code: string
  readonly field?: string
  constructor(
    readonly status: number,
    info: ErrorInfo,
  ) {
    super(info.message)
    this.code = info.code
    if (info.field) this.field = info.field
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

/** Anything thrown while talking to the gateway, as the ErrorInfo shape the panel shows. */
export function errorInfoOf(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return err.toInfo()
  return { code: 'ENETWORK', message: err instanceof Error ? err.message : String(err) }
}

function isErrorBody(v: unknown): v is { error: ErrorInfo } {
  const e = (v as { error?: Partial<ErrorInfo> } | null)?.error
  return typeof e?.code === 'string' && typeof e.message === 'string'
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
  } catch (err) {
    // fetch rejects only when the gateway cannot be reached at all.
    throw new ApiError(0, { code: 'ENETWORK', message: `cannot reach the gateway (${(err as Error).message})` })
  }
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!res.ok) {
    if (isErrorBody(parsed)) throw new ApiError(res.status, parsed.error)
    throw new ApiError(res.status, { code: `HTTP${res.status}`, message: text.slice(0, 200) || res.statusText })
  }
  return parsed as T
}

const enc = encodeURIComponent

/** The gateway's REST API, typed with the shared schemas. */
export const api = {
  listEndpoints: () => request<EndpointInfo[]>('GET', '/api/endpoints'),
  getEndpoint: (id: string) => request<EndpointDetail>('GET', `/api/endpoints/${enc(id)}`),
  createEndpoint: (body: { kind: string } & Record<string, unknown>) => request<EndpointDetail>('POST', '/api/endpoints', body),
  removeEndpoint: (id: string) => request<void>('DELETE', `/api/endpoints/${enc(id)}`),
  send: (id: string, body: SendRequest) => request<SendResult>('POST', `/api/endpoints/${enc(id)}/send`, body),
  action: (id: string, action: EndpointActionBody['action']) =>
    request<EndpointDetail>('POST', `/api/endpoints/${enc(id)}/actions`, { action } satisfies EndpointActionBody),
  closeConnection: (id: string, connectionId: string, mode: NonNullable<CloseConnectionBody['mode']>) =>
    request<{ ok: true }>('POST', `/api/endpoints/${enc(id)}/connections/${enc(connectionId)}/close`, { mode } satisfies CloseConnectionBody),
}
