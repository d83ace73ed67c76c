import net from 'node:net'
import { describe, expect, it } from 'vitest'
import type { SocklabEvent } from '@socklab/shared'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { connectionIdOf, createEndpoint, stateOf, TcpPeer, waitForEvent } from './peers.ts'
import { TargetServer } from './relay-peers.ts'

/*
 * Notes and faults carry `say` (a key of the shared notes table + params) for the panel to translate,
 * next to the English `text` scripts and the disk log read. The texts are written out here in full:
 * they must stay exactly what they were before `say` existed.
 */

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

type Said = Extract<SocklabEvent, { type: 'note' | 'fault' }>
const said = (endpointId: string, key: string, what = key) =>
  waitForEvent<Said>(gw, endpointId, (e) => (e.type === 'note' || e.type === 'fault') && e.say?.key === key, what)

describe('gateway-written texts: key + params next to the same English text', () => {
  it('relay: connected note, fault descriptions, FIN passed on, a cut, over REST too', async () => {
    const t = cleanup.add(await TargetServer.start(), (x) => x.close())
    const r = await createEndpoint(gw, {
      kind: 'tcp-relay',
      port: 0,
      target: { host: '127.0.0.1', port: t.port },
      faults: { toTarget: { latencyMs: 300 }, toClient: { bytesPerSecond: 20_000, splitBytes: 7 } },
    })
    cleanup.add(r.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const c = cleanup.add(await TcpPeer.connect(r.local.port, { allowHalfOpen: true }), (p) => p.destroy())
    const id = await connectionIdOf(gw, r.id, c)
    const s = await t.peer(0)
    await waitForEvent(gw, r.id, stateOf(id, 'open'), 'pair open')

    const connected = await said(r.id, 'relay.connected')
    const localPort = s.socket.remotePort!
    expect(connected).toMatchObject({ connectionId: id, say: { params: { target: `127.0.0.1:${t.port}`, localPort } } })
    expect(connected.text).toBe(`connected to the target 127.0.0.1:${t.port} from local port ${localPort}`)

    expect(await said(r.id, 'relay.latency')).toMatchObject({
      type: 'fault',
      fault: 'latency',
      way: 'toTarget',
      text: 'client→target: every chunk held 300 ms',
      say: { key: 'relay.latency', params: { way: 'toTarget', ms: 300 } },
    })
    expect(await said(r.id, 'relay.bandwidth')).toMatchObject({
      text: 'target→client: limited to 19.5 KiB/s',
      say: { params: { way: 'toClient', rate: '19.5 KiB/s' } },
    })
    expect(await said(r.id, 'relay.split')).toMatchObject({
      text: 'target→client: writes split into 7-byte pieces, 5 ms apart (拆包)',
      say: { params: { way: 'toClient', bytes: 7, gapMs: 5 } },
    })

    c.end()
    const fin = await said(r.id, 'relay.clientFin')
    expect(fin).toMatchObject({ type: 'note', connectionId: id, text: 'client sent FIN; passed to the target (target→client keeps flowing)' })
    expect(fin.say?.params).toBeUndefined()

    expect((await gw.api('POST', `/api/endpoints/${r.id}/connections/${id}/cut`, { side: 'client', how: 'fin' })).status).toBe(200)
    expect(await said(r.id, 'relay.cutFin')).toMatchObject({
      fault: 'fin',
      side: 'client',
      text: 'FIN sent to the client; target→client bytes are dropped from now on',
      say: { params: { side: 'client', way: 'toClient' } },
    })

    // The REST history (schema-serialized) carries `say` as well.
    const rest = (await gw.api('GET', `/api/endpoints/${r.id}/events`)).body as { events: SocklabEvent[] }
    const cut = rest.events.find((e) => e.type === 'fault' && e.fault === 'fin')
    expect(cut).toMatchObject({ text: 'FIN sent to the client; target→client bytes are dropped from now on', say: { key: 'relay.cutFin' } })
  })

  it('relay: refused over the connection limit, and stop listening', async () => {
    const t = cleanup.add(await TargetServer.start(), (x) => x.close())
    const r = await createEndpoint(gw, { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: t.port }, maxConnections: 1 })
    cleanup.add(r.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const a = cleanup.add(await TcpPeer.connect(r.local.port), (p) => p.destroy())
    await connectionIdOf(gw, r.id, a)
    // Reset at once (maybe before the connect completes here): the refused client's address is read from the params.
    const b = cleanup.add(net.connect(r.local.port, '127.0.0.1'), (s) => s.destroy())
    b.on('error', () => {})
    const refused = await said(r.id, 'relay.refusedAtLimit')
    const peer = String(refused.say?.params?.peer)
    expect(peer).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(refused).toMatchObject({ fault: 'refuse', text: `RST sent to ${peer}: already 1 pairs open (limit 1)`, say: { params: { peer, open: 1, limit: 1 } } })

    await gw.api('POST', `/api/endpoints/${r.id}/actions`, { action: 'stop-listening' })
    expect((await said(r.id, 'relay.stopped')).text).toBe('stopped listening; live pairs keep relaying')
  })

  it('tcp server: refusal over the limit, idle close, stop listening', async () => {
    const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, maxConnections: 1, idleTimeoutMs: 400 })
    cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const a = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    const id = await connectionIdOf(gw, ep.id, a)
    const b = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    const peer = `127.0.0.1:${b.socket.localPort}`
    await b.closed
    expect(await said(ep.id, 'server.refused')).toMatchObject({
      text: `refused ${peer}: already 1 connections (limit 1); 1 refused so far`,
      say: { params: { peer, open: 1, limit: 1, refused: 1 } },
    })

    await a.closed
    expect(await said(ep.id, 'server.idleClosed')).toMatchObject({ connectionId: id, text: `closed ${id}: idle for 400 ms`, say: { params: { conn: id, ms: 400 } } })

    await gw.api('POST', `/api/endpoints/${ep.id}/actions`, { action: 'stop-listening' })
    expect(await said(ep.id, 'server.stopped')).toMatchObject({ text: 'stopped listening; connected clients keep talking', say: { key: 'server.stopped' } })
  })

  it('http server: its start note, and a request that is not HTTP (note and logged reason from one template)', async () => {
    const ep = await createEndpoint(gw, { kind: 'http-static', port: 0, fixed: { status: 200, body: 'hi' } })
    cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    expect(await said(ep.id, 'http.fixed')).toMatchObject({ text: 'answering every request with a fixed 200 response', say: { params: { status: 200 } } })

    const raw = cleanup.add(net.connect(ep.local.port, '127.0.0.1'), (s) => s.destroy())
    raw.on('error', () => {})
    raw.write('HELLO SERVER\x00\x01\r\n\r\n')
    const note = await said(ep.id, 'http.badRequest')
    const { error, conn } = note.say!.params as { error: string; conn: string }
    expect(error.length).toBeGreaterThan(0)
    expect(note).toMatchObject({ connectionId: conn, text: `400 Bad Request: not valid HTTP: ${error}; closing ${conn}`, say: { params: { status: 400, statusText: 'Bad Request' } } })
    const logged = await waitForEvent<any>(gw, ep.id, (e) => e.type === 'http-request' && e.status === 400, '400 logged')
    expect(logged.reason).toBe(`not valid HTTP: ${error}`)
  })
})
