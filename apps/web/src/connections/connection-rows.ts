import type { ConnectionInfo } from '@socklab/shared'

export const isFinal = (c: ConnectionInfo) => c.state === 'closed' || c.state === 'reset'

/** Table order: live connections as they opened, then the finished ones newest first. */
export function openFirst(connections: ConnectionInfo[], withClosed = true): ConnectionInfo[] {
  const open = connections.filter((c) => !isFinal(c))
  return withClosed ? [...open, ...connections.filter(isFinal).reverse()] : open
}
