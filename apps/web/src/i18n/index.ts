import { createI18n } from 'vue-i18n'

export const LOCALES = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
] as const
export type Locale = (typeof LOCALES)[number]['code']

/** Each feature folder has a `messages.ts` exporting `{ en: {...}, 'zh-CN': {...} }`; they are merged here. */
export type FeatureMessages = Record<Locale, Tree>

export interface Tree {
  [key: string]: string | Tree
}
function mergeInto(target: Tree, source: Tree, where: string) {
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k]
    if (v && typeof v === 'object' && existing && typeof existing === 'object') mergeInto(existing as Tree, v as Tree, `${where}.${k}`)
    else if (existing !== undefined) console.warn(`i18n: "${where}.${k}" is defined twice`)
    else target[k] = v
  }
}

/** Merge every feature's messages (found at build time, so a new feature needs no edit here). */
export function mergeMessages(features: FeatureMessages[]): Record<Locale, Tree> {
  const out: Record<Locale, Tree> = { en: {}, 'zh-CN': {} }
  for (const f of features) for (const l of LOCALES) mergeInto(out[l.code], f[l.code] ?? {}, l.code)
  return out
}

const modules = import.meta.glob<{ default: FeatureMessages }>('../**/messages.ts', { eager: true })

const STORAGE_KEY = 'socklab.locale'

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved && LOCALES.some((l) => l.code === saved)) return saved as Locale
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: mergeMessages(Object.values(modules).map((m) => m.default)),
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
})

export function setLocale(locale: Locale) {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}
