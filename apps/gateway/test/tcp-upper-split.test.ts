/**
 * Upper-case auto-reply on a byte stream: a character split across TCP reads is answered as if the message
 * had arrived whole (`conn.recv().decode().upper()` on the whole message), per connection.
 */
import net from 'node:net'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { gatewayForFile, type TestGateway } from './helper.ts'
import { connectionIdOf, createEndpoint, dataBytes, eventsOf, isData, stateOf, TcpPeer, waitFor, waitForEvent, waitForEvents } from './peers.ts'
import { upperCase, UpperCaseStream } from '../src/sockets/payload.ts'

let gw: TestGateway
const cleanup = gatewayForFile((g) => (gw = g))

async function server(options: Record<string, unknown>) {
  const ep = await createEndpoint(gw, { kind: 'tcp-server', port: 0, reply: { mode: 'upper' }, ...options })
  cleanup.add(ep.id, (id) => gw.api('DELETE', `/api/endpoints/${id}`))
  return ep as { id: string; local: { port: number } }
}

/** A client connected to the endpoint, with the gateway's id for its connection. */
async function connect(ep: { id: string; local: { port: number } }) {
  const peer = cleanup.add(await TcpPeer.connect(ep.local.port, { allowHalfOpen: true }), (p) => p.destroy())
  return { peer, id: await connectionIdOf(gw, ep.id, peer) }
}

/**
 * Write `bytes` as its own TCP read on the gateway: written, then awaited until the gateway has recorded it
 * (so the next write cannot be coalesced with it). Returns what the gateway has answered on that connection so
 * far; the answer to a chunk is recorded in the same tick as the chunk itself.
 */
async function readOnItsOwn(epId: string, c: { peer: TcpPeer; id: string }, bytes: Buffer): Promise<Buffer> {
  const before = dataBytes(eventsOf(gw, epId), 'in', c.id).length
  await c.peer.write(bytes)
  await waitForEvents(gw, epId, (events) => dataBytes(events, 'in', c.id).length >= before + bytes.length, `${bytes.length} more bytes in`)
  expect(dataBytes(eventsOf(gw, epId), 'in', c.id).length, 'each write is one read').toBe(before + bytes.length)
  return dataBytes(eventsOf(gw, epId), 'out', c.id)
}

/**
 * Send `text` one byte per read; after every byte the answer so far must be exactly the upper-cased characters
 * that are complete (a character's bytes are answered together, once its last byte arrived).
 */
async function byteByByte(epId: string, c: { peer: TcpPeer; id: string }, text: string, encoding: string) {
  let done = ''
  for (const ch of text) {
    const bytes = iconv.encode(ch, encoding)
    for (let i = 0; i < bytes.length; i++) {
      const answered = await readOnItsOwn(epId, c, bytes.subarray(i, i + 1))
      const complete = i === bytes.length - 1 ? done + ch : done
      expect(answered.toString('hex'), `after byte ${i + 1}/${bytes.length} of ${JSON.stringify(ch)}`).toBe(iconv.encode(complete.toUpperCase(), encoding).toString('hex'))
    }
    done += ch
  }
  const expected = iconv.encode(text.toUpperCase(), encoding)
  expect((await c.peer.waitForBytes(expected.length)).toString('hex')).toBe(expected.toString('hex'))
}

describe('upper-case auto-reply across TCP reads', () => {
  it('utf-8 written one byte at a time is answered as the whole text upper-cased', async () => {
    const ep = await server({})
    const c = await connect(ep)
    await byteByByte(ep.id, c, 'héllo wörld, 你好 дом 😀!', 'utf-8')
    // Nothing is left over: end-of-stream brings no extra bytes, only our FIN.
    const before = c.peer.length
    c.peer.end()
    await c.peer.ended
    expect(c.peer.length).toBe(before)
  })

  it('a 3-byte 你 arriving as 2 + 1 bytes: the complete part now, the character with the next chunk', async () => {
    const ep = await server({})
    const c = await connect(ep)
    const ni = Buffer.from('你', 'utf8')
    expect((await readOnItsOwn(ep.id, c, Buffer.concat([Buffer.from('hé'), ni.subarray(0, 2)]))).toString()).toBe('HÉ')
    expect((await readOnItsOwn(ep.id, c, Buffer.concat([ni.subarray(2), Buffer.from('ü')]))).toString()).toBe('HÉ你Ü')
    expect((await c.peer.waitForBytes(Buffer.byteLength('HÉ你Ü'))).toString()).toBe('HÉ你Ü')
  })

  it('gbk written one byte at a time: full-width and Greek letters split 1 + 1 are still upper-cased', async () => {
    // ａ (a3e1) → Ａ (a3c1), α (a6c1) → Α (a6a1): answered byte for byte, these would come back unchanged.
    const ep = await server({ encoding: 'gbk' })
    const c = await connect(ep)
    await byteByByte(ep.id, c, 'abc你好ａｂα д', 'gbk')
  })

  it('gb18030 four-byte characters split into single bytes', async () => {
    const ep = await server({ encoding: 'gb18030' })
    const c = await connect(ep)
    await byteByByte(ep.id, c, 'x😀ａ€y', 'gb18030')
  })

  it('each connection keeps its own unfinished character', async () => {
    const ep = await server({})
    const a = await connect(ep)
    const b = await connect(ep)
    const ni = Buffer.from('你', 'utf8')
    expect((await readOnItsOwn(ep.id, a, Buffer.concat([Buffer.from('a'), ni.subarray(0, 1)]))).toString()).toBe('A')
    expect((await readOnItsOwn(ep.id, b, Buffer.concat([Buffer.from('b'), ni]))).toString()).toBe('B你')
    expect((await readOnItsOwn(ep.id, a, ni.subarray(1))).toString()).toBe('A你')
    expect((await a.peer.waitForBytes(4)).toString()).toBe('A你')
    expect((await b.peer.waitForBytes(4)).toString()).toBe('B你')
  })

  it('invalid bytes are answered byte for byte at once; an incomplete tail is answered byte for byte on FIN', async () => {
    const ep = await server({})
    const c = await connect(ep)
    // e4 waits (it may start a character); "xyz" shows it was not one: e4 comes back as it was, ASCII upper-cased.
    expect((await readOnItsOwn(ep.id, c, Buffer.from('ok\xe4', 'latin1'))).toString('latin1')).toBe('OK')
    expect((await readOnItsOwn(ep.id, c, Buffer.from('xyz'))).toString('latin1')).toBe('OK\xe4XYZ')
    // gbk 你好 sent to this utf-8 server: not utf-8, answered at once, even though c3 alone could start a character.
    const gbk = Buffer.concat([Buffer.from('ab '), Buffer.from('c4e3bac3', 'hex')])
    expect((await readOnItsOwn(ep.id, c, gbk)).subarray(6).toString('hex')).toBe(Buffer.concat([Buffer.from('AB '), Buffer.from('c4e3bac3', 'hex')]).toString('hex'))
    // The peer stops half-way through 你: those two bytes are answered as they are, then our FIN.
    await readOnItsOwn(ep.id, c, Buffer.from('end ', 'latin1'))
    const before = dataBytes(eventsOf(gw, ep.id), 'out', c.id).length
    expect((await readOnItsOwn(ep.id, c, Buffer.from('e4bd', 'hex'))).length).toBe(before)
    c.peer.end()
    await c.peer.ended
    expect(c.peer.received.subarray(-6).toString('hex')).toBe(Buffer.concat([Buffer.from('END '), Buffer.from('e4bd', 'hex')]).toString('hex'))
    // Recorded as a reply, after the peer's FIN and before the connection closed.
    await waitForEvent(gw, ep.id, stateOf(c.id, 'closed'), 'closed')
    const events = eventsOf(gw, ep.id)
    const last = events.filter((e) => isData('out')(e) && e.connectionId === c.id).at(-1)!
    expect(last).toMatchObject({ origin: 'reply', size: 2 })
    expect(events.indexOf(last)).toBeGreaterThan(events.findIndex(stateOf(c.id, 'fin-received')))
    expect(events.indexOf(last)).toBeLessThan(events.findIndex(stateOf(c.id, 'closed')))
  })

  it('close-after-reply answers the complete text and an unfinished character together, then FIN', async () => {
    const ep = await server({ reply: { mode: 'upper', close: true } })
    const c = await connect(ep)
    await c.peer.write(Buffer.concat([Buffer.from('hé'), Buffer.from('e4bd', 'hex')]))
    await c.peer.ended
    expect(c.peer.received.toString('hex')).toBe(Buffer.concat([Buffer.from('HÉ'), Buffer.from('e4bd', 'hex')]).toString('hex'))
  })

  it('a tcp-client endpoint with upper answers a server that writes one byte at a time', async () => {
    const accepted: TcpPeer[] = []
    const srv = net.createServer((s) => accepted.push(new TcpPeer(s)))
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
    cleanup.add(srv, (s) => {
      for (const p of accepted) p.socket.destroy()
      return new Promise((r) => s.close(r))
    })
    const ep = await createEndpoint(gw, { kind: 'tcp-client', host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, reply: { mode: 'upper' } })
    cleanup.add(ep.id, (id: string) => gw.api('DELETE', `/api/endpoints/${id}`))
    const peer = await waitFor(() => accepted[0], 'accepted connection')
    await byteByByte(ep.id, { peer, id: ep.connections[0].id }, 'grüße, 世界', 'utf-8')
  })
})

describe('UpperCaseStream', () => {
  it('gives the same bytes as upper-casing the whole message, wherever the message is cut', () => {
    const cases: [string, string][] = [
      ['utf-8', 'aé你😀ß дом'],
      ['gbk', 'aａ你α€д'],
      ['gb18030', 'a😀ａ你€'],
    ]
    for (const [encoding, text] of cases) {
      const bytes = iconv.encode(text, encoding)
      const whole = upperCase(bytes, encoding).toString('hex')
      for (let i = 0; i <= bytes.length; i++) {
        for (let j = i; j <= bytes.length; j++) {
          const s = new UpperCaseStream(encoding)
          const parts = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].filter((p) => p.length > 0)
          const out = Buffer.concat([...parts.map((p) => s.answer(p) ?? Buffer.alloc(0)), s.end() ?? Buffer.alloc(0)])
          expect(out.toString('hex'), `${encoding} cut at ${i}, ${j}`).toBe(whole)
        }
      }
    }
  })
})
