import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SocklabEvent } from '@socklab/shared'
import { startGateway, type TestGateway } from './helper.ts'
import { createEndpoint, eventsOf, waitForEvents } from './peers.ts'
import { buildSite, rawExchange } from './http-peers.ts'

/*
 * The served folder is files/site. Secrets sit one level up (still in the files area), outside the
 * files area (the data folder), and outside the data folder; links point out of the site. No request
 * below may answer with any of them — sent as raw bytes, because fetch() would normalise the path first.
 */

let gw: TestGateway
let port: number
let endpointId: string
const SECRETS = ['SECRET-IN-FILES-AREA', 'SECRET-IN-DATA-DIR', 'SECRET-OUTSIDE']

beforeAll(async () => {
  gw = await startGateway()
  const filesRoot = path.join(gw.dataDir, 'files')
  const { site } = await buildSite(filesRoot)
  await fs.writeFile(path.join(filesRoot, 'secret.txt'), SECRETS[0]!)
  await fs.writeFile(path.join(gw.dataDir, 'outside.txt'), SECRETS[1]!)
  const outsideDir = await fs.mkdtemp(path.join(path.dirname(gw.dataDir), 'socklab-outside-'))
  await fs.writeFile(path.join(outsideDir, 'far.txt'), SECRETS[2]!)
  await fs.writeFile(path.join(site, '.hidden'), SECRETS[0]!)
  await fs.symlink(path.join(gw.dataDir, 'outside.txt'), path.join(site, 'link-out.txt'))
  await fs.symlink(outsideDir, path.join(site, 'link-dir'))
  await fs.symlink(path.join(site, 'style.css'), path.join(site, 'link-in.css'))
  const ep = await createEndpoint(gw, { kind: 'http-static', port: 0, folder: 'site' })
  port = ep.local.port
  endpointId = ep.id
  return async () => fs.rm(outsideDir, { recursive: true, force: true })
})
afterAll(() => gw.close())

const TRAVERSALS = [
  '/../secret.txt',
  '/../../outside.txt',
  '/sub/../../secret.txt',
  '/..%2fsecret.txt',
  '/..%2Fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2E%2Fsecret.txt',
  '/%2e%2e%2f%2e%2e%2foutside.txt',
  '/.%2e/secret.txt',
  '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/%25252e%25252e%25252fsecret.txt',
  '/..\\secret.txt',
  '/..%5csecret.txt',
  '/%5c..%5csecret.txt',
  '/sub\\..\\..\\secret.txt',
  '/index.html%00.txt',
  '/%00../secret.txt',
  '/secret.txt%00',
  '//etc/passwd',
  '/%2fetc%2fpasswd',
  '/C:/Windows/win.ini',
  '/....//secret.txt',
  '/%c0%ae%c0%ae/secret.txt',
  '/.hidden',
  '/%2ehidden',
  '/link-out.txt',
  '/link-dir/far.txt',
  'http://evil.example/../secret.txt',
  '*',
  '../secret.txt',
]

describe('http-static: path traversal in every form is refused', () => {
  it.each(TRAVERSALS)('%s', async (target) => {
    const res = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    expect([400, 403, 404]).toContain(res.status)
    const text = res.raw.toString('latin1')
    for (const s of SECRETS) expect(text).not.toContain(s)
    expect(text).not.toContain('root:x:0:0')
  })

  it('logs each refusal with its reason, and still serves links that stay inside', async () => {
    const events = await waitForEvents(
      gw,
      endpointId,
      (ev) => {
        const list = ev.filter((e): e is Extract<SocklabEvent, { type: 'http-request' }> => e.type === 'http-request' && e.status !== 200)
        return list.length >= TRAVERSALS.length - 2 ? list : null // the parser itself rejects a couple before our handler
      },
      'refusals logged',
    )
    expect(events.every((e) => e.reason)).toBe(true)
    expect(events.some((e) => /points outside the served folder/.test(e.reason!))).toBe(true)
    const inside = await rawExchange(port, 'GET /link-in.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(inside.status).toBe(200)
    expect(inside.body.toString()).toContain('color')
    // And ordinary names with encoded spaces still work.
    await fs.writeFile(path.join(gw.dataDir, 'files', 'site', 'my notes.txt'), 'spaced\n')
    const spaced = await rawExchange(port, 'GET /my%20notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(spaced.status).toBe(200)
    expect(eventsOf(gw, endpointId).some((e) => e.type === 'http-request' && e.file === 'my notes.txt')).toBe(true)
  })
})
