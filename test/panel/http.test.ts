import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { DEADLINE_MS, dataRows, selectedEndpointId, shownPort, startEndpoint, waitLive } from './panel-page.ts'

/** A 1×1 PNG (one pixel), enough for the browser to decode and lay out. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c636068f8ff1f000482027fe7d85a6c0000000049454e44ae426082',
  'hex',
)

/** The static HTTP server started from the panel, loaded by a real Chromium page, watched in the panel. */
describe('panel: static HTTP server', () => {
  let gw: GatewayProcess
  let browser: TestBrowser

  beforeAll(async () => {
    gw = await spawnGateway()
    const site = path.join(gw.dataDir, 'files', 'site')
    await fs.mkdir(path.join(site, 'img'), { recursive: true })
    await fs.writeFile(
      path.join(site, 'index.html'),
      '<!doctype html><html><head><meta charset="utf-8"><title>socklab page</title><link rel="stylesheet" href="style.css"></head>' +
        '<body><h1 id="title">你好, socklab</h1><img id="logo" src="img/logo.png" alt="logo"></body></html>\n',
    )
    await fs.writeFile(path.join(site, 'style.css'), 'h1 { color: rgb(255, 0, 0); }\n')
    await fs.writeFile(path.join(site, 'img', 'logo.png'), PNG)
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
  })

  it('serves a page with its stylesheet and image to Chromium, and the panel shows each request live', async () => {
    const panel = await browser.openPage(gw.url)
    await waitLive(panel)
    await startEndpoint(panel, 'http-static', { 'opt-folder': 'site' })
    const port = await shownPort(panel)
    const id = await selectedEndpointId(panel)
    const url = `http://127.0.0.1:${port}/`
    expect(await panel.getByTestId('http-open').getAttribute('href')).toBe(url)

    // A student's browser opens the page: the stylesheet applies and the image decodes.
    const student = await browser.openPage(url)
    await student.waitForLoadState('load')
    expect(await student.title()).toBe('socklab page')
    expect(await student.locator('#title').textContent()).toBe('你好, socklab')
    expect(await student.locator('#title').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(255, 0, 0)')
    expect(await student.locator('#logo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1)

    // The panel lists the three requests with their status.
    for (const u of ['/', '/style.css', '/img/logo.png']) {
      await panel.locator(`[data-testid=http-request][data-url="${u}"][data-status="200"]`).waitFor({ timeout: DEADLINE_MS })
    }
    // Headers on click…
    await panel.locator('[data-testid=http-request][data-url="/style.css"]').click()
    await panel.getByTestId('http-headers').filter({ hasText: 'content-type: text/css; charset=utf-8' }).waitFor({ timeout: DEADLINE_MS })
    // …and the raw request bytes in the traffic log, filtered to that connection.
    await panel.locator('[data-testid=http-request][data-url="/"]').getByTestId('http-raw').click()
    await dataRows(panel, { endpointId: id, direction: 'in', text: 'GET / HTTP/1.1' }).first().waitFor({ timeout: DEADLINE_MS })
    // The request line is also in the log as an http-request row.
    await panel.locator(`[data-testid=log-row][data-type=http-request][data-endpoint-id="${id}"]`).filter({ hasText: 'GET /style.css → 200' }).waitFor({ timeout: DEADLINE_MS })
  })

  it('a missing file shows as 404 in the panel, and fixed-response mode answers like the tutorial server', async () => {
    const panel = await browser.openPage(gw.url)
    await waitLive(panel)
    await startEndpoint(panel, 'http-static', { 'opt-folder': 'site' })
    const port = await shownPort(panel)
    const missing = await fetch(`http://127.0.0.1:${port}/nope.html`)
    expect(missing.status).toBe(404)
    await panel.locator('[data-testid=http-request][data-url="/nope.html"][data-status="404"]').waitFor({ timeout: DEADLINE_MS })

    await panel.getByTestId('create-kind-http-static').click()
    await panel.getByTestId('opt-http-mode').selectOption('fixed')
    await panel.getByTestId('opt-fixed-body').fill('hello world')
    const before = await panel.getByTestId('endpoint-item').count()
    await panel.getByTestId('create-submit').click()
    await panel.getByTestId('endpoint-item').nth(before).waitFor({ timeout: DEADLINE_MS })
    await panel.getByTestId('http-mode').filter({ hasText: 'hello world' }).waitFor({ timeout: DEADLINE_MS })
    const fixedPort = await shownPort(panel)
    const page = await browser.openPage(`http://127.0.0.1:${fixedPort}/any/path`)
    expect(await page.locator('body').textContent()).toBe('hello world')
    await panel.locator('[data-testid=http-request][data-url="/any/path"][data-status="200"]').waitFor({ timeout: DEADLINE_MS })
  })

  it('a folder outside the files area is refused in the form, with the field named', async () => {
    const panel = await browser.openPage(gw.url)
    await waitLive(panel)
    await panel.getByTestId('create-kind-http-static').click()
    await panel.getByTestId('opt-folder').fill('../..')
    await panel.getByTestId('create-submit').click()
    await panel.locator('[data-testid=create-error] [data-code=EVALIDATION]').waitFor({ timeout: DEADLINE_MS })
    await panel.locator('[data-field=folder].invalid').waitFor({ timeout: DEADLINE_MS })
  })
})
