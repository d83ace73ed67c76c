import { describe, expect, it } from 'vitest'
import { spawnGateway } from '../helpers/gateway-process.ts'
import { DEADLINE_MS, TcpPeer, dataRows, selectedEndpointId, shownPort, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'

/** The live link: drop, reconnect with backoff, resume without duplicates or silent gaps. */
describe('panel: live link', () => {
  const suite = usePanelSuite()

  /** Poll the gateway's own history until it has recorded an incoming chunk containing `text`. */
  async function gatewayRecorded(endpointId: string, text: string) {
    const deadline = Date.now() + DEADLINE_MS
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${suite.gw.url}/api/endpoints/${endpointId}/events?limit=10000`)).json()) as {
        events: { type: string; direction?: string; data?: string }[]
      }
      const found = body.events.some((e) => e.type === 'data' && e.direction === 'in' && Buffer.from(e.data!, 'base64').toString().includes(text))
      if (found) return
      await new Promise((r) => setImmediate(r))
    }
    throw new Error(`the gateway never recorded "${text}"`)
  }

  it('shows reconnecting, then resumes with every event produced while offline exactly once', async () => {
    const page = await suite.browser.openPage(`${suite.gw.url}/?debug=1`)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const id = await selectedEndpointId(page)
    const client = await TcpPeer.connect(await shownPort(page))
    suite.peers.push(client)
    client.write('before the drop')
    await dataRows(page, { endpointId: id, text: 'before the drop' }).waitFor({ timeout: DEADLINE_MS })

    // Drop the page's WebSocket and keep it down while traffic happens.
    await page.evaluate(() => window.__socklab!.dropLink(true))
    const status = page.getByTestId('link-status')
    await page.locator('[data-testid=link-status][data-state=reconnecting]').waitFor({ timeout: DEADLINE_MS })
    expect(await status.textContent()).toContain('attempt 1')

    client.write('while offline 1')
    await gatewayRecorded(id, 'while offline 1')
    client.write('while offline 2')
    await gatewayRecorded(id, 'while offline 2')
    expect(await dataRows(page, { text: 'while offline' }).count()).toBe(0)

    await page.evaluate(() => window.__socklab!.releaseLink())
    await waitLive(page)
    await dataRows(page, { endpointId: id, text: 'while offline 2' }).waitFor({ timeout: DEADLINE_MS })

    // Exactly once, in the page and in the client's log.
    await page.getByTestId('log-show-events').uncheck()
    for (const text of ['before the drop', 'while offline 1', 'while offline 2']) {
      expect(await dataRows(page, { endpointId: id, text }).count(), text).toBe(1)
    }
    const seqs = await page.evaluate(() => window.__socklab!.logSeqs())
    expect(new Set(seqs).size).toBe(seqs.length)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    // The state caught up too (connection byte counts from the replayed events).
    const inBytes = 'before the drop'.length + 'while offline 1'.length + 'while offline 2'.length
    await page.locator('[data-testid=connection-bytes-in]').filter({ hasText: `${inBytes} B` }).waitFor({ timeout: DEADLINE_MS })

    // And it keeps following live traffic after the resume.
    client.write('after the resume')
    await dataRows(page, { endpointId: id, text: 'after the resume' }).waitFor({ timeout: DEADLINE_MS })
  })

  it('retries on its own after a drop, without being told to', async () => {
    const page = await suite.browser.openPage(`${suite.gw.url}/?debug=1`)
    await waitLive(page)
    const states: string[] = []
    await page.exposeFunction('__recordLinkState', (s: string) => states.push(s))
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid=link-status]')!
      new MutationObserver(() => (window as unknown as { __recordLinkState(s: string): void }).__recordLinkState(el.getAttribute('data-state')!)).observe(el, {
        attributes: true,
        attributeFilter: ['data-state'],
      })
    })
    await page.evaluate(() => window.__socklab!.dropLink())
    await expect.poll(() => states, { timeout: DEADLINE_MS }).toContain('connected')
    expect(states[0]).toBe('reconnecting')
    expect(await page.evaluate(() => window.__socklab!.linkState())).toBe('connected')
  })

  it('announces events the gateway evicted while the link was down, and still shows the right state', async () => {
    // A gateway that keeps only 100 events: a long outage loses some, and the page must say so.
    const small = await spawnGateway({ SOCKLAB_HISTORY_EVENTS: '100' })
    try {
      const page = await suite.browser.openPage(`${small.url}/?debug=1`)
      await waitLive(page)
      await startEndpoint(page, 'tcp-server')
      const port = await shownPort(page)
      const first = await TcpPeer.connect(port)
      suite.peers.push(first)
      await page.locator('[data-testid=connection-row][data-state=open]').waitFor({ timeout: DEADLINE_MS })

      await page.evaluate(() => window.__socklab!.dropLink(true))
      await page.locator('[data-testid=link-status][data-state=reconnecting]').waitFor({ timeout: DEADLINE_MS })
      // 40 short connections: opened, FIN received, closed = 120 events, more than the gateway keeps.
      for (let i = 0; i < 40; i++) {
        const p = await TcpPeer.connect(port)
        p.socket.end()
        await p.waitForClose()
      }
      first.write('still connected')

      await page.evaluate(() => window.__socklab!.releaseLink())
      await waitLive(page)
      // Markers stay visible under any filter; hiding the 100 connection events brings it into view.
      await page.getByTestId('log-show-events').uncheck()
      const marker = page.locator('[data-testid=log-marker][data-marker=gap]')
      await marker.waitFor({ timeout: DEADLINE_MS })
      expect(Number(await marker.getAttribute('data-missed'))).toBeGreaterThan(0)
      expect(await marker.textContent()).toMatch(/\d+ events missed/)
      await page.getByTestId('endpoint-panel').filter({ hasText: '41 in total' }).waitFor({ timeout: DEADLINE_MS })
      await page.getByTestId('endpoint-panel').filter({ hasText: '1 open' }).waitFor({ timeout: DEADLINE_MS })
      await page.locator('[data-testid=connection-row][data-state=open] [data-testid=connection-bytes-in]').filter({ hasText: `${'still connected'.length} B` }).waitFor({ timeout: DEADLINE_MS })
    } finally {
      await small.stop()
    }
  })

  it('keeps the reader where they are while new rows wait behind an "N new" marker', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const id = await selectedEndpointId(page)
    const client = await TcpPeer.connect(await shownPort(page))
    suite.peers.push(client)
    // Enough rows to scroll: one chunk per line, each acknowledged before the next so none coalesce.
    await page.getByTestId('log-show-events').uncheck()
    for (let i = 0; i < 60; i++) {
      client.write(`line ${i}`)
      await dataRows(page, { endpointId: id, text: `line ${i}` }).waitFor({ timeout: DEADLINE_MS })
    }
    const list = page.locator('[data-testid=traffic-log] .list')
    await list.hover()
    await page.mouse.wheel(0, -2000)
    const marker = page.getByTestId('log-new-marker')
    await marker.waitFor({ timeout: DEADLINE_MS })
    client.write('arrived while reading')
    await marker.filter({ hasText: '1 new' }).waitFor({ timeout: DEADLINE_MS })
    expect(await dataRows(page, { text: 'arrived while reading' }).count()).toBe(0)
    await marker.click()
    await dataRows(page, { endpointId: id, text: 'arrived while reading' }).waitFor({ timeout: DEADLINE_MS })
    await marker.waitFor({ state: 'detached', timeout: DEADLINE_MS })
  })
})
