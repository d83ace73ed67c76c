import type { ErrorInfo } from '@socklab/shared'

/** An error a person can act on: a code (Node's, or ours) and a sentence that says what happened. */
export class SocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

export interface ErrorContext {
  host?: string
  port?: number
  timeoutMs?: number
}

/** Turn whatever a socket threw into a plain sentence with its code. */
export function describeError(err: unknown, ctx: ErrorContext = {}): SocketError {
  if (err instanceof SocketError) return err
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number }
  const code = e?.code ?? 'EUNKNOWN'
  const host = ctx.host ?? e?.address ?? '?'
  const port = ctx.port ?? e?.port
  const where = port !== undefined ? `${host}:${port}` : host
  const text: Record<string, string> = {
    EADDRINUSE: `port ${port} on ${host} is already in use by another program or endpoint`,
    EACCES: `permission denied to use ${where} (ports below 1024 need administrator rights)`,
    EPERM: `operation not permitted on ${where}`,
    EADDRNOTAVAIL: `${host} is not an address of this machine, so nothing can listen on it`,
    ECONNREFUSED: `connection refused by ${where}: nothing is listening there`,
    ETIMEDOUT: `no answer from ${where}${ctx.timeoutMs ? ` within ${ctx.timeoutMs} ms` : ''}`,
    EHOSTUNREACH: `host ${host} is unreachable`,
    ENETUNREACH: `network unreachable for ${host}`,
    ENOTFOUND: `host name "${host}" could not be resolved`,
    EAI_AGAIN: `host name "${host}" could not be resolved (temporary DNS failure)`,
    ECONNRESET: `connection reset by the peer`,
    EPIPE: `the peer closed the connection; nothing more can be sent`,
    EINVAL: `invalid address or port: ${where}`,
    EMSGSIZE: `datagram too large for UDP`,
    ERR_SOCKET_BAD_PORT: `invalid port ${port}: use 0–65535`,
  }
  return new SocketError(code, text[code] ?? (e?.message || String(err)))
}
