import type net from 'node:net'
import { describeError } from './socket-error.ts'
import type { TcpConnection } from './tcp-connection.ts'

export interface ConnectTarget {
  host: string
  port: number
  timeoutMs: number
}

/**
 * Start connecting with a deadline of our own: the OS gives up on a silent host only after minutes, so
 * past `timeoutMs` the socket is destroyed with ETIMEDOUT. The timer ends with the attempt.
 */
export function startConnect(socket: net.Socket, { host, port, timeoutMs }: ConnectTarget) {
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs)
  const stopTimer = () => clearTimeout(timer)
  socket.once('connect', stopTimer)
  socket.once('close', stopTimer)
  socket.connect({ host, port })
}

/** Connect; rejects with a SocketError that names the host, the port and the deadline. */
export function connectWithTimeout(socket: net.Socket, target: ConnectTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      socket.off('error', onError)
      resolve()
    }
    const onError = (err: Error) => {
      socket.off('connect', onConnect)
      reject(describeError(err, target))
    }
    socket.once('connect', onConnect)
    socket.once('error', onError)
    startConnect(socket, target)
  })
}

/**
 * The client side of a TcpConnection: connect its socket. On failure the reason stays on the row, the
 * row closes, the endpoint turns failed and the error is thrown. On success the row is open and the
 * endpoint knows both addresses; announcing it connected is the caller's next step.
 */
export async function connectTcpConnection(conn: TcpConnection, target: ConnectTarget): Promise<void> {
  const endpoint = conn.endpoint
  try {
    await connectWithTimeout(conn.socket, target)
  } catch (err) {
    const e = describeError(err)
    conn.reason = e.toInfo()
    await conn.closed
    endpoint.setState('failed', e.toInfo())
    throw e
  }
  conn.connected()
  endpoint.local = conn.local
  endpoint.remote = conn.remote
}
