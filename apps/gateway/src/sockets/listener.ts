import type net from 'node:net'

/**
 * Close a listening socket only; accepted connections keep talking (like closing a Python server's
 * listening socket). `server.close()` calls back only once every connection has ended, but the listener
 * itself is gone at once, so this resolves on the next turn. False when it was not listening.
 */
export async function closeListener(server: net.Server | undefined): Promise<boolean> {
  if (!server?.listening) return false
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    setImmediate(resolve)
  })
  return true
}
