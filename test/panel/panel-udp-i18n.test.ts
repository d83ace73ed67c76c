import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { DEADLINE_MS, TcpPeer, UdpPeer, dataRows, selectedEndpointId, shownPort, startEndpoint, waitLive, usePanelSuite } from './panel-page.ts'

describe('panel: UDP and languages', () => {
  const suite = usePanelSuite()

  it('binds UDP from the page, shows each datagram with its sender, and replies to it', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await startEndpoint(page, 'udp')
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)
    await page.locator('[data-testid=endpoint-state][data-state=bound]').waitFor({ timeout: DEADLINE_MS })

    const peer = await UdpPeer.bind()
    suite.peers.push(peer)
    await peer.send('ping from a real udp client', port)
    const row = dataRows(page, { endpointId: id, direction: 'in', text: 'ping from a real udp client' })
    await row.waitFor({ timeout: DEADLINE_MS })
    expect(await row.getByTestId('log-who').textContent()).toBe(`127.0.0.1:${peer.port}`)

    // "Reply" fills the destination with the datagram's sender.
    await row.getByTestId('log-reply').click()
    expect(await page.getByTestId('send-to-port').inputValue()).toBe(String(peer.port))
    expect(await page.getByTestId('send-to-host').inputValue()).toBe('127.0.0.1')
    await page.getByTestId('send-data').fill('pong from the page')
    await page.getByTestId('send-button').click()
    await peer.waitFor((d) => d.data.toString() === 'pong from the page' && d.from === port)
    await dataRows(page, { endpointId: id, direction: 'out', text: 'pong from the page' }).waitFor({ timeout: DEADLINE_MS })

    // Empty datagrams are datagrams too, both ways.
    await peer.send(Buffer.alloc(0), port)
    await dataRows(page, { endpointId: id, direction: 'in', text: '(empty datagram)' }).waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('send-data').fill('')
    await page.getByTestId('send-button').click()
    await peer.waitFor((d) => d.data.length === 0 && d.from === port)

    // Over the UDP limit: the gateway's EMSGSIZE shows next to the send button, nothing is sent.
    const before = peer.datagrams.length
    await page.getByTestId('send-data').fill('x'.repeat(70_000))
    await page.getByTestId('send-button').click()
    const error = page.locator('[data-testid=send-error] [data-code=EMSGSIZE]')
    await error.waitFor({ timeout: DEADLINE_MS })
    expect(await error.textContent()).toContain('65507')
    expect(peer.datagrams.length).toBe(before)
  })

  it('caps the log in the browser and says how many rows it dropped', async () => {
    const page = await suite.browser.openPage(`${suite.gw.url}/?logCapacity=150`)
    await waitLive(page)
    await startEndpoint(page, 'udp', { 'opt-reply-mode': 'echo' })
    const port = await shownPort(page)
    const peer = await UdpPeer.bind()
    suite.peers.push(peer)
    // 100 datagrams and their 100 echoes; each echo is awaited, so none is lost on the way.
    for (let i = 0; i < 100; i++) {
      await peer.send(`datagram ${i}`, port)
      await peer.waitFor((d) => d.data.toString() === `datagram ${i}`)
    }
    await dataRows(page, { text: 'datagram 99' }).last().waitFor({ timeout: DEADLINE_MS })
    const count = page.getByTestId('log-count')
    expect(await count.textContent()).toBe('150 rows')
    const dropped = Number((await page.getByTestId('log-dropped').textContent())!.match(/\d+/)![0])
    // The page saw every event of this gateway run (earlier tests' too): all but the newest 150 were dropped.
    const id = await selectedEndpointId(page)
    const { headSeq } = (await (await fetch(`${suite.gw.url}/api/endpoints/${id}/events?limit=1`)).json()) as { headSeq: number }
    expect(dropped).toBe(headSeq - 150)
  })

  it('switches the whole page to 简体中文 and back', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    expect((await page.getByTestId('create-submit').textContent())?.trim()).toBe('Start')
    await page.getByTestId('lang-switch').selectOption('zh-CN')
    await page.getByTestId('create-submit').filter({ hasText: '启动' }).waitFor({ timeout: DEADLINE_MS })
    expect((await page.getByTestId('link-status').textContent())?.trim()).toContain('实时')
    expect(await page.locator('[data-testid=traffic-log] h2').textContent()).toBe('通信记录')
    expect(await page.getByTestId('create-kind-udp').textContent()).toContain('UDP 套接字')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')

    // The choice is remembered for the next visit in this browser.
    await page.reload()
    await page.getByTestId('create-submit').filter({ hasText: '启动' }).waitFor({ timeout: DEADLINE_MS })
    await page.getByTestId('lang-switch').selectOption('en')
    await page.getByTestId('create-submit').filter({ hasText: 'Start' }).waitFor({ timeout: DEADLINE_MS })
  })

  it('shows the relay\'s notes and faults, written by the gateway, in Chinese (and in English again on switching)', async () => {
    // A real upper-casing target, a real client through the relay.
    const accepted: net.Socket[] = []
    const target = net.createServer({ allowHalfOpen: true }, (s) => {
      accepted.push(s)
      s.on('data', (d) => s.writable && s.write(d.toString('utf8').toUpperCase()))
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()))
    const targetPort = (target.address() as net.AddressInfo).port
    const page = await suite.browser.openPage(suite.gw.url, { locale: 'zh-CN' })
    await waitLive(page)
    await startEndpoint(page, 'tcp-relay', { 'opt-target-port': String(targetPort) })
    const client = await TcpPeer.connect(await shownPort(page))
    try {
      client.write('ni hao')
      await client.waitForText('NI HAO')
      // Relayed chunks in the traffic log name their way in Chinese too.
      const dataRow = (way: string) => page.locator('[data-testid=log-row][data-type=data]').filter({ hasText: way }).first()
      await dataRow('客户端→目标').waitFor({ timeout: DEADLINE_MS })
      await dataRow('目标→客户端').waitFor({ timeout: DEADLINE_MS })
      const conversation = page.getByTestId('relay-conversation')
      const line = (tone: string, text: string) => conversation.locator(`[data-testid=conversation-line][data-tone=${tone}]`).filter({ hasText: text })
      const connected = line('note', `连接到目标 127.0.0.1:${targetPort}`)
      await connected.waitFor({ timeout: DEADLINE_MS })
      // The relay's own port toward the target, as the target saw it.
      expect(await connected.textContent()).toContain(`已从本地端口 ${accepted[0]!.remotePort} 连接到目标`)

      // A fault applied from the page is announced in Chinese, words (the way) included, in the conversation and the log.
      await page.getByTestId('relay-faults-toggle').click()
      await page.getByTestId('fault-toTarget-latencyMs').fill('300')
      await page.getByTestId('faults-apply').click()
      await line('fault', '客户端→目标：每块数据延迟 300 毫秒').waitFor({ timeout: DEADLINE_MS })
      const faultRow = page.locator('[data-testid=log-row][data-type=fault]').filter({ hasText: '客户端→目标：每块数据延迟 300 毫秒' })
      await faultRow.waitFor({ timeout: DEADLINE_MS })

      // Half-close from the client: the note about passing the FIN on.
      client.socket.end()
      await line('note', '客户端发送了 FIN；已转给目标').waitFor({ timeout: DEADLINE_MS })

      // The same rows follow the language switch: the gateway's English text again.
      await page.getByTestId('lang-switch').selectOption('en')
      await line('fault', 'client→target: every chunk held 300 ms').waitFor({ timeout: DEADLINE_MS })
      await page.locator('[data-testid=log-row][data-type=fault]').filter({ hasText: '⚡ client→target: every chunk held 300 ms' }).waitFor({ timeout: DEADLINE_MS })
    } finally {
      client.destroy()
      for (const s of accepted) s.destroy()
      await new Promise((r) => target.close(r))
    }
  })

  it('starts in Chinese for a browser that asks for it', async () => {
    const page = await suite.browser.openPage(suite.gw.url, { locale: 'zh-CN' })
    await page.getByTestId('create-submit').filter({ hasText: '启动' }).waitFor({ timeout: DEADLINE_MS })
  })
})
