import type { FeatureMessages } from './index.ts'

export default {
  en: { app: { subtitle: 'network lab', language: 'Language' } },
  'zh-CN': { app: { subtitle: '网络实验室', language: '语言' } },
} satisfies FeatureMessages
