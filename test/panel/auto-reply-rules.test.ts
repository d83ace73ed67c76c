import { describe, expect, it } from 'vitest'
import { checksumBytes } from '../../packages/shared/src/checksum.ts'
import { DEADLINE_MS, TcpPeer, dataRows, selectedEndpointId, shownPort, waitLive, usePanelSuite } from './panel-page.ts'

/** Auto-reply rules typed in the page's table; a real client gets the answers. */
describe('panel: auto-reply rules', () => {
  const suite = usePanelSuite()

  it('creates a TCP server with a text rule and a hex rule; a real client gets the right answers, logged as auto-reply', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await page.getByTestId('create-kind-tcp-server').click()
    await page.getByTestId('opt-reply-mode').selectOption('rules')
    // Choosing rules offers one empty row at once, and the hint about TCP reads.
    const rows = page.getByTestId('reply-rule')
    await rows.first().waitFor({ timeout: DEADLINE_MS })
    expect(await rows.count()).toBe(1)
    expect(await page.getByTestId('reply-rules-hint').textContent()).toContain('TCP may split')

    const first = rows.nth(0)
    await first.getByTestId('rule-match').fill('PING')
    await first.getByTestId('rule-how').selectOption('equals')
    await first.getByTestId('rule-answer').fill('PONG')

    await page.getByTestId('rule-add').click()
    const second = rows.nth(1)
    await second.getByTestId('rule-match-format').selectOption('hex')
    await second.getByTestId('rule-match').fill('01 03')
    await second.getByTestId('rule-how').selectOption('starts')
    await second.getByTestId('rule-answer-format').selectOption('hex')
    await second.getByTestId('rule-answer').fill('01 03 02 00 64')
    await second.getByTestId('rule-checksum').selectOption('crc16-modbus')

    // A third row added and removed again is not sent.
    await page.getByTestId('rule-add').click()
    await rows.nth(2).getByTestId('rule-match').fill('left over')
    await rows.nth(2).getByTestId('rule-remove').click()
    expect(await rows.count()).toBe(2)
    await page.getByTestId('opt-reply-otherwise').selectOption('echo')

    await page.getByTestId('create-submit').click()
    const port = await shownPort(page)
    const id = await selectedEndpointId(page)
    const options = (await (await fetch(`${suite.gw.url}/api/endpoints/${id}`)).json()).options
    expect(options.reply).toMatchObject({ mode: 'rules', otherwise: 'echo' })
    expect(options.reply.rules).toHaveLength(2)

    const client = await TcpPeer.connect(port)
    suite.peers.push(client)
    // One message at a time: each is answered before the next is written, so TCP reads never merge them.
    client.write('PING')
    await client.waitForText('PONG')
    const modbus = Buffer.from('0103020064', 'hex')
    const expected = Buffer.concat([modbus, checksumBytes('crc16-modbus', modbus)])
    client.write(Buffer.from('010300000001840a', 'hex'))
    await client.waitForText(expected)
    client.write('left over') // the removed rule: no match, otherwise echo
    const all = Buffer.concat([Buffer.from('PONG'), expected, Buffer.from('left over')])
    await client.waitForText(all)
    expect(client.received.toString('hex')).toBe(all.toString('hex'))

    const answer = dataRows(page, { endpointId: id, direction: 'out', text: 'PONG' })
    await answer.waitFor({ timeout: DEADLINE_MS })
    expect(await answer.textContent()).toContain('auto-reply')
  })

  it('outlines the rule cell the gateway rejected and starts nothing', async () => {
    const page = await suite.browser.openPage(suite.gw.url)
    await waitLive(page)
    await page.getByTestId('create-kind-tcp-server').click()
    await page.getByTestId('opt-reply-mode').selectOption('rules')
    const rows = page.getByTestId('reply-rule')
    await rows.first().getByTestId('rule-match').fill('ok')
    await rows.first().getByTestId('rule-answer').fill('fine')
    await page.getByTestId('rule-add').click()
    await rows.nth(1).getByTestId('rule-match-format').selectOption('hex')
    await rows.nth(1).getByTestId('rule-match').fill('01 zz')
    const before = await page.getByTestId('endpoint-item').count()
    await page.getByTestId('create-submit').click()

    await page.locator('[data-testid=create-error] [data-code=EBADHEX]').waitFor({ timeout: DEADLINE_MS })
    await page.locator('.cell.invalid[data-field="reply.rules.1.match"]').waitFor({ timeout: DEADLINE_MS })
    expect(await page.locator('.cell.invalid').count()).toBe(1)
    expect(await page.getByTestId('endpoint-item').count()).toBe(before)

    // Fixed in place, the same form starts the server.
    await rows.nth(1).getByTestId('rule-match').fill('01 ff')
    await page.getByTestId('create-submit').click()
    await page.getByTestId('endpoint-item').nth(before).waitFor({ timeout: DEADLINE_MS })
    await page.locator('.cell.invalid').waitFor({ state: 'detached', timeout: DEADLINE_MS })
  })
})
