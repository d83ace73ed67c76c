/**
 * A class in real headless Chromium against the built gateway with auth on: the instructor opens the
 * printed login link; a student joins with the printed class code in a second browser context and
 * sees only what they may; sharing and revoking take effect live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { dataRows, DEADLINE_MS, startEndpoint, TcpPeer, UdpPeer, waitLive } from '../panel/panel-page.ts'
import { Client } from './classroom-clients.ts'

describe('classroom in the browser', () => {
  let gw: GatewayProcess
  let browser: TestBrowser
  let loginUrl: string
  let token: string
  let classCode: string

  beforeAll(async () => {
    gw = await spawnGateway({ SOCKLAB_AUTH: 'on' })
    const link = gw.output().match(/socklab instructor login: (\S+\?token=(\S+))/)
    const code = gw.output().match(/socklab class code: (\S+)/)
    if (!link || !code) throw new Error(`no login link or class code printed:\n${gw.output()}`)
    ;[, loginUrl, token] = link as unknown as [string, string, string]
    classCode = code[1]!
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
  })

  const listed = (page: Page) => page.getByTestId('endpoint-item')
  const item = (page: Page, id: string) => page.locator(`[data-testid=endpoint-item][data-endpoint-id="${id}"]`)
  /** Select an endpoint in the list and wait until its panel (with its controls, or the watch-only note) is shown. */
  async function open(page: Page, id: string) {
    await item(page, id).click()
    await page.locator(`[data-testid=endpoint-panel][data-endpoint-id="${id}"]`).waitFor({ timeout: DEADLINE_MS })
    return page.getByTestId('endpoint-panel')
  }
  /** The panel of the selected endpoint offers no control: no actions, no Stop, no send box, no per-connection buttons. */
  async function expectWatchOnly(page: Page) {
    const panel = page.getByTestId('endpoint-panel')
    await panel.getByTestId('watch-only').waitFor({ timeout: DEADLINE_MS })
    for (const control of ['action-stop', 'send-box', 'send-button', 'connection-end', 'connection-destroy', 'connection-send-to']) {
      expect(await panel.getByTestId(control).count(), control).toBe(0)
    }
  }

  it('instructor via the printed link, student via the class code; each sees what they may, live', async () => {
    // The instructor: the link signs in and the token leaves the address bar; the cookie is not readable by scripts.
    const teacher = await browser.openPage(loginUrl)
    await waitLive(teacher)
    expect(teacher.url()).toBe(`${gw.url}/`)
    await expect(teacher.getByTestId('session-user').textContent()).resolves.toBe('instructor')
    expect(await teacher.evaluate(() => document.cookie)).toBe('')

    // Two endpoints of the instructor's (made by a script with the same token).
    const script = Client.bearer(gw.url, token)
    const privateOne = (await script.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0, name: 'teacher-private' })).body
    const demo = (await script.api('POST', '/api/endpoints', { kind: 'tcp-server', host: '127.0.0.1', port: 0, name: 'demo' })).body
    await item(teacher, demo.id).waitFor({ timeout: DEADLINE_MS })

    // The student: a fresh browser context lands on the sign-in page, joins with the class code.
    const student = await browser.openPage(gw.url)
    await student.getByTestId('login-view').waitFor({ timeout: DEADLINE_MS })
    await student.getByTestId('join-code').fill(classCode.toLowerCase())
    await student.getByTestId('join-name').fill('Ann')
    await student.getByTestId('join-submit').click()
    await waitLive(student)
    await expect(student.getByTestId('session-user').textContent()).resolves.toBe('Ann')
    expect(await listed(student).count()).toBe(0) // nothing of the instructor's is visible

    // Ann starts her own server from the panel; it shows her as owner, on both screens.
    await startEndpoint(student, 'tcp-server', { 'opt-port': '0' })
    const annsId = (await listed(student).first().getAttribute('data-endpoint-id'))!
    // Her own: the send box, Stop, and no watch-only note.
    const annsPanel = await open(student, annsId)
    await annsPanel.getByTestId('send-button').waitFor({ timeout: DEADLINE_MS })
    await annsPanel.getByTestId('action-stop').waitFor({ timeout: DEADLINE_MS })
    expect(await annsPanel.getByTestId('watch-only').count()).toBe(0)
    await expect(item(student, annsId).getByTestId('endpoint-owner').textContent()).resolves.toContain('Ann')
    await item(teacher, annsId).getByTestId('endpoint-owner').filter({ hasText: 'Ann' }).waitFor({ timeout: DEADLINE_MS })

    // The student's browser cannot touch the instructor's endpoint even by hand-made requests.
    const poke = await student.evaluate(async (id) => (await fetch(`/api/endpoints/${id}`, { method: 'DELETE' })).status, privateOne.id)
    expect(poke).toBe(403)

    // The instructor shares the demo from the Class dialog: it appears for Ann, marked shared; the private one never does.
    await teacher.getByTestId('open-classroom').click()
    await teacher.locator('[data-testid=person-row][data-person="Ann"]').waitFor({ timeout: DEADLINE_MS })
    await teacher.locator(`[data-testid=share-row][data-endpoint-id="${demo.id}"] [data-testid=share]`).click()
    await item(student, demo.id).waitFor({ timeout: DEADLINE_MS })
    await expect(item(student, demo.id).getByTestId('endpoint-owner').textContent()).resolves.toContain('instructor')
    expect(await item(student, privateOne.id).count()).toBe(0)
    // Ann watches the shared demo: a client is connected, but she gets no send box and no buttons to close it.
    const demoClient = await TcpPeer.connect(demo.local.port)
    try {
      const demoPanel = await open(student, demo.id)
      await demoPanel.getByTestId('connection-row').first().waitFor({ timeout: DEADLINE_MS })
      await expectWatchOnly(student)
      await expect(demoPanel.getByTestId('watch-only').textContent()).resolves.toContain('instructor')
      // …while the instructor, on the same endpoint, has them all (the Class dialog closed for a moment).
      await teacher.getByTestId('classroom-close').click()
      const teachersView = await open(teacher, demo.id)
      await teachersView.getByTestId('connection-destroy').first().waitFor({ timeout: DEADLINE_MS })
      await teachersView.getByTestId('send-button').waitFor({ timeout: DEADLINE_MS })
      expect(await teachersView.getByTestId('watch-only').count()).toBe(0)
    } finally {
      demoClient.destroy()
    }
    // The create form stays hers: students create their own endpoints.
    expect(await student.getByTestId('create-form').count()).toBe(1)
    const send = await student.evaluate(async (id) => (await fetch(`/api/endpoints/${id}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":"x"}' })).status, demo.id)
    expect(send).toBe(403) // shared means watch

    // Unsharing takes it away again.
    await teacher.getByTestId('open-classroom').click()
    await teacher.locator(`[data-testid=share-row][data-endpoint-id="${demo.id}"] [data-testid=unshare]`).click()
    await item(student, demo.id).waitFor({ state: 'detached', timeout: DEADLINE_MS })

    // The audit log shows who did what.
    await teacher.getByTestId('audit-refresh').click()
    await teacher.locator('[data-testid=audit-row][data-action="endpoint.create"]').filter({ hasText: 'Ann' }).first().waitFor({ timeout: DEADLINE_MS })
    await teacher.locator('[data-testid=audit-row][data-action="endpoint.share"]').first().waitFor({ timeout: DEADLINE_MS })

    // Revoking Ann: her page learns at once that the session has ended.
    await teacher.locator('[data-testid=person-row][data-person="Ann"] [data-testid=revoke]').click()
    await student.getByTestId('session-ended').waitFor({ timeout: DEADLINE_MS })
    expect(await student.evaluate(async () => (await fetch('/api/endpoints')).status)).toBe(401)
  })

  it('an observer joins, sees only what is shared, and is offered nothing to change', async () => {
    const script = Client.bearer(gw.url, token)
    const shown = (await script.api('POST', '/api/endpoints', { kind: 'udp', host: '127.0.0.1', port: 0, name: 'on the projector' })).body
    await script.api('POST', `/api/endpoints/${shown.id}/share`, { shared: true })
    const page = await browser.openPage(gw.url)
    await page.getByTestId('join-code').fill(classCode)
    await page.getByTestId('join-name').fill('Olga')
    await page.getByTestId('join-role').selectOption('observer')
    await page.getByTestId('join-submit').click()
    await waitLive(page)
    await item(page, shown.id).waitFor({ timeout: DEADLINE_MS })
    const ids = await listed(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-endpoint-id')))
    const visible = (await script.api('GET', '/api/endpoints')).body.filter((e: any) => e.shared).map((e: any) => e.id)
    expect(ids.sort()).toEqual(visible.sort())
    // No create form, but a note saying why.
    await page.getByTestId('create-watch-only').waitFor({ timeout: DEADLINE_MS })
    expect(await page.getByTestId('create-form').count()).toBe(0)
    // The shared endpoint: watched, with no send box, no actions and no Reply on the datagrams it received.
    await open(page, shown.id)
    await expectWatchOnly(page)
    const peer = await UdpPeer.bind()
    try {
      await peer.send('hello projector', shown.local.port)
      const row = dataRows(page, { endpointId: shown.id, direction: 'in', text: 'hello projector' })
      await row.first().waitFor({ timeout: DEADLINE_MS })
      expect(await row.first().getByTestId('log-reply').count()).toBe(0)
      // The instructor's own screen has Reply on the same row: the button is left out, not missing everywhere.
      const teacher = await browser.openPage(loginUrl)
      await waitLive(teacher)
      await dataRows(teacher, { endpointId: shown.id, direction: 'in', text: 'hello projector' }).first().getByTestId('log-reply').waitFor({ timeout: DEADLINE_MS })
    } finally {
      await peer.close()
    }
    // The gateway stays the authority: a hand-made create is still refused.
    const created = await page.evaluate(async () => {
      const res = await fetch('/api/endpoints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"udp","port":0}' })
      return { status: res.status, code: (await res.json()).error?.code }
    })
    expect(created).toEqual({ status: 403, code: 'EFORBIDDEN' })
  })

  it('a wrong class code is shown on the sign-in page', async () => {
    const page = await browser.openPage(gw.url)
    await page.getByTestId('join-code').fill('WRONG-CODE')
    await page.getByTestId('join-name').fill('Mallory')
    await page.getByTestId('join-submit').click()
    await page.locator('[data-testid=join-form] [data-code=EAUTH]').waitFor({ timeout: DEADLINE_MS })
  })
})
