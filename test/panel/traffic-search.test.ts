import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { DEADLINE_MS, TcpPeer, dataRows, selectedEndpointId, shownPort, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'

/** Finding bytes in the traffic log: text in the view's encoding, hex, case, invalid hex, truncated rows. */
describe('panel: search the traffic log', () => {
  const suite = usePanelSuite()

  const connect = async (port: number) => {
    const p = await TcpPeer.connect(port)
    suite.peers.push(p)
    return p
  }

  /** Type a query and wait until the page applied it (the box waits for a pause in typing) and found `matches` rows. */
  async function search(page: Page, query: string, matches: number) {
    await page.getByTestId('log-search').fill(query)
    await page.locator(`[data-testid=log-search-count][data-matches="${matches}"][data-query="${query}"]`).waitFor({ timeout: DEADLINE_MS })
  }
  /** A fresh page with a TCP server started from it, a real client connected, and the log showing that server only. */
  async function serverWithClient() {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const id = await selectedEndpointId(page)
    const client = await connect(await shownPort(page))
    await page.getByTestId('log-filter-endpoint').selectOption(id)
    return { page, id, client }
  }

  /** The hex of every data row listed, in order (the view is switched to hex for this). */
  const shownPayloads = (page: Page) => dataRows(page).getByTestId('log-payload').allTextContents().then((all) => all.map((t) => t.trim()))

  it('finds text (any case), gbk text in the gbk view, and hex bytes; shows bad hex; clearing restores every row', async () => {
    const { page, id, client } = await serverWithClient()

    // One write per row: each waits for its row, so TCP cannot merge two into one chunk.
    const chunks = [
      Buffer.from('hello world\r\n'),
      Buffer.from('HELLO again\r\n'),
      Buffer.concat([Buffer.from('c4e3bac3', 'hex'), Buffer.from(' gbk\r\n')]), // 你好 gbk
      Buffer.from('deadbeef000d0aff', 'hex'),
      Buffer.from('unrelated line\n'),
    ]
    for (const [i, chunk] of chunks.entries()) {
      client.write(chunk)
      await expect.poll(() => dataRows(page, { endpointId: id, direction: 'in' }).count(), { timeout: DEADLINE_MS }).toBe(i + 1)
    }
    const allRows = await page.locator('[data-testid=log-row]').count()
    expect(allRows).toBeGreaterThan(chunks.length) // connection events too
    const hexOf = (b: Buffer) => b.toString('hex').replace(/(..)(?!$)/g, '$1 ')

    // Text, either case; only data rows are left, with the found bytes marked.
    await search(page, 'hello', 2)
    expect(await page.getByTestId('log-search').getAttribute('data-valid')).toBe('true')
    expect(await page.locator('[data-testid=log-row]:not([data-type=data])').count()).toBe(0)
    expect(await shownPayloads(page)).toEqual(['hello world\\r\\n', 'HELLO again\\r\\n'])
    expect(await page.getByTestId('log-hit').allTextContents()).toEqual(['hello', 'HELLO'])
    // "events too" brings the connection's events back, the search still narrows the data rows.
    await page.getByTestId('log-search-events').check()
    await page.locator('[data-testid=log-row][data-type=connection-opened]').waitFor({ timeout: DEADLINE_MS })
    expect(await dataRows(page).count()).toBe(2)
    await page.getByTestId('log-search-events').uncheck()
    await page.locator('[data-testid=log-row]:not([data-type=data])').first().waitFor({ state: 'detached', timeout: DEADLINE_MS })

    // gbk text: found in the gbk view (its bytes are gbk), not in utf-8 (where 你好 is other bytes).
    await search(page, '你好', 0)
    expect(await dataRows(page).count()).toBe(0)
    await page.getByTestId('view-encoding').selectOption('gbk')
    await page.locator('[data-testid=log-search-count][data-matches="1"]').waitFor({ timeout: DEADLINE_MS })
    expect(await shownPayloads(page)).toEqual(['你好 gbk\\r\\n'])
    expect(await page.getByTestId('log-hit').allTextContents()).toEqual(['你好'])

    // Hex: exact bytes, marked in the hex view.
    await page.getByTestId('view-encoding').selectOption('hex')
    await search(page, 'hex: 0d 0a', 4)
    expect(await shownPayloads(page)).toEqual(chunks.slice(0, 4).map(hexOf))
    await search(page, 'hex: de ad be ef', 1)
    expect(await shownPayloads(page)).toEqual([hexOf(chunks[3]!)])
    expect(await page.getByTestId('log-hit').allTextContents()).toEqual(['de ad be ef'])
    await search(page, 'hex: ff', 1)
    expect(await page.getByTestId('log-hit').allTextContents()).toEqual(['ff'])

    // Invalid hex: the box says so and nothing is filtered.
    await page.getByTestId('log-search').fill('hex: 0d 0g')
    const error = page.getByTestId('log-search-error')
    await error.waitFor({ timeout: DEADLINE_MS })
    expect(await error.textContent()).toContain('0g')
    expect(await page.getByTestId('log-search').getAttribute('data-valid')).toBe('false')
    expect(await page.getByTestId('log-search-count').count()).toBe(0)
    expect(await page.locator('[data-testid=log-row]').count()).toBe(allRows)

    // Clearing the box restores every row, events included.
    await search(page, 'hello', 2)
    await page.getByTestId('log-search').fill('')
    await page.getByTestId('log-search-count').waitFor({ state: 'detached', timeout: DEADLINE_MS })
    expect(await page.locator('[data-testid=log-row]').count()).toBe(allRows)
    expect(await dataRows(page).count()).toBe(chunks.length)
    expect(await page.getByTestId('log-hit').count()).toBe(0)
    expect(await page.getByTestId('log-search').getAttribute('data-valid')).toBe('true')
  })

  it('says which rows were searched only in part: those that arrived truncated (live payload budget)', async () => {
    const { page, id, client } = await serverWithClient()

    // 4 MiB at once is beyond a viewer's 2 MiB/s of full payloads: later chunks come with their first bytes only.
    // "needle!" repeats, so every chunk's first bytes hold it wherever TCP cut the stream.
    const total = 4 * 1024 * 1024
    client.write(Buffer.from('needle!'.repeat(Math.ceil(total / 7)).slice(0, total)))
    await page.getByTestId('log-search').fill('NEEDLE')
    // The list follows the newest rows: the truncated ones are in view, each saying it was searched in part.
    await page.getByTestId('log-partial').first().waitFor({ timeout: DEADLINE_MS })
    const partial = page.getByTestId('log-search-partial')
    expect(await partial.textContent()).toMatch(/\d+ rows? searched in part/)
    // Every row matched, the truncated ones included (their first bytes hold the needle); the events are hidden.
    const rowCount = async () => Number((await page.getByTestId('log-count').textContent())!.match(/\d+/)![0])
    const matchCount = async () => Number(await page.getByTestId('log-search-count').getAttribute('data-matches'))
    const stats = async () => ((await (await fetch(`${suite.gw.url}/api/endpoints/${id}`)).json()) as { stats: { bytesIn: number } }).stats.bytesIn
    await expect.poll(stats, { timeout: DEADLINE_MS }).toBe(total)
    await expect.poll(async () => (await matchCount()) === (await rowCount()), { timeout: DEADLINE_MS }).toBe(true)
    expect(await matchCount()).toBeGreaterThan(1)
    expect(await page.locator('[data-testid=log-row]:not([data-type=data])').count()).toBe(0)
    // A needle that is nowhere in the bytes the page has finds nothing, truncated rows included.
    await search(page, 'haystack', 0)
    expect(await page.getByTestId('log-search-partial').count()).toBe(1)
  })
})
