import type { FeatureMessages } from '../i18n/index.ts'

export default {
  en: {
    diskLog: {
      toggle: 'Log to disk',
      help: "Write this endpoint's traffic to a text file in the gateway's data folder (logs/): one line per event, text and hex.",
      download: 'Download the log file',
      events: '{n} events',
      dropped: '{n} lost',
      droppedHelp: 'Events the log could not write because the history dropped them first',
      full: 'stopped at its size cap of {max}',
      off: 'off',
    },
  },
  'zh-CN': {
    diskLog: {
      toggle: '记录到文件',
      help: '把这个端点的通信写入网关数据目录下 logs/ 中的文本文件：每个事件一行，含文本和十六进制。',
      download: '下载日志文件',
      events: '{n} 个事件',
      dropped: '丢失 {n} 个',
      droppedHelp: '历史记录先丢弃了这些事件，日志没能写入',
      full: '已达到大小上限 {max}，已停止',
      off: '已关闭',
    },
  },
} satisfies FeatureMessages
