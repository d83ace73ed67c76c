/**
 * A tutorial-style Python client talking through the socklab relay to a tutorial-style Python server:
 * plain forwarding, half-close (shutdown(SHUT_WR)) passed through, what split and coalesce faults do to
 * recv(1024) (拆包 / 粘包), and a target that is down.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { SocklabEvent } from '@socklab/shared'
import { gatewayForFile, type TestGateway } from '../../../apps/gateway/test/helper.ts'
import {
  assertWellFormed,
  closedPort,
  createEndpoint,
  eventsOf,
  runPython,
  spawnPythonServer,
  waitFor,
  waitForEvents,
  type PythonServer,
} from '../../../apps/gateway/test/peers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const program = (name: string) => path.join(here, name)
const HOST = '127.0.0.1'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function pythonServer(): Promise<PythonServer> {
  return cleanup.add(await spawnPythonServer([program('recv_server.py'), HOST, '0']), (s) => s.stop())
}
async function relayTo(port: number, faults?: Record<string, unknown>) {
  const ep = await createEndpoint(gw, { kind: 'tcp-relay', port: 0, target: { host: HOST, port }, ...(faults ? { faults } : {}) })
  cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number } }
}
async function python(name: string, port: number, args: string[] = [], stdin = '') {
  const run = await runPython([program(name), HOST, String(port), ...args], { stdin, timeoutMs: 15_000 })
  if (run.code !== 0) throw new Error(`${name} exited with ${run.code}\n${run.stderr}`)
  return run.stdout.trim().split('\n')
}
/** The server's `recv N text` lines, once it printed `closed`. */
async function serverRecvs(server: PythonServer) {
  await waitFor(() => /^closed /m.test(server.output()), 'the Python server to see the client leave', { timeoutMs: 10_000 })
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('recv '))
    .map((l) => l.split(' ').slice(2).join(' '))
}
type Data = Extract<SocklabEvent, { type: 'data' }>
const leg = (events: SocklabEvent[], l: 'client' | 'target', d: 'in' | 'out') =>
  events.filter((e): e is Data => e.type === 'data' && e.leg === l && e.direction === d).map((e) => Buffer.from(e.data, 'base64').toString())

describe('Python client → socklab relay → Python server', () => {
  it('relays a chat both ways and records the conversation', async () => {
    const server = await pythonServer()
    const relay = await relayTo(server.port)
    const out = await python('chat_client.py', relay.local.port, [], 'hello\nsocket lab\n')
    expect(out).toEqual(['reply: HELLO', 'reply: SOCKET LAB'])
    const events = await waitForEvents(gw, relay.id, (ev) => (ev.some((e) => e.type === 'connection-state' && (e.state === 'closed' || e.state === 'reset')) ? ev : null), 'pair closed')
    assertWellFormed(events)
    expect(leg(events, 'client', 'in').join('')).toBe('hellosocket lab')
    expect(leg(events, 'target', 'in').join('')).toContain('HELLOSOCKET LAB')
  })

  it('passes shutdown(SHUT_WR) through: the server reads b"" and still answers', async () => {
    const server = await pythonServer()
    const relay = await relayTo(server.port)
    const out = await python('burst_client.py', relay.local.port, ['upload-part-1;', 'upload-part-2;'])
    expect(out).toEqual(['received: UPLOAD-PART-1;UPLOAD-PART-2;done: 28 bytes|'])
    expect((await serverRecvs(server)).join('')).toBe('upload-part-1;upload-part-2;')
    const notes = eventsOf(gw, relay.id).filter((e) => e.type === 'note').map((e: any) => e.text)
    expect(notes.some((t) => t.startsWith('client sent FIN; passed to the target'))).toBe(true)
  })

  it('splitBytes: one send() reaches the server as several recv() results (拆包)', async () => {
    const server = await pythonServer()
    const relay = await relayTo(server.port, { toTarget: { splitBytes: 5, splitGapMs: 150 } })
    const out = await python('burst_client.py', relay.local.port, ['HELLO-WORLD!'])
    expect(out).toEqual(['received: HELLO-WORLD!done: 12 bytes|'])
    // The relay wrote three pieces 150 ms apart; a busy server may still read two of them at once,
    // but never one piece split or the message whole.
    expect(leg(eventsOf(gw, relay.id), 'target', 'out')).toEqual(['HELLO', '-WORL', 'D!'])
    const recvs = await serverRecvs(server)
    expect(recvs.join('')).toBe('HELLO-WORLD!')
    expect(recvs.length).toBeGreaterThanOrEqual(2)
    for (const r of recvs.slice(0, -1)) expect(r.length % 5).toBe(0)
  })

  it('coalesceMs: three send() calls reach the server as one recv() (粘包)', async () => {
    const server = await pythonServer()
    const relay = await relayTo(server.port, { toTarget: { coalesceMs: 400 } })
    const out = await python('burst_client.py', relay.local.port, ['msg1;', 'msg2;', 'msg3;'])
    expect(out).toEqual(['received: MSG1;MSG2;MSG3;done: 15 bytes|'])
    expect(await serverRecvs(server)).toEqual(['msg1;msg2;msg3;'])
    // The relay read the sends as they came (two may already arrive together) and wrote them as one.
    const events = eventsOf(gw, relay.id)
    expect(leg(events, 'client', 'in').join('')).toBe('msg1;msg2;msg3;')
    expect(leg(events, 'target', 'out')).toEqual(['msg1;msg2;msg3;'])
  })

  it('target down: the Python client sees the server close, the relay says why', async () => {
    const relay = await relayTo(await closedPort())
    const out = await python('chat_client.py', relay.local.port, [], 'anyone there?\n')
    expect(out).toEqual(['server closed the connection'])
    const events = await waitForEvents(gw, relay.id, (ev) => ev.find((e) => e.type === 'connection-state' && e.state === 'closed'), 'pair closed')
    expect((events as any).reason.code).toBe('ECONNREFUSED')
  })
})
