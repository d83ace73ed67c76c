import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { DEADLINE_MS, TcpPeer, buttonsOutsideTable, dataRows, selectedEndpointId, shownPort, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'

/** The panel driving TCP servers and clients against real sockets, in a real Chromium. */
describe('panel: TCP', () => {
  const servers: net.Server[] = []
  const suite = usePanelSuite({ cleanup: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) })

  const connect = async (port: number) => {
    const p = await TcpPeer.connect(port)
    suite.peers.push(p)
    return p
  }

  it('starts a server from the page; a real client talks to it; a second browser sees the same, live', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server', { 'opt-greeting': 'Welcome to study socket!' })
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)
    expect(port).toBeGreaterThan(0)

    const client = await connect(port)
    await client.waitForText('Welcome to study socket!')
    await page.locator(`[data-testid=connection-row] >> text=127.0.0.1:${client.localPort}`).waitFor({ timeout: DEADLINE_MS })
    client.write('hello from a real client')
    await dataRows(page, { endpointId: id, direction: 'in', text: 'hello from a real client' }).waitFor({ timeout: DEADLINE_MS })

    // Reply from the page's send box; the client gets exactly those bytes.
    await page.getByTestId('send-data').fill('reply from the page')
    await page.getByTestId('send-button').click()
    await client.waitForText('reply from the page')
    await page.getByTestId('send-result').waitFor({ timeout: DEADLINE_MS })
    await dataRows(page, { endpointId: id, direction: 'out', text: 'reply from the page' }).waitFor({ timeout: DEADLINE_MS })

    // A browser that arrives later gets the history, then sees new traffic live.
    const second = await suite.browser.openPage(suite.gw.url)
    await waitLive(second)
    await dataRows(second, { endpointId: id, direction: 'in', text: 'hello from a real client' }).waitFor({ timeout: DEADLINE_MS })
    await second.locator(`[data-testid=endpoint-item][data-endpoint-id="${id}"]`).click()
    await second.locator('[data-testid=connection-row][data-state=open]').waitFor({ timeout: DEADLINE_MS })
    client.write('live for everyone')
    await dataRows(page, { endpointId: id, text: 'live for everyone' }).waitFor({ timeout: DEADLINE_MS })
    await dataRows(second, { endpointId: id, text: 'live for everyone' }).waitFor({ timeout: DEADLINE_MS })

    // The client half-closes: the server answers FIN with FIN; both pages show the connection closed.
    client.socket.end()
    for (const p of [page, second]) {
      await p.locator('[data-testid=connection-row][data-state=closed]').waitFor({ timeout: DEADLINE_MS })
      await p.locator('[data-testid=log-row][data-type=connection-state]').filter({ hasText: 'FIN received' }).first().waitFor({ timeout: DEADLINE_MS })
    }
    await client.waitForClose()
  })

  it('shows gbk bytes as 你好 in the gbk view and as mojibake in utf-8, switchable after the fact', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const id = await selectedEndpointId(page)
    const client = await connect(await shownPort(page))
    client.write(Buffer.from('c4e3bac3', 'hex')) // 你好 in gbk
    const row = dataRows(page, { endpointId: id, direction: 'in' }).last()
    await row.waitFor({ timeout: DEADLINE_MS })
    const payload = row.getByTestId('log-payload')

    await page.getByTestId('view-encoding').selectOption('gbk')
    await page.waitForFunction((el) => el?.textContent?.trim() === '你好', await payload.elementHandle(), { timeout: DEADLINE_MS })
    await page.getByTestId('view-encoding').selectOption('utf-8')
    await page.waitForFunction((el) => el?.textContent?.includes('\uFFFD') && !el.textContent.includes('你好'), await payload.elementHandle(), {
      timeout: DEADLINE_MS,
    })
    await page.getByTestId('view-encoding').selectOption('hex')
    expect((await payload.textContent())?.trim()).toBe('c4 e3 ba c3')

    // A long chunk is one truncated line until expanded.
    client.write('y'.repeat(500))
    const long = dataRows(page, { endpointId: id, direction: 'in' }).filter({ hasText: '500 B' })
    await long.waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('view-encoding').selectOption('latin1')
    const longPayload = long.getByTestId('log-payload')
    expect(await longPayload.textContent()).toContain('300 more bytes')
    expect(await longPayload.textContent()).not.toContain('y'.repeat(201))
    await long.getByTestId('log-expand').click()
    await longPayload.filter({ hasText: 'y'.repeat(500) }).waitFor({ timeout: DEADLINE_MS })
  })

  it('sends hex typed in the page as exact bytes, and shows bad hex at once and as the gateway says', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server')
    const client = await connect(await shownPort(page))
    await page.locator('[data-testid=connection-row][data-state=open]').waitFor({ timeout: DEADLINE_MS })

    await page.getByTestId('send-encoding').selectOption('hex')
    await page.getByTestId('send-line-ending').selectOption('crlf')
    await page.getByTestId('send-data').fill('48 65 6c 6c 6f 0x00,0xff')
    await page.locator('[data-testid=send-hint][data-valid=true]').filter({ hasText: '9' }).waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('send-button').click()
    const expected = Buffer.from('48656c6c6f00ff0d0a', 'hex')
    await client.waitForText(expected)
    expect(client.received.subarray(client.received.length - expected.length)).toEqual(expected)

    await page.getByTestId('send-line-ending').selectOption('none')
    await page.getByTestId('send-data').fill('48 6g')
    await page.locator('[data-testid=send-hint][data-valid=false]').waitFor({ timeout: DEADLINE_MS })
    const before = client.received.length
    await page.getByTestId('send-button').click()
    await page.locator('[data-testid=send-error] [data-code=EBADHEX]').waitFor({ timeout: DEADLINE_MS })
    expect(client.received.length).toBe(before)
  })

  it('shows EADDRINUSE next to the form when the port is taken', async () => {
    const holder = net.createServer()
    servers.push(holder)
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const busy = (holder.address() as net.AddressInfo).port

    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await page.getByTestId('create-kind-tcp-server').click()
    await page.getByTestId('opt-port').fill(String(busy))
    await page.getByTestId('create-submit').click()
    const error = page.locator('[data-testid=create-error] [data-code=EADDRINUSE]')
    await error.waitFor({ timeout: DEADLINE_MS })
    expect(await error.textContent()).toContain(String(busy))
    // Nothing half-made is left behind.
    const list = (await (await fetch(`${suite.gw.url}/api/endpoints`)).json()) as { local?: { port: number } }[]
    expect(list.some((e) => e.local?.port === busy)).toBe(false)
  })

  it('serves many clients: send to one, FIN one, destroy one, stop listening while they keep talking', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-server', { 'opt-reply-mode': 'upper' })
    const port = await shownPort(page)
    const a = await connect(port)
    const b = await connect(port)
    const rowOf = (p: TcpPeer) => page.locator('[data-testid=connection-row]').filter({ hasText: `127.0.0.1:${p.localPort}` })
    await rowOf(a).waitFor({ timeout: DEADLINE_MS })
    await rowOf(b).waitFor({ timeout: DEADLINE_MS })

    // On a 1024×768 projector every action of every connection is in view: none hides behind a horizontal scroll.
    await page.setViewportSize({ width: 1024, height: 768 })
    expect(await rowOf(a).getByRole('button').count()).toBe(3)
    expect(await buttonsOutsideTable(page.getByTestId('connections'), '[data-testid=connection-row]')).toEqual([])
    expect(await rowOf(a).getByRole('button', { name: 'Send to' }).getAttribute('data-testid')).toBe('connection-send-to')
    await page.setViewportSize({ width: 1440, height: 900 })

    // Auto-reply (upper-case echo).
    a.write('shout this')
    await a.waitForText('SHOUT THIS')

    // To one client only.
    await rowOf(b).getByTestId('connection-send-to').click()
    await page.getByTestId('send-data').fill('only for b')
    await page.getByTestId('send-button').click()
    await b.waitForText('only for b')
    expect(a.received.includes('only for b')).toBe(false)

    // Filter the log down to one connection.
    const id = await selectedEndpointId(page)
    await page.getByTestId('log-filter-endpoint').selectOption(id)
    const aId = (await rowOf(a).getAttribute('data-connection-id'))!
    await page.getByTestId('log-filter-connection').selectOption(aId)
    await dataRows(page, { endpointId: id, text: 'only for b' }).waitFor({ state: 'detached', timeout: DEADLINE_MS })
    await dataRows(page, { endpointId: id, direction: 'in', text: 'shout this' }).waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('log-filter-endpoint').selectOption('')

    // Stop listening: new clients are refused, connected ones keep talking.
    await page.getByTestId('action-stop-listening').click()
    await page.locator('[data-testid=endpoint-state][data-state=not-listening]').waitFor({ timeout: DEADLINE_MS })
    await expect(TcpPeer.connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    b.write('still here')
    await b.waitForText('STILL HERE')

    // FIN to one (it sees end of stream), destroy the other.
    await rowOf(a).getByTestId('connection-end').click()
    await a.waitForEnd()
    await rowOf(b).getByTestId('connection-destroy').click()
    await b.waitForEnd()
    await page.locator(`[data-testid=connection-row][data-state=closed]`).filter({ hasText: `127.0.0.1:${b.localPort}` }).waitFor({ timeout: DEADLINE_MS })
    await page.locator('[data-testid=connection-row][data-state=open]').waitFor({ state: 'detached', timeout: DEADLINE_MS })

    // Stop removes the endpoint for every viewer.
    await page.getByTestId('action-stop').click()
    await page.locator(`[data-testid=endpoint-item][data-endpoint-id="${id}"]`).waitFor({ state: 'detached', timeout: DEADLINE_MS })
  })

  it('runs a TCP client from the page: connect, send, receive, half-close, reconnect', async () => {
    const accepted: TcpPeer[] = []
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      const p = TcpPeer.wrap(s)
      accepted.push(p)
      suite.peers.push(p)
      server.emit('peer')
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    const nextPeer = (n: number) =>
      new Promise<TcpPeer>((resolve) => (accepted.length >= n ? resolve(accepted[n - 1]!) : server.on('peer', () => accepted.length >= n && resolve(accepted[n - 1]!))))

    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'tcp-client', { 'opt-port': String(port) })
    const id = await selectedEndpointId(page)
    await page.locator('[data-testid=endpoint-state][data-state=connected]').waitFor({ timeout: DEADLINE_MS })
    const first = await nextPeer(1)

    // The connection opened while dialing, with no addresses yet; its open event brings them, live (no reload):
    // the row shows the server as its remote and the port the server saw as its local.
    const rowOf = (p: TcpPeer) => page.locator('[data-testid=connection-row]').filter({ hasText: `127.0.0.1:${p.socket.remotePort}` })
    await rowOf(first).getByTestId('connection-remote').filter({ hasText: `127.0.0.1:${port}` }).waitFor({ timeout: DEADLINE_MS })
    const logRows = page.locator(`[data-testid=log-row][data-endpoint-id="${id}"]`)
    await logRows.filter({ hasText: `connecting to 127.0.0.1:${port}` }).first().waitFor({ timeout: DEADLINE_MS })
    await logRows.filter({ hasText: `connected: 127.0.0.1:${port} ⇄ 127.0.0.1:${first.socket.remotePort}` }).waitFor({ timeout: DEADLINE_MS })
    expect((await page.locator('[data-testid=connection-row] code').allTextContents()).map((t) => t.trim())).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${first.socket.remotePort}`])
    expect(await logRows.filter({ hasText: ':0 ⇄' }).count()).toBe(0)

    await page.getByTestId('send-data').fill('GET / HTTP/1.0')
    await page.getByTestId('send-line-ending').selectOption('crlf')
    await page.getByTestId('send-button').click()
    await first.waitForText('GET / HTTP/1.0\r\n')
    first.write('answer from the server')
    await dataRows(page, { endpointId: id, direction: 'in', text: 'answer from the server' }).waitFor({ timeout: DEADLINE_MS })

    await page.getByTestId('action-half-close').click()
    await first.waitForEnd()
    await page.locator('[data-testid=connection-row][data-state=fin-sent]').waitFor({ timeout: DEADLINE_MS })
    first.socket.end()
    await page.locator('[data-testid=endpoint-state][data-state=closed]').waitFor({ timeout: DEADLINE_MS })

    // Sending on a closed client fails next to the send button, with the gateway's code.
    await page.getByTestId('send-button').click()
    await page.locator('[data-testid=send-error] [data-code=ENOTCONN]').waitFor({ timeout: DEADLINE_MS })

    await page.getByTestId('action-reconnect').click()
    await page.locator('[data-testid=endpoint-state][data-state=connected]').waitFor({ timeout: DEADLINE_MS })
    const second = await nextPeer(2)
    await rowOf(second).getByTestId('connection-remote').filter({ hasText: `127.0.0.1:${port}` }).waitFor({ timeout: DEADLINE_MS })
    expect(await page.locator('[data-testid=connection-row]').count()).toBe(2)

    // The server goes away: the next reconnect is refused. That row never had addresses: it shows "—", not ":0".
    server.close()
    second.destroy()
    await page.locator('[data-testid=endpoint-state][data-state=closed]').waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('action-reconnect').click()
    await page.locator('[data-testid=endpoint-state][data-state=failed]').waitFor({ timeout: DEADLINE_MS })
    const refused = page.locator('[data-testid=connection-row]').filter({ hasText: 'ECONNREFUSED' })
    await refused.waitFor({ timeout: DEADLINE_MS })
    expect((await refused.locator('code').allTextContents()).map((t) => t.trim())).toEqual(['—', '—'])
  })

  it('shows a refused connection next to the form', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((r) => closed.close(r))

    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await page.getByTestId('create-kind-tcp-client').click()
    await page.getByTestId('opt-port').fill(String(port))
    await page.getByTestId('create-submit').click()
    await page.locator('[data-testid=create-error] [data-code=ECONNREFUSED]').waitFor({ timeout: DEADLINE_MS })
  })

  it('starts a server with "Log to disk" ticked: the counts appear and grow, and the snapshots bringing them add no rows', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await page.getByTestId('opt-log').check()
    await startEndpoint(page, 'tcp-server')
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)
    await page.locator('[data-testid=disk-log][data-state=on]').waitFor({ timeout: DEADLINE_MS })
    const file = (await page.getByTestId('disk-log-download').textContent())!.trim()
    expect(file).toMatch(new RegExp(`^${id}-tcp-server-${port}-`))

    // This endpoint's rows only, events included: it came up, then its log started (one row that says so).
    await page.getByTestId('log-filter-endpoint').selectOption(id)
    const endpointRows = page.locator(`[data-testid=log-row][data-type=endpoint][data-endpoint-id="${id}"]`)
    await endpointRows.filter({ hasText: `logging to disk: ${file}` }).waitFor({ timeout: DEADLINE_MS })
    const rowsBefore = await endpointRows.count()

    // Traffic makes the gateway send a snapshot with new counts (at most once a second); each shows up live.
    const events = () => page.getByTestId('disk-log-events').getAttribute('data-events').then(Number)
    const client = await connect(port)
    client.write('logged from the start\r\n')
    await expect.poll(events, { timeout: DEADLINE_MS }).toBeGreaterThanOrEqual(2)
    const shown = await events()
    client.write('and more')
    await expect.poll(events, { timeout: DEADLINE_MS }).toBeGreaterThan(shown)
    await dataRows(page, { endpointId: id, text: 'and more' }).waitFor({ timeout: DEADLINE_MS })
    expect(await endpointRows.count()).toBe(rowsBefore)

    // Turning the log off is an event again.
    await page.getByTestId('disk-log-toggle').uncheck()
    await endpointRows.filter({ hasText: 'log to disk off' }).waitFor({ timeout: DEADLINE_MS })
    expect(await endpointRows.count()).toBe(rowsBefore + 1)
  })
})
