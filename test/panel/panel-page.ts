import dgram from 'node:dgram'
import net from 'node:net'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'

/** How long any single observable condition may take before a test fails (never a sleep). */
export const DEADLINE_MS = 10_000

/** Wait until the page's link indicator says it is live. */
export async function waitLive(page: Page) {
  await page.locator('[data-testid=link-status][data-state=connected]').waitFor({ timeout: DEADLINE_MS })
}

/** Fill the create form for `kind` (fields by data-testid → value) and start it; returns the selected panel. */
export async function startEndpoint(page: Page, kind: string, fields: Record<string, string> = {}) {
  await page.getByTestId(`create-kind-${kind}`).click()
  for (const [testId, value] of Object.entries(fields)) {
    const field = page.getByTestId(testId)
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value)
    else await field.fill(value)
  }
  const before = await page.getByTestId('endpoint-item').count()
  await page.getByTestId('create-submit').click()
  await page.getByTestId('endpoint-item').nth(before).waitFor({ timeout: DEADLINE_MS })
  return page.getByTestId('endpoint-panel')
}

/** The port the selected endpoint is bound to, as the page shows it. */
export async function shownPort(page: Page): Promise<number> {
  const local = page.getByTestId('endpoint-local')
  await local.waitFor({ timeout: DEADLINE_MS })
  return Number(await local.getAttribute('data-port'))
}

/** The selected endpoint's id. */
export async function selectedEndpointId(page: Page): Promise<string> {
  return (await page.getByTestId('endpoint-panel').getAttribute('data-endpoint-id'))!
}

/**
 * The buttons of `rows` (a selector inside `section`) that stick out of the section's table box, i.e. that
 * hide behind its horizontal scroll, as "testid name"; [] when every action is in view.
 */
export function buttonsOutsideTable(section: Locator, rows: string): Promise<string[]> {
  return section.evaluate((el, rowSelector) => {
    const box = el.querySelector('table')!.parentElement!.getBoundingClientRect()
    return [...el.querySelectorAll<HTMLElement>(`${rowSelector} button`)]
      .filter((b) => {
        const r = b.getBoundingClientRect()
        return r.left < box.left || r.right > box.right
      })
      .map((b) => `${b.dataset.testid} ${b.getAttribute('aria-label') ?? b.textContent?.trim()}`)
  }, rows)
}

/** Data rows of the log for one endpoint and direction, whose payload contains `text`. */
export function dataRows(page: Page, opts: { endpointId?: string; direction?: 'in' | 'out'; text?: string } = {}): Locator {
  let sel = '[data-testid=log-row][data-type=data]'
  if (opts.endpointId) sel += `[data-endpoint-id="${opts.endpointId}"]`
  if (opts.direction) sel += `[data-direction=${opts.direction}]`
  const rows = page.locator(sel)
  return opts.text === undefined ? rows : rows.filter({ has: page.getByTestId('log-payload').filter({ hasText: opts.text }) })
}

/** Resolve when `check` holds, re-checking on every `event` of `emitter`; reject after the deadline. */
function until(emitter: NodeJS.EventEmitter, event: string, check: () => boolean, what: string, ms = DEADLINE_MS): Promise<void> {
  if (check()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onEvent = () => {
      if (!check()) return
      cleanup()
      resolve()
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
    }, ms)
    const cleanup = () => {
      clearTimeout(timer)
      emitter.off(event, onEvent)
    }
    emitter.on(event, onEvent)
  })
}

/** A real TCP client (like the tutorials' client.py) that records everything it receives. */
export class TcpPeer {
  received = Buffer.alloc(0)
  ended = false
  closed = false
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => (this.received = Buffer.concat([this.received, d])))
    socket.on('end', () => {
      this.ended = true
      socket.emit('state')
    })
    socket.on('close', () => {
      this.closed = true
      socket.emit('state')
    })
    socket.on('error', () => {})
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<TcpPeer> {
    const socket = net.connect({ port, host, allowHalfOpen: true })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new TcpPeer(socket)
  }

  static wrap(socket: net.Socket): TcpPeer {
    return new TcpPeer(socket)
  }

  get localPort(): number {
    return this.socket.localPort!
  }

  write(data: string | Buffer) {
    this.socket.write(data)
  }

  /** Wait until the received bytes contain `needle`. */
  waitForText(needle: string | Buffer) {
    return until(this.socket, 'data', () => this.received.includes(needle), `"${needle.toString()}" from the gateway`)
  }
  waitForEnd() {
    return until(this.socket, 'state', () => this.ended || this.closed, 'FIN from the gateway')
  }
  waitForClose() {
    return until(this.socket, 'state', () => this.closed, 'the connection to close')
  }

  destroy() {
    this.socket.destroy()
  }
}

/** A real UDP socket on 127.0.0.1:0 that records every datagram with its sender. */
export class UdpPeer {
  readonly datagrams: { data: Buffer; from: number }[] = []
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (data, rinfo) => this.datagrams.push({ data, from: rinfo.port }))
  }
  static async bind(): Promise<UdpPeer> {
    const socket = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    return new UdpPeer(socket)
  }
  get port(): number {
    return this.socket.address().port
  }
  send(data: string | Buffer, port: number) {
    return new Promise<void>((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
  }
  waitFor(check: (d: { data: Buffer; from: number }) => boolean) {
    return until(this.socket, 'message', () => this.datagrams.some(check), 'a datagram from the gateway')
  }
  close() {
    return new Promise<void>((resolve) => this.socket.close(() => resolve()))
  }
}

/** What a test opens that its suite closes at the end: a TcpPeer (destroy) or a UdpPeer (close). */
type Closable = { destroy(): void } | { close(): unknown }

/**
 * The usual panel suite: one built gateway (auth off unless `env` says otherwise) and one Chromium for the
 * describe block, started before its tests and stopped after them, with every peer the tests put in `peers`
 * closed first (then `cleanup`, if given).
 */
export function usePanelSuite(opts: { env?: Record<string, string>; cleanup?: () => unknown } = {}) {
  const suite = {
    gw: undefined as unknown as GatewayProcess,
    browser: undefined as unknown as TestBrowser,
    peers: [] as Closable[],
  }
  beforeAll(async () => {
    suite.gw = await spawnGateway(opts.env)
    suite.browser = await launchBrowser()
  })
  afterAll(async () => {
    await Promise.all(suite.peers.map((p) => ('destroy' in p ? p.destroy() : p.close())))
    await opts.cleanup?.()
    await suite.browser?.close()
    await suite.gw?.stop()
  })
  return suite
}
