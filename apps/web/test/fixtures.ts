import type { EndpointInfo } from '@socklab/shared'

/** A listening tcp-server's info as the gateway sends it; `over` replaces any field. */
export const endpointInfo = (id = 'e1', over: Partial<EndpointInfo> = {}): EndpointInfo => ({
  id,
  kind: 'tcp-server',
  state: 'listening',
  local: { address: '127.0.0.1', port: 5000 },
  options: { kind: 'tcp-server', port: 0 },
  createdAt: 1,
  stats: { connections: 0, totalConnections: 0, refused: 0, bytesIn: 0, bytesOut: 0 },
  ...over,
})
