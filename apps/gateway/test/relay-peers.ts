/**
 * Peers for relay tests: a plain `net` target server whose accepted sockets are TcpPeers, and a way to
 * reach the relay's own pair object (to look at its buffers for the backpressure test).
 */
import net from 'node:net'
import type { SocklabEvent } from '@socklab/shared'
import type { TestGateway } from './helper.ts'
import { LOOPBACK, TcpPeer, waitFor } from './peers.ts'
import type { RelayPair, TcpRelayEndpoint } from '../src/sockets/tcp-relay.ts'

/** A TCP server on 127.0.0.1:0 (half-open allowed, like a socket that only shutdown()s on purpose). */
export class TargetServer {
  readonly accepted: TcpPeer[] = []
  private constructor(readonly server: net.Server) {
    server.on('connection', (s) => this.accepted.push(new TcpPeer(s)))
  }
  static async start(): Promise<TargetServer> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true })
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()))
    return new TargetServer(server)
  }
  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }
  /** The n-th accepted connection (from 0), once it exists. */
  peer(n = 0, timeoutMs = 5000): Promise<TcpPeer> {
    return waitFor(() => this.accepted[n], `target connection #${n}`, { timeoutMs })
  }
  async close() {
    for (const p of this.accepted) p.socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

export function relayOf(gw: TestGateway, id: string): TcpRelayEndpoint {
  return gw.endpoints.get(id) as TcpRelayEndpoint
}
export function pairOf(gw: TestGateway, id: string, connectionId: string): RelayPair {
  return relayOf(gw, id).connections.get(connectionId) as RelayPair
}

type Data = Extract<SocklabEvent, { type: 'data' }>
/** Data events of one pair on one leg and direction. */
export function legData(events: SocklabEvent[], connectionId: string, leg: 'client' | 'target', direction: 'in' | 'out'): Data[] {
  return events.filter((e): e is Data => e.type === 'data' && e.connectionId === connectionId && e.leg === leg && e.direction === direction)
}
export function legBytes(events: SocklabEvent[], connectionId: string, leg: 'client' | 'target', direction: 'in' | 'out'): Buffer {
  return Buffer.concat(legData(events, connectionId, leg, direction).map((e) => Buffer.from(e.data, 'base64')))
}
