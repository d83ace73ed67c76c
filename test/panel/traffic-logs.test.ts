import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { DEADLINE_MS, TcpPeer, waitLive } from './panel-page.ts'
import { Client } from '../security/classroom-clients.ts'

/** The instructor's "Traffic logs" list, against the built gateway: old logs of removed endpoints, download, delete, the quota. */
describe('panel: traffic logs folder', () => {
  let gw: GatewayProcess
  let browser: TestBrowser
  const peers: TcpPeer[] = []

  beforeAll(async () => {
    gw = await spawnGateway({ SOCKLAB_TRAFFIC_LOGS_MAX_BYTES: String(1024 * 1024) })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    for (const p of peers) p.destroy()
    await browser?.close()
    await gw?.stop()
  })

  it('lists a removed endpoint\'s log with the folder total against the quota, downloads it, deletes it; a log being written cannot be', async () => {
    const api = Client.anonymous(gw.url)
    // A log whose endpoint is gone: only the logs folder still reaches it.
    const old = (await api.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, log: true, reply: { mode: 'echo' } })).body
    const client = await TcpPeer.connect(old.local.port)
    peers.push(client)
    client.write('kept after removal\r\n')
    await client.waitForText('kept after removal\r\n')
    expect((await api.api('DELETE', `/api/endpoints/${old.id}`)).status).toBe(204)
    const file = old.log.file as string
    const size = (await fs.stat(path.join(gw.dataDir, 'logs', file))).size

    const page = await browser.openPage(gw.url)
    await waitLive(page)
    const entry = page.locator(`[data-testid=log-entry][data-name="${file}"]`)
    await entry.waitFor({ timeout: DEADLINE_MS })
    expect(await entry.getAttribute('data-active')).toBe('false')
    expect(await entry.getAttribute('data-size')).toBe(String(size))
    const usage = page.getByTestId('logs-usage')
    expect(await usage.getAttribute('data-total')).toBe(String(size))
    expect(await usage.getAttribute('data-max')).toBe(String(1024 * 1024))
    expect(await usage.textContent()).toContain(`${size} B of 1.0 MiB`)

    // Download: its own name, what the file holds.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: DEADLINE_MS }), entry.getByTestId('log-download').click()])
    expect(download.suggestedFilename()).toBe(file)
    const text = await fs.readFile((await download.path())!, 'utf8')
    expect(text).toBe(await fs.readFile(path.join(gw.dataDir, 'logs', file), 'utf8'))
    expect(text).toContain('"kept after removal\\r\\n"')
    expect(text).toMatch(new RegExp(`${old.id} -- stopped and removed\\n$`))

    // A log started now shows up by itself (the endpoints' snapshots trigger a reload), marked as being written.
    const running = (await api.api('POST', '/api/endpoints', { kind: 'udp', port: 0, log: true })).body
    const live = page.locator(`[data-testid=log-entry][data-name="${running.log.file}"][data-active=true]`)
    await live.waitFor({ timeout: DEADLINE_MS })
    expect(await live.getByTestId('log-delete').isDisabled()).toBe(true)

    // Delete the old one: gone from the list, the disk and the total.
    await entry.getByTestId('log-delete').click()
    await entry.waitFor({ state: 'detached', timeout: DEADLINE_MS })
    await expect(fs.access(path.join(gw.dataDir, 'logs', file))).rejects.toThrow()
    // The total is now the running log's alone.
    await page.waitForFunction(
      () => {
        const entries = document.querySelectorAll('[data-testid=log-entry]')
        const total = document.querySelector('[data-testid=logs-usage]')?.getAttribute('data-total')
        return entries.length === 1 && total === entries[0]!.getAttribute('data-size')
      },
      undefined,
      { timeout: DEADLINE_MS },
    )
    await api.api('DELETE', `/api/endpoints/${running.id}`)
  })

  it('speaks Chinese too', async () => {
    const page = await browser.openPage(gw.url, { locale: 'zh-CN' })
    await waitLive(page)
    await page.getByTestId('logs-panel').filter({ hasText: '通信日志' }).waitFor({ timeout: DEADLINE_MS })
  })
})
