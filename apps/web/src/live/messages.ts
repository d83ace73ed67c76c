import type { FeatureMessages } from '../i18n/index.ts'

export default {
  en: {
    live: {
      link: {
        connecting: 'connecting…',
        connected: 'live',
        reconnecting: 'reconnecting (attempt {n})',
        offline: 'offline',
        retry: 'retry now',
      },
      restarted: 'The gateway restarted: the log starts again.',
    },
  },
  'zh-CN': {
    live: {
      link: {
        connecting: '正在连接…',
        connected: '实时',
        reconnecting: '正在重连（第 {n} 次）',
        offline: '离线',
        retry: '立即重试',
      },
      restarted: '网关已重启：日志重新开始。',
    },
  },
} satisfies FeatureMessages
