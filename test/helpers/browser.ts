import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const WEB_DIST = path.join(repo, 'apps/web/dist/index.html')
export const CHROMIUM = process.env.SOCKLAB_CHROMIUM ?? '/usr/bin/chromium'

/** Flags for a quiet, reproducible headless Chromium that talks to loopback only. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface TestBrowser {
  browser: Browser
  /** A page in a fresh context (own storage, own WebSocket), as a second student's browser would be. */
  openPage(url: string, opts?: { locale?: string }): Promise<Page>
  close(): Promise<void>
}

/**
 * One headless Chromium per test file (Playwright gives it a fresh temporary profile); every page
 * gets its own context. `close` closes every context and the browser.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(WEB_DIST)) throw new Error(`the panel is not built (${WEB_DIST} missing): run \`pnpm build\` first`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
  const contexts: BrowserContext[] = []
  return {
    browser,
    async openPage(url, opts = {}) {
      const context = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: { width: 1440, height: 900 } })
      contexts.push(context)
      const page = await context.newPage()
      // A page error is a bug in the panel: make it visible in the test output.
      page.on('pageerror', (err) => console.error(`[panel error] ${err.message}`))
      await page.goto(url)
      return page
    },
    async close() {
      await Promise.allSettled(contexts.map((c) => c.close()))
      await browser.close()
    },
  }
}
