import { NOTE_WORDS, type Say } from '@socklab/shared'

/** The bits of vue-i18n's `t`/`te` used here (so plain modules and tests can pass any i18n). */
export interface Translate {
  t: (key: string, params: Record<string, unknown>) => string
  te: (key: string) => boolean
}

/**
 * A gateway-written line (note or fault) in the page's language: its `say` key translated when this
 * panel knows the key, else the English `text` the gateway wrote. Word params (`way`, `side`) are
 * shown as their translated word.
 */
export function saidText(e: { text: string; say?: Say }, { t, te }: Translate): string {
  const said = e.say
  if (!said || !te(`notes.${said.key}`)) return e.text
  const params: Record<string, string | number> = {}
  for (const [name, value] of Object.entries(said.params ?? {})) {
    const word = `notes.words.${name}.${value}`
    params[name] = Object.hasOwn(NOTE_WORDS, name) && te(word) ? t(word, {}) : value
  }
  return t(`notes.${said.key}`, params)
}
