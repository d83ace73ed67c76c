import fs from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { spawnGateway } from '../helpers/gateway-process.ts'
import { DEADLINE_MS, TcpPeer, selectedEndpointId, shownPort, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'
import { Client } from '../security/classroom-clients.ts'

/** Resolve once the page shows at least `n` for a log count (`events` / `bytes`), as the snapshots bring it. */
function countAtLeast(page: Page, what: 'events' | 'bytes', n: number) {
  return page.waitForFunction(
    ([what, n]) => Number(document.querySelector(`[data-testid=disk-log-${what}]`)?.getAttribute(`data-${what}`) ?? -1) >= (n as number),
    [what, n] as const,
    { timeout: DEADLINE_MS },
  )
}

/** "Log to disk" from the page, against the built gateway and a real TCP client. */
describe('panel: log to disk', () => {
  const suite = usePanelSuite()

  it('turns logging on from the page: the link appears, the counts grow with real traffic, the download holds it', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)
    // No log yet: the toggle alone.
    await page.locator('[data-testid=disk-log][data-state=none]').waitFor({ timeout: DEADLINE_MS })
    expect(await page.getByTestId('disk-log-download').count()).toBe(0)

    await page.getByTestId('disk-log-toggle').check()
    await page.locator('[data-testid=disk-log][data-state=on]').waitFor({ timeout: DEADLINE_MS })
    const link = page.getByTestId('disk-log-download')
    await link.waitFor({ timeout: DEADLINE_MS })
    const file = (await link.textContent())!.trim()
    expect(file).toMatch(new RegExp(`^${id}-tcp-server-${port}-\\d{8}-\\d{6}\\.log$`))
    expect(await page.getByTestId('disk-log-events').getAttribute('data-events')).toBe('0')

    const client = await TcpPeer.connect(port)
    suite.peers.push(client)
    client.write('hello from the device\r\n')
    // Accepted + the bytes: two lines, shown by the next snapshot.
    await countAtLeast(page, 'events', 2)
    const shownBytes = Number(await page.getByTestId('disk-log-bytes').getAttribute('data-bytes'))
    client.write(Buffer.from([0x01, 0x02, 0xfe]))
    await countAtLeast(page, 'events', 3)
    await countAtLeast(page, 'bytes', shownBytes + 1)
    expect(await page.getByTestId('disk-log-dropped').getAttribute('data-dropped')).toBe('0')

    // The link downloads the file, by its name, with what was recorded.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: DEADLINE_MS }), link.click()])
    expect(download.suggestedFilename()).toBe(file)
    const text = await fs.readFile((await download.path())!, 'utf8')
    expect(text).toMatch(new RegExp(`^# socklab traffic log of ${id} \\(tcp-server\\) on 127\\.0\\.0\\.1:${port}`))
    expect(text).toMatch(new RegExp(` c\\d+ -- 127\\.0\\.0\\.1:${client.localPort} accepted on 127\\.0\\.0\\.1:${port}\\n`))
    expect(text).toContain(`<- 127.0.0.1:${client.localPort} 23 bytes "hello from the device\\r\\n" | 68 65 6c 6c 6f`)
    expect(text).toContain(`<- 127.0.0.1:${client.localPort} 3 bytes "\\x01\\x02\ufffd" | 01 02 fe`)
    // The same file is in the gateway's data folder.
    expect(await fs.readFile(path.join(suite.gw.dataDir, 'logs', file), 'utf8')).toContain('hello from the device')

    // Off: the box clears, the last file stays downloadable.
    await page.getByTestId('disk-log-toggle').uncheck()
    await page.locator('[data-testid=disk-log][data-state=off]').waitFor({ timeout: DEADLINE_MS })
    expect((await link.textContent())!.trim()).toBe(file)
  })

  it('someone who only watches gets the file and the counts, not the toggle', async () => {
    const classGw = await spawnGateway({ SOCKLAB_AUTH: 'on', SOCKLAB_TOKEN: 'disk-log-token-51', SOCKLAB_CLASS_CODE: 'LOGS-CLASS' })
    try {
      const script = Client.bearer(classGw.url, 'disk-log-token-51')
      const ep = (await script.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0, log: true })).body
      await script.api('POST', `/api/endpoints/${ep.id}/share`, { shared: true })

      const page = await suite.browser.openPage(classGw.url)
      await page.getByTestId('login-view').waitFor({ timeout: DEADLINE_MS })
      await page.getByTestId('join-code').fill('LOGS-CLASS')
      await page.getByTestId('join-name').fill('Olga')
      await page.getByTestId('join-role').selectOption('observer')
      await page.getByTestId('join-submit').click()
      await waitLive(page)
      await page.locator(`[data-testid=endpoint-item][data-endpoint-id="${ep.id}"]`).click()
      const row = page.locator('[data-testid=disk-log][data-state=on]')
      await row.waitFor({ timeout: DEADLINE_MS })
      expect(await page.getByTestId('disk-log-toggle').count()).toBe(0)
      // The session cookie is enough to download it.
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: DEADLINE_MS }), page.getByTestId('disk-log-download').click()])
      expect(download.suggestedFilename()).toBe(ep.log.file)
      expect(await fs.readFile((await download.path())!, 'utf8')).toContain(`# socklab traffic log of ${ep.id} (udp)`)
    } finally {
      await classGw.stop()
    }
  })

  it('speaks Chinese too', async () => {
    const page = await suite.browser.openPage(suite.gw.url, { locale: 'zh-CN' })
    await waitLive(page)
    await startEndpoint(page, 'udp')
    await page.getByTestId('disk-log').filter({ hasText: '记录到文件' }).waitFor({ timeout: DEADLINE_MS })
  })
})
