import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { runPython } from '../../apps/gateway/test/peers.ts'
import { randomPayload, sha256 } from '../../apps/gateway/test/transfer-peers.ts'
import { DEADLINE_MS, selectedEndpointId, shownPort, startEndpoint, waitLive } from './panel-page.ts'

const here = path.dirname(fileURLToPath(import.meta.url))

/** The files area and a download server driven from the page, a real Python client downloading. */
describe('panel: file transfer', () => {
  let gw: GatewayProcess
  let browser: TestBrowser
  let work: string

  beforeAll(async () => {
    gw = await spawnGateway()
    browser = await launchBrowser()
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-panel-files-'))
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
    if (work) await fs.rm(work, { recursive: true, force: true })
  })

  it('uploads through the page, serves it, a client downloads it, and every browser sees 100% and the sha256', async () => {
    const payload = randomPayload(12 * 1024 * 1024 + 321)
    const digest = sha256(payload)
    const local = path.join(work, '课件 week1.bin')
    await fs.writeFile(local, payload)

    const page = await browser.openPage(gw.url)
    await waitLive(page)
    // Upload from this computer into the files area: the gateway answers with the sha256 of what it stored.
    await page.getByTestId('files-upload-input').setInputFiles(local)
    const upload = page.locator('[data-testid=files-upload][data-state=done]')
    await upload.waitFor({ timeout: DEADLINE_MS })
    expect(await upload.getByTestId('files-upload-sha256').textContent()).toBe(digest)
    const entry = page.locator('[data-testid=file-entry][data-name="课件 week1.bin"]')
    await entry.waitFor({ timeout: DEADLINE_MS })
    expect(await entry.getAttribute('data-size')).toBe(String(payload.length))

    // Start a download server for the files area from the create form.
    await startEndpoint(page, 'download-server')
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)

    // A second browser is watching too.
    const second = await browser.openPage(gw.url)
    await waitLive(second)

    // The tutorial's Python client downloads it.
    const out = path.join(work, 'out')
    await fs.mkdir(out)
    const run = await runPython([path.join(here, '../interop/files/python/download_client.py'), '127.0.0.1', String(port), '课件 week1.bin', out], { timeoutMs: 30_000 })
    expect(run.code, run.stderr).toBe(0)
    expect(sha256(await fs.readFile(path.join(work, 'out/课件 week1.bin')))).toBe(digest)

    // The endpoint's own view and the list of all transfers, in both browsers: done, 100%, the same sha256.
    for (const p of [page, second]) {
      const row = p.locator(`[data-testid=transfer-row][data-endpoint-id="${id}"][data-state=done]`).first()
      await row.waitFor({ timeout: DEADLINE_MS })
      expect(await row.getByTestId('transfer-percent').textContent()).toBe('100%')
      expect(await row.getByTestId('transfer-sha256').textContent()).toBe(digest)
      expect(await row.getByTestId('transfer-name').textContent()).toBe('课件 week1.bin')
    }
    const inPanel = page.locator(`[data-testid=transfer-detail] [data-testid=transfer-row][data-state=done]`)
    expect(await inPanel.count()).toBe(1)
    expect(await inPanel.locator('progress').evaluate((el) => (el as HTMLProgressElement).value)).toBe(100)
  })
})
