/**
 * socklab against the programs people actually write first: small Python 3 socket programs in the style of
 * the classic tutorials (blocking sockets, recv(1024), sendto/recvfrom, input() fed from stdin).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from '../../apps/gateway/test/helper.ts'
import {
  createEndpoint,
  dataBytes,
  eventsOf,
  isData,
  runPython,
  spawnPythonServer,
  stateOf,
  waitFor,
  waitForEvent,
  waitForEvents,
} from '../../apps/gateway/test/peers.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const program = (name: string) => path.join(here, 'python', name)
const HOST = '127.0.0.1'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function endpoint(options: Record<string, unknown>) {
  const ep = await createEndpoint(gw, options)
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep
}

/** Run a Python client to completion; it must exit 0. */
async function python(name: string, port: number, stdin = '') {
  const run = await runPython([program(name), HOST, String(port)], { stdin, timeoutMs: 15_000 })
  if (run.code !== 0) throw new Error(`${name} exited with ${run.code}\n${run.stderr}`)
  return run.stdout.trim().split('\n')
}

describe('Python clients against socklab', () => {
  it('the upper-case client: input() lines sent, upper-cased replies printed', async () => {
    const ep = await endpoint({ kind: 'tcp-server', port: 0, reply: { mode: 'upper' } })
    const out = await python('upper_client.py', ep.local.port, 'hello\nsocket lab\nquit\n')
    expect(out).toEqual(['reply: HELLO', 'reply: SOCKET LAB'])
    const events = await waitForEvents(gw, ep.id, (ev) => (ev.some((e) => e.type === 'connection-state' && e.state === 'closed') ? ev : null), 'the client to leave')
    expect(dataBytes(events, 'in').toString()).toBe('hellosocket lab')
    expect(dataBytes(events, 'out').toString()).toBe('HELLOSOCKET LAB')
  })

  it('the client that reads the greeting first, then talks', async () => {
    const ep = await endpoint({ kind: 'tcp-server', port: 0, greeting: 'Welcome to the socklab server!\r\n', reply: { mode: 'echo' } })
    const out = await python('greeting_client.py', ep.local.port, 'after the greeting\n')
    expect(out).toEqual(['greeting: Welcome to the socklab server!', 'reply: after the greeting'])
    const outs = eventsOf(gw, ep.id).filter(isData('out'))
    expect(outs.map((e) => e.origin)).toEqual(['greeting', 'reply'])
  })

  it('a gbk client: 你好 arrives as gbk bytes, and the fixed reply 已送达 decodes with .decode("gbk")', async () => {
    const ep = await endpoint({ kind: 'tcp-server', port: 0, reply: { mode: 'fixed', text: '已送达' }, encoding: 'gbk' })
    const out = await python('gbk_client.py', ep.local.port)
    expect(out).toEqual(['bytes: d2d1cbcdb4ef', 'reply: 已送达'])
    const events = await waitForEvents(gw, ep.id, (ev) => (ev.some(isData('in')) ? ev : null), 'the gbk bytes')
    expect(dataBytes(events, 'in').toString('hex')).toBe('c4e3bac3')
  })

  it('a UDP client waiting in recvfrom gets the auto-reply from the socklab socket', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0, reply: { mode: 'upper' } })
    const out = await python('udp_client.py', ep.local.port, 'ping\nhow are you\n')
    expect(out).toEqual([`reply from 127.0.0.1:${ep.local.port}: PING`, `reply from 127.0.0.1:${ep.local.port}: HOW ARE YOU`])
    const ins = eventsOf(gw, ep.id).filter(isData('in'))
    expect(ins.map((e) => Buffer.from(e.data, 'base64').toString())).toEqual(['ping', 'how are you'])
    // Both datagrams came from the one Python socket.
    expect(new Set(ins.map((e) => e.peer!.port)).size).toBe(1)
  })

  it('a UDP client gets a fixed reply too', async () => {
    const ep = await endpoint({ kind: 'udp', port: 0, reply: { mode: 'fixed', text: 'got it' } })
    const out = await python('udp_client.py', ep.local.port, 'anything\n')
    expect(out).toEqual([`reply from 127.0.0.1:${ep.local.port}: got it`])
  })
})

describe('socklab clients against Python servers', () => {
  it('the gateway’s tcp-client talks to a thread-per-client echo server; events show the replies', async () => {
    const server = cleanup.add(await spawnPythonServer([program('threaded_server.py'), HOST, '0', 'echo']), (s) => s.stop())
    const ep = await endpoint({ kind: 'tcp-client', host: HOST, port: server.port })
    const id = ep.connections[0].id
    for (const line of ['first line', 'second line']) {
      const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: line, lineEnding: 'lf' })
      expect(res.status).toBe(200)
      await waitForEvents(gw, ep.id, (ev) => dataBytes(ev, 'in', id).toString().includes(`${line}\n`), `echo of ${line}`)
    }
    expect(dataBytes(eventsOf(gw, ep.id), 'in', id).toString()).toBe('first line\nsecond line\n')

    // Closing our side ends the server's recv loop: its thread prints "closed".
    await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'close' })
    await waitFor(() => /closed 127\.0\.0\.1/.test(server.output()), 'the server thread to finish')
  })

  it('one thread per client: a second gateway client is served while the first stays connected', async () => {
    const server = cleanup.add(await spawnPythonServer([program('threaded_server.py'), HOST, '0', 'fixed']), (s) => s.stop())
    const idle = await endpoint({ kind: 'tcp-client', host: HOST, port: server.port, name: 'idle' })
    const busy = await endpoint({ kind: 'tcp-client', host: HOST, port: server.port, name: 'busy' })
    await gw.api('POST', `/api/endpoints/${busy.id}/send`, { data: 'hello?' })
    const reply = await waitForEvent(gw, busy.id, isData('in'), 'the fixed reply')
    expect(Buffer.from((reply as any).data, 'base64').toString()).toBe('thank you !')
    expect(gw.endpoints.get(idle.id).state).toBe('connected')
    await waitFor(() => (server.output().match(/^connected /gm) ?? []).length === 2, 'two server threads')
  })

  it('when the Python server goes away, the gateway client sees the close', async () => {
    const server = await spawnPythonServer([program('threaded_server.py'), HOST, '0', 'echo'])
    const ep = await endpoint({ kind: 'tcp-client', host: HOST, port: server.port })
    const id = ep.connections[0].id
    await server.stop()
    // The kernel closes the dead process's sockets: FIN (or RST) reaches the gateway.
    await waitForEvents(gw, ep.id, (ev) => ev.some(stateOf(id, 'closed')) || ev.some(stateOf(id, 'reset')), 'the connection to end')
    await waitFor(() => gw.endpoints.get(ep.id).state === 'closed', 'endpoint closed')
  })

  it('the gateway’s udp socket sends to a Python UDP server and records its answer with the sender', async () => {
    const server = cleanup.add(await spawnPythonServer([program('udp_server.py'), HOST, '0']), (s) => s.stop())
    const ep = await endpoint({ kind: 'udp', port: 0 })
    const res = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'from socklab', to: { host: HOST, port: server.port } })
    expect(res.status).toBe(200)
    const reply = await waitForEvent(gw, ep.id, isData('in'), 'the answer')
    expect(reply).toMatchObject({ peer: { address: HOST, port: server.port } })
    expect(Buffer.from((reply as any).data, 'base64').toString()).toBe('FROM SOCKLAB')
    await waitFor(() => server.output().includes(`from 127.0.0.1:${ep.local.port}: from socklab`), 'the server log line')
  })
})
