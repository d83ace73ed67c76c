import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { fillTemplate, noteKeys, noteTemplate, NOTE_WORDS } from '@socklab/shared'
import messages from '../src/notes/messages.ts'
import { saidText } from '../src/notes/say.ts'
import type { Tree } from '../src/i18n/index.ts'

const lookup = (tree: Tree, path: string): unknown => path.split('.').reduce<unknown>((node, k) => (node as Tree | undefined)?.[k], tree)
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

function i18nIn(locale: 'en' | 'zh-CN') {
  const i18n = createI18n({ legacy: false, locale, fallbackLocale: 'en', messages, missingWarn: false, fallbackWarn: false })
  const { t, te } = i18n.global
  return { t: (key: string, params: Record<string, unknown>) => t(key, params), te: (key: string) => te(key) }
}

/** Sample params for a template: words get a real word value, the rest a recognisable marker. */
function sampleParams(template: string): Record<string, string | number> {
  const words = NOTE_WORDS as Record<string, Record<string, string>>
  return Object.fromEntries(placeholders(template).map((p) => [p, words[p] ? Object.keys(words[p]!)[0]! : `<${p}>`]))
}

describe('gateway-written texts in the panel', () => {
  const keys = noteKeys()

  it('has an English and a Chinese string for every key of the shared table, with the same placeholders', () => {
    expect(keys.length).toBeGreaterThan(30)
    for (const key of keys) {
      const en = lookup(messages.en, `notes.${key}`)
      const zh = lookup(messages['zh-CN'], `notes.${key}`)
      expect(en, key).toBe(noteTemplate(key))
      expect(typeof zh, key).toBe('string')
      expect(zh, key).not.toBe(en)
      expect(placeholders(zh as string), key).toEqual(placeholders(en as string))
    }
    for (const [name, values] of Object.entries(NOTE_WORDS)) {
      for (const value of Object.keys(values)) expect(typeof lookup(messages['zh-CN'], `notes.words.${name}.${value}`), `${name}.${value}`).toBe('string')
    }
  })

  it('renders each key in English exactly as the gateway writes `text`, and in Chinese with every param filled', () => {
    const en = i18nIn('en')
    const zh = i18nIn('zh-CN')
    for (const key of keys) {
      const params = sampleParams(noteTemplate(key)!)
      const event = { text: fillTemplate(noteTemplate(key)!, params), say: { key, params } }
      expect(saidText(event, en), key).toBe(event.text)
      const chinese = saidText(event, zh)
      expect(chinese, key).not.toBe(event.text)
      expect(chinese, key).not.toMatch(/[{}]/)
      for (const v of Object.values(params)) if (String(v).startsWith('<')) expect(chinese, key).toContain(String(v))
    }
  })

  it('shows words in the reader\'s language and falls back to `text` for a key it does not know', () => {
    const zh = i18nIn('zh-CN')
    const latency = { text: 'client→target: every chunk held 300 ms', say: { key: 'relay.latency', params: { way: 'toTarget', ms: 300 } } }
    expect(saidText(latency, zh)).toBe('客户端→目标：每块数据延迟 300 毫秒')
    expect(saidText({ text: 'from a newer gateway', say: { key: 'relay.somethingNew' } }, zh)).toBe('from a newer gateway')
    expect(saidText({ text: 'plain English' }, zh)).toBe('plain English')
  })
})
