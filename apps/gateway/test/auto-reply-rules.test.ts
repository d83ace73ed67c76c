import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { checksumBytes, REPLY_ANSWER_MAX_BYTES, REPLY_RULES_MAX, type SocklabEvent } from '@socklab/shared'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { connectionIdOf, createEndpoint, eventsOf, isData, stateOf, TcpPeer, UdpPeer, waitForEvent, waitForEvents } from './peers.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

type Ep = { id: string; local: { address: string; port: number } }

async function server(reply: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<Ep> {
  const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, reply: { mode: 'rules', ...reply }, ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep
}
async function client(port: number) {
  return cleanup.add(await TcpPeer.connect(port, { allowHalfOpen: true }), (p) => p.destroy())
}

const outs = (endpointId: string) => eventsOf(gw, endpointId).filter(isData('out'))
const bytesOf = (e: Extract<SocklabEvent, { type: 'data' }>) => Buffer.from(e.data, 'base64')

/**
 * Send one chunk and wait until the gateway has read it (alone: the next chunk is written only after this one
 * was read, so TCP cannot merge them). The answer, if any, is written in the same tick as the read is recorded:
 * returns the auto-reply bytes written for this chunk, or null when it was answered with nothing.
 */
async function exchange(ep: Ep, peer: TcpPeer, data: string | Buffer): Promise<Buffer | null> {
  const insBefore = eventsOf(gw, ep.id).filter(isData('in')).length
  const outsBefore = outs(ep.id).length
  await peer.write(data)
  await waitForEvents(gw, ep.id, (ev) => ev.filter(isData('in')).length > insBefore, 'the chunk read by the gateway')
  const answers = outs(ep.id).slice(outsBefore)
  if (answers.length === 0) return null
  expect(answers.map((e) => e.origin)).toEqual(answers.map(() => 'reply'))
  return Buffer.concat(answers.map(bytesOf))
}

async function rejected(reply: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const res = await gw.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, ...options, reply: { mode: 'rules', ...reply } })
  expect(res.status, JSON.stringify(res.body)).toBe(400)
  return res.body.error as { code: string; message: string; field?: string }
}

describe('auto-reply rules', () => {
  it('equals, starts and contains each test one read; the client gets exactly the answer, recorded as origin reply', async () => {
    const ep = await server({
      rules: [
        { match: 'PING', how: 'equals', answer: 'PONG' },
        { match: 'GET ', how: 'starts', answer: 'OK\r\n' },
        { match: 'temp', answer: '23.5' }, // how: contains (the default)
      ],
    })
    const peer = await client(ep.local.port)

    expect((await exchange(ep, peer, 'PING'))?.toString()).toBe('PONG')
    // Not equal (the line ending is part of the read), and nothing else matches: otherwise none, nothing sent.
    expect(await exchange(ep, peer, 'PING\r\n')).toBeNull()
    expect((await exchange(ep, peer, 'GET /status'))?.toString()).toBe('OK\r\n')
    // "GET " elsewhere than at the start does not match starts.
    expect(await exchange(ep, peer, 'please GET ')).toBeNull()
    expect((await exchange(ep, peer, 'read temp now'))?.toString()).toBe('23.5')
    // Shorter than the pattern: starts must not read past the chunk.
    expect(await exchange(ep, peer, 'GE')).toBeNull()

    // The client received the answers, in order, and nothing for the chunks no rule matched.
    await peer.waitForBytes(12)
    expect(peer.text()).toBe('PONGOK\r\n23.5')
  })

  it('matches and answers in hex, with a checksum on the answer (Modbus-style)', async () => {
    const ep = await server({
      rules: [
        { match: '01 03', matchFormat: 'hex', how: 'starts', answer: '01 03 02 00 64', answerFormat: 'hex', checksum: 'crc16-modbus' },
        { match: '0xff,0xfe', matchFormat: 'hex', answer: 'bad', answerFormat: 'text' },
      ],
    })
    const peer = await client(ep.local.port)
    const expected = Buffer.concat([Buffer.from('0103020064', 'hex'), checksumBytes('crc16-modbus', Buffer.from('0103020064', 'hex'))])
    expect((await exchange(ep, peer, Buffer.from('010300000001840a', 'hex')))?.toString('hex')).toBe(expected.toString('hex'))
    // Text "01 03" is other bytes: a hex rule does not match its spelling.
    expect(await exchange(ep, peer, '01 03 00 00')).toBeNull()
    expect((await exchange(ep, peer, Buffer.from('00fffe00', 'hex')))?.toString()).toBe('bad')
    await peer.waitForBytes(expected.length + 3)
    expect(peer.received.toString('hex')).toBe(expected.toString('hex') + Buffer.from('bad').toString('hex'))
  })

  it('text rules use the endpoint encoding: gbk 你好 matches gbk bytes (not utf-8 ones) and answers 已送达 in gbk', async () => {
    const ep = await server({ rules: [{ match: '你好', answer: '已送达' }] }, { encoding: 'gbk' })
    const peer = await client(ep.local.port)
    expect((await exchange(ep, peer, Buffer.from('c4e3bac3', 'hex')))?.toString('hex')).toBe(iconv.encode('已送达', 'gbk').toString('hex'))
    expect(await exchange(ep, peer, Buffer.from('你好', 'utf8'))).toBeNull()
    await peer.waitForBytes(6)
    expect(peer.received.toString('hex')).toBe('d2d1cbcdb4ef')
  })

  it('the first matching rule wins; an empty answer answers nothing and stops the search', async () => {
    const ep = await server({
      rules: [
        { match: 'AB', answer: 'first' },
        { match: 'ABC', answer: 'second' },
        { match: 'quiet', answer: '' },
      ],
      otherwise: 'echo',
    })
    const peer = await client(ep.local.port)
    expect((await exchange(ep, peer, 'ABC'))?.toString()).toBe('first')
    expect(await exchange(ep, peer, 'be quiet')).toBeNull()
    expect((await exchange(ep, peer, 'other'))?.toString()).toBe('other')
    await peer.waitForBytes(10)
    expect(peer.text()).toBe('firstother')
  })

  it('otherwise none answers nothing; otherwise echo sends an unmatched read back as it came', async () => {
    const none = await server({ rules: [{ match: 'x', answer: 'y' }], otherwise: 'none' })
    const echo = await server({ rules: [{ match: 'x', answer: 'y' }], otherwise: 'echo' })
    const a = await client(none.local.port)
    const b = await client(echo.local.port)
    const raw = Buffer.from('00ff41c4e3', 'hex')
    expect(await exchange(none, a, raw)).toBeNull()
    expect((await exchange(echo, b, raw))?.toString('hex')).toBe(raw.toString('hex'))
    await b.waitForBytes(raw.length)
    expect(b.received.toString('hex')).toBe(raw.toString('hex'))
    expect(a.length).toBe(0)
  })

  it('close after answer: unmatched reads keep the connection open; the first answer is followed by FIN', async () => {
    const ep = await server({ rules: [{ match: 'bye', answer: 'see you' }], close: true })
    const peer = await client(ep.local.port)
    const id = await connectionIdOf(gw, ep.id, peer)
    expect(await exchange(ep, peer, 'hello')).toBeNull()
    expect(eventsOf(gw, ep.id).some(stateOf(id, 'fin-sent'))).toBe(false)
    expect((await exchange(ep, peer, 'bye'))?.toString()).toBe('see you')
    await peer.ended
    expect(peer.text()).toBe('see you')
    await waitForEvent(gw, ep.id, stateOf(id, 'fin-sent'), 'fin-sent')
  })

  it('a TCP client endpoint answers by rules too', async () => {
    const ep = await server({}, { reply: { mode: 'none' } })
    const c = await createEndpoint(gw, {
      kind: 'tcp-client',
      host: '127.0.0.1',
      port: ep.local.port,
      reply: { mode: 'rules', rules: [{ match: 'ready?', how: 'equals', answer: 'ready' }] },
    })
    cleanup.add(c.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const opened = await waitForEvent(gw, ep.id, (e) => e.type === 'connection-opened', 'the client connection')
    const connId = (opened as Extract<SocklabEvent, { type: 'connection-opened' }>).connectionId
    const sent = await gw.api('POST', `/api/endpoints/${ep.id}/send`, { data: 'ready?', connection: connId })
    expect(sent.status).toBe(200)
    const answer = await waitForEvent(gw, ep.id, (e) => e.type === 'data' && e.direction === 'in', 'the rule answer')
    expect(bytesOf(answer as Extract<SocklabEvent, { type: 'data' }>).toString()).toBe('ready')
  })

  it('UDP: each datagram is tested; the answer goes to its sender', async () => {
    const ep = await createEndpoint(gw, {
      kind: 'udp',
      port: 0,
      reply: {
        mode: 'rules',
        rules: [
          { match: 'AT', how: 'equals', answer: 'OK' },
          { match: 'AT+', how: 'starts', answer: '+ERR' },
        ],
      },
    })
    cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const peer = cleanup.add(await UdpPeer.bind(), (p) => p.close())
    await peer.send('AT', ep.local.port)
    expect((await peer.next()).msg.toString()).toBe('OK')
    await peer.send('nothing', ep.local.port) // no rule, otherwise none: no datagram back
    await peer.send('AT+CSQ', ep.local.port)
    const next = await peer.next()
    expect(next.msg.toString()).toBe('+ERR')
    expect(next.rinfo.port).toBe(ep.local.port)
    const out = eventsOf(gw, ep.id).filter(isData('out'))
    expect(out.map((e) => [bytesOf(e).toString(), e.origin])).toEqual([
      ['OK', 'reply'],
      ['+ERR', 'reply'],
    ])
  })

  describe('validation: 400 naming the field; nothing is left behind', () => {
    const ok = { match: 'a', answer: 'b' }
    it('bad hex in a match or an answer', async () => {
      expect(await rejected({ rules: [ok, ok, { match: '01 zz', matchFormat: 'hex', answer: 'x' }] })).toMatchObject({
        code: 'EBADHEX',
        field: 'reply.rules.2.match',
        message: expect.stringContaining('zz'),
      })
      expect(await rejected({ rules: [{ match: 'a', answer: '123', answerFormat: 'hex' }] })).toMatchObject({
        code: 'EBADHEX',
        field: 'reply.rules.0.answer',
      })
    })
    it('an empty match, typed or as hex of nothing', async () => {
      const empty = await rejected({ rules: [ok, { match: '', answer: 'x' }] })
      expect(empty).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules.1.match' })
      expect(empty.message).toContain('empty')
      expect(await rejected({ rules: [{ match: ' , ', matchFormat: 'hex', answer: 'x' }] })).toMatchObject({ field: 'reply.rules.0.match' })
    })
    it('no rules, too many rules', async () => {
      expect(await rejected({})).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules' })
      expect(await rejected({ rules: [] })).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules' })
      const many = await rejected({ rules: Array.from({ length: REPLY_RULES_MAX + 1 }, () => ok) })
      expect(many).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules' })
      expect(many.message).toContain(String(REPLY_RULES_MAX))
    })
    it('an answer over the size cap (counted in bytes of the encoding)', async () => {
      // 6000 characters are 18000 bytes in utf-8, 12000 in gbk: over the cap in one, under it in the other.
      const big = { match: 'a', answer: '好'.repeat(6000) }
      const err = await rejected({ rules: [big] })
      expect(err).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules.0.answer' })
      expect(err.message).toContain(String(REPLY_ANSWER_MAX_BYTES))
      const gbk = await createEndpoint(gw, { kind: 'tcp-server', port: 0, encoding: 'gbk', reply: { mode: 'rules', rules: [big] } })
      cleanup.add(gbk.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    })
    it('unknown how, format or field; text the encoding cannot hold', async () => {
      expect(await rejected({ rules: [{ ...ok, how: 'regex' }] })).toMatchObject({ code: 'EVALIDATION', field: 'reply.rules.0.how' })
      expect(await rejected({ rules: [{ ...ok, matchFormat: 'base64' }] })).toMatchObject({ field: 'reply.rules.0.matchFormat' })
      expect(await rejected({ rules: [{ ...ok, reply: 'x' }] })).toMatchObject({ field: 'reply.rules.0.reply' })
      expect(await rejected({ rules: [{ answer: 'x' }] })).toMatchObject({ field: 'reply.rules.0.match' })
      expect(await rejected({ rules: [ok], otherwise: 'upper' })).toMatchObject({ field: 'reply.otherwise' })
      expect(await rejected({ rules: [{ match: 'é', answer: 'x' }] }, { encoding: 'ascii' })).toMatchObject({
        code: 'EENCODING',
        field: 'reply.rules.0.match',
      })
    })
    it('after all those refusals the gateway holds no half-made endpoint and still answers', async () => {
      await rejected({ rules: [{ match: 'zz', matchFormat: 'hex', answer: 'x' }] })
      const list = await gw.api('GET', '/api/endpoints')
      expect(list.status).toBe(200)
      expect(list.body).toEqual([])
      const ep = await server({ rules: [{ match: 'still', answer: 'alive' }] })
      const peer = await client(ep.local.port)
      expect((await exchange(ep, peer, 'still here'))?.toString()).toBe('alive')
    })
  })
})
