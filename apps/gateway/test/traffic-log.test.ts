/** Traffic logs to disk: real sockets, real files, read back through the download route. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import iconv from 'iconv-lite'
import { afterAll, describe, expect, it } from 'vitest'
import { EventHub } from '../src/events/event-hub.ts'
import { TrafficLogger, type LogSubject } from '../src/events/traffic-log.ts'
import { gatewayForFile, startGateway, type TestGateway } from './helper.ts'
import { assertWellFormed, Cleanup, closedPort, connectionIdOf, createEndpoint, eventsOf, isData, stateOf, TcpPeer, UdpPeer, waitForEvent, waitForEvents } from './peers.ts'
import { TargetServer } from './relay-peers.ts'
import { SEP, tutorialUpload, waitForTransferEnd } from './transfer-peers.ts'
import { Client } from '../../../test/security/classroom-clients.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

/** Every line after the header starts with local ISO time (ms, offset) and who it is about. */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (c\d+|e\d+) (<-|->|--|!!) /
const FILE_NAME = /^e\d+-[a-z-]+-\d+-\d{8}-\d{6}(-\d+)?\.log$/

async function server(g: TestGateway, options: Record<string, unknown> = {}, c = cleanup) {
  const ep = await createEndpoint(g, { kind: 'tcp-server', port: 0, ...options })
  c.add(ep.id, (id) => g.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number }; log?: { state: string; file: string } }
}

/** GET /log: status, headers and the text. */
async function download(g: TestGateway, id: string) {
  const res = await fetch(`${g.url}/api/endpoints/${id}/log`)
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), length: res.headers.get('content-length'), text: await res.text() }
}

const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'))
const action = (g: TestGateway, id: string, body: unknown) => g.api('POST', `/api/endpoints/${id}/actions`, body)

describe('traffic log', () => {
  it('logs a TCP server from its creation: accept, text and binary both ways as text and hex, half-close, close', async () => {
    const ep = await server(gw, { log: true, reply: { mode: 'echo' }, name: 'logged\necho' })
    expect(ep.log).toMatchObject({ state: 'on', dropped: 0, file: expect.stringMatching(FILE_NAME) })
    expect(ep.log!.file).toContain(`${ep.id}-tcp-server-${ep.local.port}-`)

    const peer = cleanup.add(await TcpPeer.connect(ep.local.port, { allowHalfOpen: true }), (p) => p.destroy())
    const cid = await connectionIdOf(gw, ep.id, peer)
    const me = `127.0.0.1:${peer.socket.localPort}`
    await peer.write('hello\r\n')
    await peer.waitForText('hello\r\n')
    const binary = Buffer.from([0x00, 0xff, 0x1b, 0x0a, 0x41, 0x22, 0x5c, 0x7f, 0x9b])
    await peer.write(binary)
    await peer.waitForBytes(7 + binary.length)
    peer.end()
    await peer.ended
    await waitForEvent(gw, ep.id, stateOf(cid, 'closed'), 'the connection to close')

    const got = await download(gw, ep.id)
    expect(got.status).toBe(200)
    expect(got.type).toBe('text/plain; charset=utf-8')
    expect(got.disposition).toContain(`filename="${ep.log!.file}"`)
    expect(Number(got.length)).toBe(Buffer.byteLength(got.text))
    // The file itself is in the data folder's logs/.
    expect(await fs.readFile(path.join(gw.dataDir, 'logs', ep.log!.file), 'utf8')).toBe(got.text)

    // A name with a line break stays on the header's one line.
    expect(got.text.split('\n')[0]).toBe(`# socklab traffic log of ${ep.id} (tcp-server "logged\\necho") on 127.0.0.1:${ep.local.port}; state listening; text shown as utf-8`)
    const body = lines(got.text)
    for (const l of body) expect(l, l).toMatch(LINE)
    // Nothing but the line ends is a control character: escapes keep each event on its line.
    expect(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(got.text)).toBe(false)

    const rest = body.map((l) => l.replace(/^\S+ /, ''))
    const expected = [
      `${ep.id} -- listening on 127.0.0.1:${ep.local.port}`,
      `${cid} -- ${me} accepted on 127.0.0.1:${ep.local.port}`,
      `${cid} <- ${me} 7 bytes "hello\\r\\n" | 68 65 6c 6c 6f 0d 0a`,
      `${cid} -> ${me} 7 bytes (reply) "hello\\r\\n" | 68 65 6c 6c 6f 0d 0a`,
      // 0xff is no utf-8: the text shows U+FFFD, the hex the truth; 0x9b (a C1 control in latin1) too.
      `${cid} <- ${me} 9 bytes "\\x00\ufffd\\x1b\\nA\\"\\\\\\x7f\ufffd" | 00 ff 1b 0a 41 22 5c 7f 9b`,
      `${cid} -> ${me} 9 bytes (reply) "\\x00\ufffd\\x1b\\nA\\"\\\\\\x7f\ufffd" | 00 ff 1b 0a 41 22 5c 7f 9b`,
      `${cid} -- half-close: ${me} sent FIN (it sends nothing more)`,
      `${cid} -- closed ${me}`,
    ]
    expect(rest).toEqual(expected)

    // The endpoint's info counts what the file holds.
    const info = (await gw.api('GET', `/api/endpoints/${ep.id}`)).body.log
    expect(info).toMatchObject({ state: 'on', file: ep.log!.file, events: expected.length, dropped: 0, bytes: Buffer.byteLength(got.text) })
  })

  it('shows text in the endpoint\'s encoding (gbk) and logs UDP datagrams with their sender', async () => {
    const tcp = await server(gw, { log: true, encoding: 'gbk' })
    const peer = cleanup.add(await TcpPeer.connect(tcp.local.port), (p) => p.destroy())
    await peer.write(iconv.encode('你好', 'gbk'))
    await waitForEvent(gw, tcp.id, isData('in'), 'gbk bytes in')
    expect((await download(gw, tcp.id)).text).toMatch(/<- 127\.0\.0\.1:\d+ 4 bytes "你好" \| c4 e3 ba c3\n/)

    const udp = await createEndpoint(gw, { kind: 'udp', port: 0, log: true, reply: { mode: 'upper' } })
    cleanup.add(udp.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const u = cleanup.add(await UdpPeer.bind(), (p) => p.close())
    await u.send('ping', udp.local.port)
    expect((await u.next()).msg.toString()).toBe('PING')
    await waitForEvent(gw, udp.id, isData('out'), 'reply datagram')
    const rest = lines((await download(gw, udp.id)).text).map((l) => l.replace(/^\S+ /, ''))
    expect(rest).toEqual([
      `${udp.id} -- bound to 127.0.0.1:${udp.local.port}`,
      `${udp.id} <- 127.0.0.1:${u.port} 4 bytes "ping" | 70 69 6e 67`,
      `${udp.id} -> 127.0.0.1:${u.port} 4 bytes (reply) "PING" | 50 49 4e 47`,
    ])
  })

  it('says which relay leg bytes went over and which faults hit; a file transfer gets its start and end', async () => {
    const target = cleanup.add(await TargetServer.start(), (t) => t.close())
    const relay = await createEndpoint(gw, { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: target.port }, log: true, faults: { toTarget: { latencyMs: 30 } } })
    cleanup.add(relay.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const c = cleanup.add(await TcpPeer.connect(relay.local.port), (p) => p.destroy())
    const s = await target.peer(0)
    await c.write('ping')
    await s.waitForText('ping')
    const cid = await connectionIdOf(gw, relay.id, c)
    await waitForEvent(gw, relay.id, (e) => isData('out')(e) && e.leg === 'target', 'bytes written to the target')
    const relayLog = lines((await download(gw, relay.id)).text).map((l) => l.replace(/^\S+ /, ''))
    const client = `127.0.0.1:${c.socket.localPort}`
    expect(relayLog).toContain(`${cid} -- ${client} accepted on 127.0.0.1:${relay.local.port}, connecting to the target 127.0.0.1:${target.port}`)
    expect(relayLog).toContain(`${cid} -- relaying ${client} ⇄ 127.0.0.1:${target.port}`)
    expect(relayLog.some((l) => /^c\d+ -- fault latency: /.test(l) && l.startsWith(cid))).toBe(true)
    expect(relayLog).toContain(`${cid} <- ${client} client 4 bytes "ping" | 70 69 6e 67`)
    expect(relayLog.find((l) => l.startsWith(`${cid} -> 127.0.0.1:${target.port} target 4 bytes`))).toMatch(/"ping" \| 70 69 6e 67$/)

    const upload = await createEndpoint(gw, { kind: 'upload-server', port: 0, log: true, folder: 'logged-uploads' })
    cleanup.add(upload.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    await tutorialUpload(upload.local.port, `a.txt${SEP}5`, Buffer.from('hello'))
    await waitForTransferEnd(gw, upload.id)
    const uploadLog = (await download(gw, upload.id)).text
    expect(uploadLog).toMatch(/ c\d+ -- transfer t\d+ upload "a\.txt" \(server side\) started, 5 bytes announced\n/)
    expect(uploadLog).toMatch(/ c\d+ -- transfer t\d+ upload "a\.txt" \(server side\) done: 5 of 5 bytes → logged-uploads\/\[接收\]a\.txt, sha256 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n/)
  })

  it('turns on and off while running: each "on" is a new file; off ends it with a line; bad bodies are refused', async () => {
    const ep = await server(gw, { reply: { mode: 'echo' } })
    const none = await gw.api('GET', `/api/endpoints/${ep.id}/log`)
    expect([none.status, none.body.error.code]).toEqual([404, 'ENOLOG'])
    expect(none.body.error.message).toContain('turn "Log to disk" on')
    expect((await gw.api('GET', '/api/endpoints/e9999/log')).status).toBe(404)

    const missing = await action(gw, ep.id, { action: 'log' })
    expect([missing.status, missing.body.error.field]).toEqual([400, 'on'])
    const stray = await action(gw, ep.id, { action: 'stop-listening', on: true })
    expect([stray.status, stray.body.error.field]).toEqual([400, 'on'])
    expect((await action(gw, ep.id, { action: 'log', on: 'yes' })).status).toBe(400)
    expect((await action(gw, ep.id, { action: 'log', on: false })).status).toBe(200) // off when off: nothing to do
    expect((await gw.api('GET', `/api/endpoints/${ep.id}`)).body.log).toBeUndefined()

    const peer = cleanup.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    const say = async (text: string) => {
      peer.clear()
      await peer.write(text)
      await peer.waitForText(text)
      await waitForEvents(gw, ep.id, (ev) => ev.some((e) => isData('out')(e) && Buffer.from(e.data, 'base64').toString() === text), `${text} echoed`)
    }
    await say('before')
    const on = await action(gw, ep.id, { action: 'log', on: true })
    expect(on.body.log).toMatchObject({ state: 'on', events: 0 })
    const first = on.body.log.file as string
    // Viewers hear it too: a snapshot with the log's state.
    await waitForEvent(gw, ep.id, (e) => e.type === 'endpoint' && e.endpoint.log?.file === first, 'snapshot with the log')
    expect((await action(gw, ep.id, { action: 'log', on: true })).body.log.file).toBe(first) // on when on: same file
    await say('one')
    const off = await action(gw, ep.id, { action: 'log', on: false })
    expect(off.body.log).toMatchObject({ state: 'off', file: first, events: 2 })
    await say('two')
    const again = await action(gw, ep.id, { action: 'log', on: true })
    const second = again.body.log.file as string
    expect(second).not.toBe(first)
    expect(second).toMatch(FILE_NAME)
    await say('three')

    const firstText = await fs.readFile(path.join(gw.dataDir, 'logs', first), 'utf8')
    expect(firstText).toMatch(/# .*state listening/)
    expect(firstText).toContain('"one"')
    expect(firstText).not.toContain('before')
    expect(firstText).not.toContain('two')
    expect(lines(firstText).at(-1)).toMatch(new RegExp(`${ep.id} -- logging turned off$`))
    expect(off.body.log.bytes).toBe(Buffer.byteLength(firstText))

    const now = await download(gw, ep.id)
    expect(now.disposition).toContain(second)
    expect(now.text).toContain('"three"')
    expect(now.text).not.toContain('"two"')
    expect(now.text).not.toContain('"one"')
    // Snapshots carrying the log's state keep to the shared event schema.
    assertWellFormed(eventsOf(gw, ep.id))
  })

  it('closes the file, complete, when the endpoint is removed', async () => {
    const ep = await server(gw, { log: true, reply: { mode: 'echo' } })
    const peer = await TcpPeer.connect(ep.local.port)
    await peer.write('bye')
    await peer.waitForText('bye')
    const file = path.join(gw.dataDir, 'logs', ep.log!.file)
    expect((await gw.api('DELETE', `/api/endpoints/${ep.id}`)).status).toBe(204)
    await peer.closed
    const text = await fs.readFile(file, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    const rest = lines(text).map((l) => l.replace(/^\S+ /, ''))
    expect(rest).toContain(`${ep.id} -- closed`)
    expect(rest.at(-1)).toBe(`${ep.id} -- stopped and removed`)
    expect(rest.filter((l) => l.includes('"bye"'))).toHaveLength(2)
  })
})

describe('traffic log limits', () => {
  const mine = new Cleanup()
  const gateways: TestGateway[] = []
  afterAll(async () => {
    await mine.run()
    for (const g of gateways) await g.close()
  })

  it('stops at the size cap, says so in the file and in the state; the file stays under the cap', async () => {
    const g = await startGateway({ trafficLogMaxBytes: 2048 })
    gateways.push(g)
    const ep = await server(g, { log: true, reply: { mode: 'echo' } }, mine)
    const peer = mine.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    for (let i = 0; i < 20; i++) {
      peer.clear()
      const chunk = `chunk ${String(i).padStart(2, '0')}`
      await peer.write(chunk)
      await peer.waitForText(chunk)
    }
    const full = await waitForEvent(g, ep.id, (e) => e.type === 'endpoint' && e.endpoint.log?.state === 'full', 'the log to say it is full')
    const log = (full as any).endpoint.log
    const got = await download(g, ep.id)
    expect(got.status).toBe(200)
    const size = Buffer.byteLength(got.text)
    expect(size).toBeLessThanOrEqual(2048)
    expect(log).toMatchObject({ state: 'full', maxBytes: 2048, bytes: size })
    expect(lines(got.text).at(-1)).toMatch(/!! log stopped: it reached its size cap of 2048 bytes \(SOCKLAB_TRAFFIC_LOG_MAX_BYTES\); later traffic is not in this file$/)
    expect(got.text).toContain('"chunk 00"')
    expect(got.text).not.toContain('"chunk 19"')
    // Full is not on: turning it on again starts a fresh file.
    const again = await action(g, ep.id, { action: 'log', on: true })
    expect(again.body.log).toMatchObject({ state: 'on', events: 0 })
    expect(again.body.log.file).not.toBe(log.file)
  })

  it('writes a LOST line and counts what the history evicted before the logger got to it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-log-'))
    mine.add(dir, (d) => fs.rm(d, { recursive: true, force: true }))
    const hub = new EventHub({ maxEvents: 100, maxBytes: 1024 * 1024 })
    const subject: LogSubject = { id: 'e1', kind: 'udp', options: { port: 5000 }, state: 'bound', local: { address: '127.0.0.1', port: 5000 }, connections: new Map() }
    const logger = await TrafficLogger.open(subject, hub, { dir, maxBytes: 1024 * 1024 }, 0, () => {})
    // 300 datagrams at once: the ring keeps the last 100 before the logger's first pull.
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(`d${i}`)
      hub.append({ type: 'data', endpointId: 'e1', direction: 'in', peer: { address: '127.0.0.1', port: 6000 }, size: bytes.length, total: 0, bytes } as never)
    }
    await logger.flush()
    expect(logger.info()).toMatchObject({ state: 'on', dropped: 200, events: 100 })
    await logger.close()
    const text = await fs.readFile(path.join(dir, logger.file), 'utf8')
    const body = lines(text)
    expect(body[0]).toMatch(/e1 !! LOST: the log fell behind and the history dropped 200 events \(seq 1–200, of every endpoint\) before they were written$/)
    expect(body[1]).toMatch(/e1 <- 127\.0\.0\.1:6000 4 bytes "d200" \| 64 32 30 30$/)
    expect(body).toHaveLength(101)
  })

  it('says why when no log file can be made: nothing is left running at creation, a running endpoint keeps running', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-log-'))
    await fs.writeFile(path.join(dataDir, 'logs'), 'a file where the logs folder should be')
    const g = await startGateway({ dataDir })
    try {
      const port = await closedPort()
      const res = await g.api('POST', '/api/endpoints', { kind: 'tcp-server', port, log: true })
      expect([res.status, res.body.error.code]).toEqual([409, 'ENOTDIR'])
      expect(res.body.error.message).toContain('"logs" in the data folder is not a folder')
      expect((await g.api('GET', '/api/endpoints')).body).toEqual([])
      // The port was let go: the same port again, without a log, starts.
      const ep = await createEndpoint(g, { kind: 'tcp-server', port })
      const on = await action(g, ep.id, { action: 'log', on: true })
      expect([on.status, on.body.error.code]).toEqual([409, 'ENOTDIR'])
      const after = (await g.api('GET', `/api/endpoints/${ep.id}`)).body
      expect(after.state).toBe('listening')
      expect(after.log).toBeUndefined()
    } finally {
      await g.close()
      await fs.rm(dataDir, { recursive: true, force: true })
    }
  })

  it('flushes and closes every log when the gateway shuts down', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-log-'))
    mine.add(dataDir, (d) => fs.rm(d, { recursive: true, force: true }))
    const g = await startGateway({ dataDir })
    const ep = await createEndpoint(g, { kind: 'tcp-server', port: 0, log: true, reply: { mode: 'echo' } })
    const peer = mine.add(await TcpPeer.connect(ep.local.port), (p) => p.destroy())
    await peer.write('last words')
    await peer.waitForText('last words')
    await g.close()
    const text = await fs.readFile(path.join(dataDir, 'logs', ep.log.file), 'utf8')
    const rest = lines(text).map((l) => l.replace(/^\S+ /, ''))
    expect(rest.filter((l) => l.includes('"last words"'))).toHaveLength(2)
    expect(rest.at(-1)).toBe(`${ep.id} -- stopped and removed`)
  })
})

describe('traffic log permissions', () => {
  const TOKEN = 'log-token-7f3a'
  const CODE = 'LOGS-TEST'
  const mine = new Cleanup()
  let g: TestGateway | undefined
  afterAll(async () => {
    await mine.run()
    await g?.close()
  })

  it('whoever may see the endpoint may download its log; only who controls it may turn logging on or off', async () => {
    g = await startGateway({ auth: true, token: TOKEN, classCode: CODE, commandsPerSecond: 1000 })
    const teacher = await Client.instructor(g.url, TOKEN)
    const ann = await Client.join(g.url, CODE, 'ann')
    const bob = await Client.join(g.url, CODE, 'bob')
    const olga = await Client.join(g.url, CODE, 'olga', 'observer')
    const created = await ann.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: 0, log: true })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    mine.add(id, (x) => teacher.api('DELETE', `/api/endpoints/${x}`))

    expect((await ann.api('GET', `/api/endpoints/${id}/log`)).status).toBe(200)
    expect((await teacher.api('GET', `/api/endpoints/${id}/log`)).status).toBe(200)
    for (const who of [bob, olga]) {
      const res = await who.api('GET', `/api/endpoints/${id}/log`)
      expect([res.status, res.body.error.code]).toEqual([403, 'EFORBIDDEN'])
      expect((await who.api('POST', `/api/endpoints/${id}/actions`, { action: 'log', on: false })).status).toBe(403)
    }
    await teacher.api('POST', `/api/endpoints/${id}/share`, { shared: true })
    // Shared: the class may read the log, still not switch it.
    expect((await olga.api('GET', `/api/endpoints/${id}/log`)).status).toBe(200)
    expect((await bob.api('GET', `/api/endpoints/${id}/log`)).status).toBe(200)
    expect((await olga.api('POST', `/api/endpoints/${id}/actions`, { action: 'log', on: false })).status).toBe(403)
    expect((await bob.api('POST', `/api/endpoints/${id}/actions`, { action: 'log', on: false })).status).toBe(403)
    expect((await ann.api('GET', `/api/endpoints/${id}`)).body.log.state).toBe('on')
    const off = await ann.api('POST', `/api/endpoints/${id}/actions`, { action: 'log', on: false })
    expect([off.status, off.body.log.state]).toEqual([200, 'off'])
    const audit = (await teacher.api('GET', '/api/audit?limit=5000')).body.entries
    expect(audit.find((x: any) => x.action === 'endpoint.action' && x.target === id && x.outcome === 'ok')).toMatchObject({ detail: 'log off' })
  })
})
