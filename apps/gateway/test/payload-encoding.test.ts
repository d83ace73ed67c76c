/** What a person types (text in an encoding, hex, base64, line endings) → the exact bytes a real peer receives. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { UdpPeer } from './peers.ts'

let gw: TestGateway
let peer: UdpPeer
let endpointId: string
beforeAll(async () => {
  gw = await startGateway()
  peer = await UdpPeer.bind()
  const res = await gw.api('POST', '/api/endpoints', { kind: 'udp', port: 0, remote: { host: '127.0.0.1', port: peer.port } })
  endpointId = res.body.id
})
afterAll(async () => {
  await peer.close()
  await gw.close()
})

/** Send through the gateway and return the hex of the datagram the peer got. */
async function sent(body: Record<string, unknown>): Promise<string> {
  const res = await gw.api('POST', `/api/endpoints/${endpointId}/send`, body)
  if (res.status !== 200) throw new Error(`send ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`)
  const { msg } = await peer.next()
  expect(res.body.bytes).toBe(msg.length)
  return msg.toString('hex')
}
async function rejected(body: Record<string, unknown>) {
  const res = await gw.api('POST', `/api/endpoints/${endpointId}/send`, body)
  expect(res.status).toBe(400)
  expect(peer.pending).toBe(0)
  return res.body.error as { code: string; message: string; field?: string }
}

const HELLO = '48656c6c6f'

describe('payload encodings', () => {
  it('utf-8 is the default; gbk, gb18030, latin1 and ascii encode as named', async () => {
    expect(await sent({ data: '你好' })).toBe('e4bda0e5a5bd')
    expect(await sent({ data: '你好', encoding: 'utf-8' })).toBe('e4bda0e5a5bd')
    expect(await sent({ data: '你好', encoding: 'gbk' })).toBe('c4e3bac3')
    expect(await sent({ data: '已送达', encoding: 'gbk' })).toBe('d2d1cbcdb4ef')
    expect(await sent({ data: '€', encoding: 'gb18030' })).toBe('a2e3')
    expect(await sent({ data: 'café', encoding: 'latin1' })).toBe('636166e9')
    expect(await sent({ data: 'plain', encoding: 'ascii' })).toBe('706c61696e')
  })

  it('ascii refuses characters it cannot carry, naming the field', async () => {
    const err = await rejected({ data: 'café', encoding: 'ascii' })
    expect(err).toMatchObject({ code: 'EENCODING', field: 'data' })
    expect(err.message).toMatch(/outside ASCII/)
  })

  it.each([
    ['48 65 6c 6c 6f'],
    ['0x48,0x65,0x6c,0x6c,0x6f'],
    ['0x48, 0x65, 0x6C, 0x6C, 0x6F'],
    ['48656c6c6f'],
    ['48656C6C6F'],
    ['48-65:6c;6c|6f'],
    ['  48\n65\t6c\r\n6c 6f  '],
    ['4865 6c6c 6f'],
    ['0x48656c6c6f'],
  ])('hex %j is Hello', async (data) => {
    expect(await sent({ data, encoding: 'hex' })).toBe(HELLO)
  })

  it('hex accepts single digits as a byte and empty input as no bytes', async () => {
    expect(await sent({ data: '0 a ff', encoding: 'hex' })).toBe('000aff')
    expect(await sent({ data: '', encoding: 'hex' })).toBe('')
  })

  it.each([
    ['zz', /not a hex byte: "zz"/],
    ['486', /odd number of hex digits in "486"/],
    ['48 6g', /not a hex byte: "6g"/],
  ])('hex %j is 400 EBADHEX naming data', async (data, message) => {
    const err = await rejected({ data, encoding: 'hex' })
    expect(err).toMatchObject({ code: 'EBADHEX', field: 'data' })
    expect(err.message).toMatch(message)
  })

  it('base64 standard, unpadded, url-safe and with whitespace', async () => {
    expect(await sent({ data: 'SGVsbG8=', encoding: 'base64' })).toBe(HELLO)
    expect(await sent({ data: 'SGVsbG8', encoding: 'base64' })).toBe(HELLO)
    expect(await sent({ data: 'SGVs\nbG8=', encoding: 'base64' })).toBe(HELLO)
    expect(await sent({ data: '-_8=', encoding: 'base64' })).toBe('fbff')
    expect(await sent({ data: '+/8=', encoding: 'base64' })).toBe('fbff')
    expect(await sent({ data: '', encoding: 'base64' })).toBe('')
  })

  it('bad base64 is 400 EBADBASE64', async () => {
    expect(await rejected({ data: 'SGV$bG8=', encoding: 'base64' })).toMatchObject({ code: 'EBADBASE64', field: 'data' })
    expect(await rejected({ data: 'SGVsb', encoding: 'base64' })).toMatchObject({ code: 'EBADBASE64' })
  })

  it('line endings are added after text, hex and base64 alike', async () => {
    expect(await sent({ data: 'hi', lineEnding: 'none' })).toBe('6869')
    expect(await sent({ data: 'hi', lineEnding: 'lf' })).toBe('68690a')
    expect(await sent({ data: 'hi', lineEnding: 'crlf' })).toBe('68690d0a')
    expect(await sent({ data: '你', encoding: 'gbk', lineEnding: 'crlf' })).toBe('c4e30d0a')
    expect(await sent({ data: '48 69', encoding: 'hex', lineEnding: 'lf' })).toBe('48690a')
    expect(await sent({ data: 'aGk=', encoding: 'base64', lineEnding: 'crlf' })).toBe('68690d0a')
    expect(await sent({ data: '', lineEnding: 'crlf' })).toBe('0d0a')
  })

  it('unknown encodings, line endings and fields are 400 EVALIDATION naming them', async () => {
    expect(await rejected({ data: 'x', encoding: 'utf-16' })).toMatchObject({ code: 'EVALIDATION', field: 'encoding' })
    expect(await rejected({ data: 'x', lineEnding: 'cr' })).toMatchObject({ code: 'EVALIDATION', field: 'lineEnding' })
    expect(await rejected({ data: 'x', colour: 'red' })).toMatchObject({ code: 'EVALIDATION', field: 'colour' })
    expect(await rejected({ encoding: 'hex' })).toMatchObject({ code: 'EVALIDATION', field: 'data', message: 'missing field "data"' })
  })
})
