/** How the built gateway starts: auth on by default with a printed login link, off only on loopback, never open on the LAN. */
import { spawn } from 'node:child_process'
import net from 'node:net'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { GATEWAY_ENTRY, spawnGateway } from '../helpers/gateway-process.ts'
import { Client } from './classroom-clients.ts'

/** Run the gateway to its exit (bounded): exit code and everything it printed. */
async function runToExit(env: Record<string, string>, timeoutMs = 10_000): Promise<{ code: number | null; output: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-sec-'))
  try {
    const child = spawn(process.execPath, [GATEWAY_ENTRY], { env: { ...process.env, SOCKLAB_DATA: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    clearTimeout(timer)
    return { code, output }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true })
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

describe('start-up', () => {
  it('a LAN address without auth: refuses to start, says why, and never listens', async () => {
    const port = await freePort()
    const { code, output } = await runToExit({ SOCKLAB_HOST: '0.0.0.0', SOCKLAB_PORT: String(port), SOCKLAB_AUTH: 'off' })
    expect(code).toBe(1)
    expect(output).toContain('socklab could not start: SOCKLAB_HOST=0.0.0.0 with SOCKLAB_AUTH=off')
    expect(output).toContain('anyone on the network could open sockets')
    expect(output).not.toContain('socklab listening')
  })

  it('a bad SOCKLAB_AUTH value stops the start naming the variable', async () => {
    const { code, output } = await runToExit({ SOCKLAB_HOST: '127.0.0.1', SOCKLAB_PORT: '0', SOCKLAB_AUTH: 'sometimes' })
    expect(code).toBe(1)
    expect(output).toContain('SOCKLAB_AUTH must be "on" or "off"')
  })

  it('by default auth is on: the printed link logs the instructor in, the printed class code lets students join', async () => {
    const g = await spawnGateway({ SOCKLAB_AUTH: '' }) // as a user would start it: no SOCKLAB_AUTH at all
    try {
      const link = g.output().match(/socklab instructor login: (http:\/\/\S+\/\?token=(\S+))/)
      const code = g.output().match(/socklab class code: (\S+)/)?.[1]
      expect(link, g.output()).toBeTruthy()
      expect(link![2]).toMatch(/^[A-Za-z0-9_-]{32}$/)
      expect((await Client.anonymous(g.url).api('GET', '/api/endpoints')).status).toBe(401)
      const visit = await Client.anonymous(g.url).api('GET', link![1]!.slice(g.url.length))
      expect([visit.status, visit.headers.get('location')]).toEqual([303, '/'])
      const cookie = visit.headers.get('set-cookie')!.split(';')[0]!
      expect((await new Client(g.url, { cookie }).api('GET', '/api/auth/me')).body.user.role).toBe('instructor')
      expect((await Client.bearer(g.url, link![2]!).api('GET', '/api/endpoints')).status).toBe(200)
      const student = await Client.join(g.url, code!, 'first student')
      expect((await student.api('GET', '/api/auth/me')).body.user.role).toBe('student')
    } finally {
      await g.stop()
    }
  })

  it('SOCKLAB_TOKEN is used and not printed', async () => {
    const g = await spawnGateway({ SOCKLAB_AUTH: 'on', SOCKLAB_TOKEN: 'operator-chosen-secret-99' })
    try {
      expect(g.output()).toContain('?token=<SOCKLAB_TOKEN>')
      expect(g.output()).not.toContain('operator-chosen-secret-99')
      expect((await Client.bearer(g.url, 'operator-chosen-secret-99').api('GET', '/api/endpoints')).status).toBe(200)
    } finally {
      await g.stop()
    }
  })

  it('auth off on loopback is allowed and says so', async () => {
    const g = await spawnGateway({ SOCKLAB_AUTH: 'off' })
    try {
      expect(g.output()).toContain('auth is OFF (SOCKLAB_AUTH=off)')
      expect((await Client.anonymous(g.url).api('GET', '/api/endpoints')).status).toBe(200)
    } finally {
      await g.stop()
    }
  })
})
