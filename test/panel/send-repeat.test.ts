import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { DEADLINE_MS, UdpPeer, selectedEndpointId, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'

/**
 * Record every text the repeat status shows, from before the click: a short repeat may come and go
 * between two looks, but a MutationObserver sees each render.
 */
async function recordRepeatStatus(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { __repeatStatus: string[] }).__repeatStatus = seen
    const look = () => {
      for (const el of document.querySelectorAll('[data-testid=send-repeat-status]')) {
        const text = el.textContent!.replace(/\s+/g, ' ').trim()
        if (seen.at(-1) !== text) seen.push(text)
      }
    }
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
  })
  return () => page.evaluate(() => (window as unknown as { __repeatStatus: string[] }).__repeatStatus)
}

/** Resolve once the peer holds `n` datagrams (awaited on its own events, bounded by the deadline). */
function datagrams(peer: UdpPeer, n: number) {
  return peer.waitFor(() => peer.datagrams.length >= n)
}

describe('panel: timed resend and checksums', () => {
  const suite = usePanelSuite()

  async function udpWithPeer(page: Page) {
    await waitLive(page)
    await startEndpoint(page, 'udp')
    await page.locator('[data-testid=endpoint-state][data-state=bound]').waitFor({ timeout: DEADLINE_MS })
    const peer = await UdpPeer.bind()
    suite.peers.push(peer)
    await page.getByTestId('send-to-host').fill('127.0.0.1')
    await page.getByTestId('send-to-port').fill(String(peer.port))
    return peer
  }

  it('repeat ×3 from the page: a real peer gets 3 copies with the checksum, the status shows and ends', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    const peer = await udpWithPeer(page)
    const port = Number(await page.getByTestId('endpoint-local').getAttribute('data-port'))
    await page.getByTestId('send-data').fill('123456789')
    await page.getByTestId('send-checksum').selectOption('crc16-modbus')
    await page.getByTestId('send-repeat').check()
    await page.getByTestId('send-repeat-interval').fill('150')
    await page.getByTestId('send-repeat-count').fill('3')
    const statuses = await recordRepeatStatus(page)
    await page.getByTestId('send-button').click()

    await datagrams(peer, 3)
    // The status went away once the third send was done…
    await page.getByTestId('send-repeat-status').waitFor({ state: 'detached', timeout: DEADLINE_MS })
    const seen = await statuses()
    expect(seen[0]).toMatch(new RegExp(`^Repeating to 127\\.0\\.0\\.1:${peer.port} every 150 ms… sent 1 of 3`))
    // …and a plain send afterwards is the very next datagram: there was no fourth copy.
    await page.getByTestId('send-repeat').uncheck()
    await page.getByTestId('send-checksum').selectOption('none')
    await page.getByTestId('send-data').fill('after')
    await page.getByTestId('send-button').click()
    await datagrams(peer, 4)
    // "123456789" has CRC-16/MODBUS 0x4B37, sent low byte first: 37 4B.
    expect(peer.datagrams.map((d) => d.data.toString('hex'))).toEqual([
      ...Array(3).fill(Buffer.from('123456789').toString('hex') + '374b'),
      Buffer.from('after').toString('hex'),
    ])
    expect(peer.datagrams.every((d) => d.from === port)).toBe(true)
  })

  it('repeat until stopped: the status counts up, Stop ends it for this and every other viewer', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    const peer = await udpWithPeer(page)
    const id = await selectedEndpointId(page)
    // A second viewer of the same gateway sees the status too (it comes from the endpoint info).
    const other = await suite.browser.openPage(suite.gw.url)
    await waitLive(other)
    await other.locator(`[data-testid=endpoint-item][data-endpoint-id="${id}"]`).click()

    await page.getByTestId('send-data').fill('beat')
    await page.getByTestId('send-repeat').check()
    await page.getByTestId('send-repeat-interval').fill('100')
    await page.getByTestId('send-repeat-count').fill('')
    await page.getByTestId('send-button').click()

    await page.getByTestId('send-repeat-status').waitFor({ timeout: DEADLINE_MS })
    await other.getByTestId('send-repeat-status').waitFor({ timeout: DEADLINE_MS })
    // Progress is pushed about once a second while it runs: wait for a count above 1.
    await expect
      .poll(async () => Number(await page.getByTestId('send-repeat-status').getAttribute('data-sent')), { timeout: DEADLINE_MS })
      .toBeGreaterThan(1)
    expect(await page.getByTestId('send-repeat-status').textContent()).toMatch(/every 100 ms… sent \d+/)

    await other.getByTestId('send-repeat-stop').click()
    await page.getByTestId('send-repeat-status').waitFor({ state: 'detached', timeout: DEADLINE_MS })
    await other.getByTestId('send-repeat-status').waitFor({ state: 'detached', timeout: DEADLINE_MS })

    // What the gateway recorded as sent by the repeat is exactly what the peer gets, then nothing more.
    const res = await fetch(`${suite.gw.url}/api/endpoints/${id}/events?limit=10000`)
    const { events } = (await res.json()) as { events: { type: string; direction?: string; origin?: string }[] }
    const sent = events.filter((e) => e.type === 'data' && e.direction === 'out' && e.origin === 'repeat').length
    await datagrams(peer, sent)
    // Grace window: three intervals of this 100 ms repeat; a timer that survived Stop would send within it.
    await new Promise((r) => setTimeout(r, 300))
    expect(peer.datagrams.length).toBe(sent)
  })
})
