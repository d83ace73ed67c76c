import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts'
import { spawnGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { DEADLINE_MS, TcpPeer, buttonsOutsideTable, shownPort, startEndpoint, waitLive } from './panel-page.ts'

/** The relay driven from the page: a real client, through socklab, to a real upper-casing server. */
describe('panel: TCP relay', () => {
  let gw: GatewayProcess
  let browser: TestBrowser
  let target: net.Server
  const accepted: TcpPeer[] = []
  const peers: TcpPeer[] = []

  beforeAll(async () => {
    gw = await spawnGateway()
    browser = await launchBrowser()
    // The tutorial server: answers each chunk upper-cased.
    target = net.createServer({ allowHalfOpen: true }, (s) => {
      const p = TcpPeer.wrap(s)
      accepted.push(p)
      s.on('data', (d) => s.writable && s.write(d.toString('utf8').toUpperCase()))
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()))
  })
  afterAll(async () => {
    for (const p of [...peers, ...accepted]) p.destroy()
    await new Promise((r) => target.close(r))
    await browser?.close()
    await gw?.stop()
  })

  it('shows the conversation both ways, injects toward either side, applies faults and cuts a side', async () => {
    const panel = await browser.openPage(gw.url)
    await waitLive(panel)
    const targetPort = (target.address() as net.AddressInfo).port
    await startEndpoint(panel, 'tcp-relay', { 'opt-target-port': String(targetPort) })
    const port = await shownPort(panel)
    await panel.getByTestId('endpoint-remote').filter({ hasText: `127.0.0.1:${targetPort}` }).waitFor({ timeout: DEADLINE_MS })

    const client = await TcpPeer.connect(port)
    peers.push(client)
    client.write('hello relay')
    await client.waitForText('HELLO RELAY')
    const pair = panel.locator('[data-testid=relay-pair][data-state=open]')
    await pair.waitFor({ timeout: DEADLINE_MS })
    await pair.getByTestId('relay-pair-target').filter({ hasText: `127.0.0.1:${targetPort}` }).waitFor({ timeout: DEADLINE_MS })

    // On a 1024×768 projector every action of the pair is in view: none hides behind a horizontal scroll.
    await panel.setViewportSize({ width: 1024, height: 768 })
    expect(await buttonsOutsideTable(panel.getByTestId('relay-pairs'), '[data-testid=relay-pair][data-state=open]')).toEqual([])
    expect(await pair.getByRole('button', { name: 'RST target' }).getAttribute('data-testid')).toBe('cut-target-rst')
    await panel.setViewportSize({ width: 1440, height: 900 })

    // The newest pair is followed: its conversation shows both directions.
    const conversation = panel.getByTestId('relay-conversation')
    await conversation.locator('[data-testid=conversation-chunk][data-way=toTarget]').filter({ hasText: 'hello relay' }).waitFor({ timeout: DEADLINE_MS })
    await conversation.locator('[data-testid=conversation-chunk][data-way=toClient]').filter({ hasText: 'HELLO RELAY' }).waitFor({ timeout: DEADLINE_MS })

    // Inject toward the target (the server answers the client), then toward the client.
    await panel.getByTestId('inject-toward').selectOption('target')
    await panel.getByTestId('inject-data').fill('from the page')
    await panel.getByTestId('inject-send').click()
    await client.waitForText('FROM THE PAGE')
    await panel.getByTestId('inject-toward').selectOption('client')
    await panel.getByTestId('inject-data').fill('just for you')
    await panel.getByTestId('inject-send').click()
    await client.waitForText('just for you')
    await conversation.locator('[data-testid=conversation-chunk].injected').filter({ hasText: 'from the page' }).waitFor({ timeout: DEADLINE_MS })

    // 300 ms latency client→target: applied live, announced on the conversation, and measurable.
    await panel.getByTestId('relay-faults-toggle').click()
    await panel.getByTestId('fault-toTarget-latencyMs').fill('300')
    await panel.getByTestId('faults-apply').click()
    await conversation.locator('[data-testid=conversation-line][data-tone=fault]').filter({ hasText: '300 ms' }).waitFor({ timeout: DEADLINE_MS })
    await panel.getByTestId('relay-faults-active').filter({ hasText: '1 active' }).waitFor({ timeout: DEADLINE_MS })
    const t0 = performance.now()
    client.write('slow one')
    await client.waitForText('SLOW ONE')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)

    // A value the gateway refuses (latency is at most 60 s) comes back with the field outlined.
    await panel.getByTestId('fault-toClient-latencyMs').fill('999999')
    await panel.getByTestId('faults-apply').click()
    await panel.locator('[data-testid=faults-error] [data-code=EVALIDATION]').waitFor({ timeout: DEADLINE_MS })
    await panel.locator('[data-field="toClient.latencyMs"].invalid').waitFor({ timeout: DEADLINE_MS })

    // Cut the client side with FIN: the client reads end-of-stream; the pair shows it.
    await pair.getByTestId('cut-client-fin').click()
    await client.waitForEnd()
    await conversation.locator('[data-testid=conversation-line][data-tone=fault]').filter({ hasText: 'FIN sent to the client' }).waitFor({ timeout: DEADLINE_MS })
    await panel.locator('[data-testid=relay-pair][data-state=fin-sent]').waitFor({ timeout: DEADLINE_MS })
  })

  it('a target that is down closes the client, and the pair shows why', async () => {
    const panel = await browser.openPage(gw.url)
    await waitLive(panel)
    const dead = net.createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()))
    const deadPort = (dead.address() as net.AddressInfo).port
    await new Promise((r) => dead.close(r))
    await startEndpoint(panel, 'tcp-relay', { 'opt-target-port': String(deadPort) })
    const client = await TcpPeer.connect(await shownPort(panel))
    peers.push(client)
    await client.waitForEnd()
    await panel.locator('[data-testid=relay-pair][data-state=closed] [data-testid=relay-pair-reason]').filter({ hasText: 'ECONNREFUSED' }).waitFor({ timeout: DEADLINE_MS })
  })
})
